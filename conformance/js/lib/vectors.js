// Runners for conformance/vectors/ (format: conformance/README.md), one per
// kind, mirroring conformance/runner_test.go (and checking a little more: the
// JSON value of signature cases, both directions of every address form).
import * as borsh from 'borsh';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { schemas, types, hashes, signing, params, paramTypes, enums } from '../../../generated/js/schema.js';
import {
  DecodeError,
  checkPayload,
  decode,
  decodeWithBorshJs,
  encodeJSON,
  objectHash,
  sameJSON,
  scan,
  signingPayload,
  signingPreimage,
  toJSON,
} from './codec.js';
import {
  SignatureError,
  addressOf,
  checksumHex,
  displayAddress,
  parseAccountRef,
  parseAddress,
  publicKey,
  recover,
  sign,
  signingHash,
  validateUsername,
} from './crypto.js';
import { runEvidence } from './evidence.js';
import { runTree } from './manifest.js';
import { assert, concat, equalBytes, expectKeys, hex, parseU64, unhex } from './util.js';

export const VECTORS_DIR = fileURLToPath(new URL('../../vectors/', import.meta.url));

const DECODE_ERRORS = new Set(['unexpected_eof', 'trailing_bytes', 'invalid_bool', 'invalid_option_tag', 'unknown_variant', 'length_limit', 'invalid_utf8']);

function forCases(vf, ctx, label, fn) {
  vf.cases.forEach((c, i) => ctx.case(i, c?.name ?? c?.input ?? label, () => fn(c)));
}

function expectType(vf) {
  expectKeys(vf, ['kind', 'type', 'cases'], [], 'file');
  assert(Object.hasOwn(types, vf.type), `no generated schema for type ${vf.type}`);
}

export function runCodec(vf, ctx) {
  expectType(vf);
  const T = vf.type;
  forCases(vf, ctx, 'codec', (c) => {
    expectKeys(c, ['name', 'value', 'borsh'], ['hash'], 'case');
    const bytes = unhex(c.borsh);
    const v = decode(T, bytes); // strict walk + borsh-js + exact re-encoding
    const js = toJSON(T, v);
    assert(sameJSON(js, c.value), `JSON form\n got ${JSON.stringify(js)}\nwant ${JSON.stringify(c.value)}`);
    const back = encodeJSON(T, c.value);
    assert(equalBytes(back, bytes), `JSON -> Borsh\n got ${hex(back)}\nwant ${c.borsh}`);
    assert(Object.hasOwn(hashes, T) === Object.hasOwn(c, 'hash'), `hash presence: spec ${Object.hasOwn(hashes, T)}, vector ${Object.hasOwn(c, 'hash')}`);
    if (Object.hasOwn(c, 'hash')) {
      assert(hex(objectHash(T, bytes)) === c.hash, `hash ${hex(objectHash(T, bytes))}, want ${c.hash}`);
      ctx.count('codec: object hashes recomputed');
    }
  });
}

export function runDecodeError(vf, ctx) {
  expectType(vf);
  const T = vf.type;
  forCases(vf, ctx, 'decode_error', (c) => {
    expectKeys(c, ['name', 'borsh', 'error', 'why'], [], 'case');
    assert(DECODE_ERRORS.has(c.error), `unknown reason ${c.error}`);
    const bytes = unhex(c.borsh);
    // 1. The strict walk names the reason the vector states.
    let kind = null;
    try {
      scan(T, bytes);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      kind = e.kind;
    }
    assert(kind !== null, `accepted (${c.why})`);
    assert(kind === c.error, `rejected as ${kind}, want ${c.error} (${c.why})`);
    // 2. borsh-js with the value checks and exact re-encoding rejects it too.
    let rejected = false;
    try {
      decodeWithBorshJs(T, bytes);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      rejected = true;
    }
    assert(rejected, `borsh-js + value checks accepted it (${c.why})`);
    // How lenient plain borsh-js is (for the summary only).
    try {
      borsh.deserialize(schemas[T], bytes);
      ctx.count('decode_error: accepted by plain borsh-js, rejected by the runner');
    } catch {
      /* rejected by borsh-js itself */
    }
  });
}

export function runKeys(vf, ctx) {
  expectKeys(vf, ['kind', 'cases'], [], 'file');
  forCases(vf, ctx, 'keys', (c) => {
    expectKeys(c, ['name', 'private_key', 'public_key', 'address', 'checksum', 'display'], [], 'case');
    const pub = publicKey(unhex(c.private_key));
    assert(hex(pub) === c.public_key, `public key ${hex(pub)}`);
    const addr = addressOf(pub);
    assert(hex(addr) === c.address, `address ${hex(addr)}`);
    assert('0x' + checksumHex(addr) === c.checksum, `EIP-55 ${checksumHex(addr)}`);
    assert(displayAddress(addr) === c.display, `display ${displayAddress(addr)}`);
    assert(equalBytes(parseAddress(c.display), addr) && equalBytes(parseAddress(c.checksum), addr), 'display forms do not parse back');
  });
}

function recoversOrNull(digest, sig) {
  try {
    return recover(digest, sig);
  } catch (e) {
    if (e instanceof SignatureError && e.kind === 'recovery_failed') return null;
    throw e;
  }
}

export function runSignatures(vf, ctx) {
  expectKeys(vf, ['kind', 'cases'], [], 'file');
  forCases(vf, ctx, 'signatures', (c) => {
    expectKeys(
      c,
      ['name', 'type', 'domain', 'chain_id', 'private_key', 'signer', 'signing_payload', 'preimage', 'signing_hash', 'signature', 'value', 'borsh', 'must_not_verify', 'must_reject'],
      ['hash'],
      'case',
    );
    const T = c.type;
    assert(Object.hasOwn(signing, T), `${T} is not a signed type in the spec`);
    assert(signing[T].domain === c.domain, `domain ${signing[T].domain}, vector ${c.domain}`);
    const bytes = unhex(c.borsh);
    const v = decode(T, bytes);
    assert(sameJSON(toJSON(T, v), c.value), 'value differs from the decoded borsh');
    // The carried payload is the type the spec names for the variant.
    if (T === 'Transaction') checkPayload('TxType', v.type, v.data);
    if (T === 'Envelope') checkPayload('MessageType', v.type, v.payload);
    if (T === 'Transaction' || T === 'Envelope') ctx.count('signatures: carried payloads decoded by variant');
    // 1. Signing payload, from the generated schema without the signature field.
    const payload = signingPayload(T, v);
    assert(hex(payload) === c.signing_payload, `signing payload ${hex(payload)}`);
    const sigField = signing[T].signatureField;
    assert(equalBytes(payload, sigField ? bytes.subarray(0, bytes.length - 65) : bytes), 'payload is not the encoding before the signature');
    // 2. Preimage: Borsh(SigningPreimage), and the same bytes laid out by hand.
    const chain = parseU64(c.chain_id);
    const pre = signingPreimage(c.domain, chain, payload);
    assert(hex(pre) === c.preimage, `preimage ${hex(pre)}`);
    const chainLE = new Uint8Array(8);
    new DataView(chainLE.buffer).setBigUint64(0, chain, true);
    const lenLE = new Uint8Array(4);
    new DataView(lenLE.buffer).setUint32(0, payload.length, true);
    assert(equalBytes(pre, concat(Uint8Array.of(enums.SigningDomain[c.domain]), chainLE, lenLE, payload)), 'preimage layout');
    // 3. Signing hash.
    const digest = signingHash(pre);
    assert(hex(digest) === c.signing_hash, `signing hash ${hex(digest)}`);
    // 4. RFC 6979 signature and recovery.
    const priv = unhex(c.private_key);
    const sig = sign(digest, priv);
    assert(hex(sig) === c.signature, `signature ${hex(sig)}, want ${c.signature}`);
    if (sigField) assert(hex(Uint8Array.from(v[sigField])) === c.signature, 'the value carries another signature');
    const signer = recover(digest, unhex(c.signature));
    assert(hex(signer) === c.signer, `recovered ${hex(signer)}, want ${c.signer}`);
    assert(equalBytes(addressOf(publicKey(priv)), signer), 'signer is not the private key\'s address');
    ctx.count('signatures: signers recovered');
    // Object hash where the spec has one.
    assert(Object.hasOwn(hashes, T) === Object.hasOwn(c, 'hash'), 'hash presence');
    if (c.hash !== undefined) assert(hex(objectHash(T, bytes)) === c.hash, 'object hash');
    // 5. Other domains and chains: other digests, other (or no) signers.
    assert(Array.isArray(c.must_not_verify) && c.must_not_verify.length > 0, 'no must_not_verify entries');
    for (const w of c.must_not_verify) {
      expectKeys(w, ['domain', 'chain_id', 'signing_hash', 'recovers'], [], 'must_not_verify');
      const wd = signingHash(signingPreimage(w.domain, parseU64(w.chain_id), payload));
      assert(hex(wd) === w.signing_hash, `${w.domain}/${w.chain_id}: signing hash ${hex(wd)}`);
      const got = recoversOrNull(wd, sig);
      if (w.recovers === '') assert(got === null, `${w.domain}/${w.chain_id}: recovered ${got && hex(got)}, vector says recovery fails`);
      else assert(got !== null && hex(got) === w.recovers, `${w.domain}/${w.chain_id}: recovered ${got && hex(got)}, want ${w.recovers}`);
      assert(got === null || !equalBytes(got, signer), `${w.domain}/${w.chain_id}: the signature verifies`);
      ctx.count('signatures: must_not_verify checked');
    }
    // 6. Malleated signatures are rejected before recovery, for the stated reason.
    assert(Array.isArray(c.must_reject) && c.must_reject.length > 0, 'no must_reject entries');
    for (const r of c.must_reject) {
      expectKeys(r, ['signature', 'error', 'why'], [], 'must_reject');
      let kind = null;
      try {
        recover(digest, unhex(r.signature));
      } catch (e) {
        if (!(e instanceof SignatureError)) throw e;
        kind = e.kind;
      }
      assert(kind === r.error, `malleated signature (${r.why}): ${kind ?? 'accepted'}, want ${r.error}`);
      ctx.count('signatures: must_reject checked');
    }
  });
}

function reason(fn) {
  try {
    return { value: fn(), error: undefined };
  } catch (e) {
    if (e.kind === undefined) throw e;
    return { value: undefined, error: e.kind };
  }
}

function expectValid(c) {
  assert(typeof c.valid === 'boolean' && c.valid === (c.error === undefined), 'valid and error disagree');
}

export function runUsernames(vf, ctx) {
  expectKeys(vf, ['kind', 'cases'], [], 'file');
  forCases(vf, ctx, 'usernames', (c) => {
    expectKeys(c, ['input', 'valid'], ['error'], 'case');
    expectValid(c);
    const got = reason(() => validateUsername(c.input)).error;
    assert(got === c.error, `username ${JSON.stringify(c.input)}: ${got}, want ${c.error}`);
  });
}

export function runAddresses(vf, ctx) {
  expectKeys(vf, ['kind', 'cases'], [], 'file');
  forCases(vf, ctx, 'addresses', (c) => {
    expectKeys(c, ['input', 'valid'], ['address', 'error'], 'case');
    expectValid(c);
    const { value, error } = reason(() => parseAddress(c.input));
    assert(error === c.error, `address ${JSON.stringify(c.input)}: ${error}, want ${c.error}`);
    if (!error) assert(hex(value) === c.address, `address ${JSON.stringify(c.input)}: ${hex(value)}, want ${c.address}`);
  });
}

export function runAccountRefs(vf, ctx) {
  expectKeys(vf, ['kind', 'cases'], [], 'file');
  forCases(vf, ctx, 'account_refs', (c) => {
    expectKeys(c, ['input', 'valid'], ['address', 'username', 'error'], 'case');
    expectValid(c);
    const { value, error } = reason(() => parseAccountRef(c.input));
    assert(error === c.error, `ref ${JSON.stringify(c.input)}: ${error}, want ${c.error}`);
    if (error) return;
    if (c.username !== undefined) assert(value.username === c.username, `ref ${c.input}: ${JSON.stringify(value)}`);
    else assert(value.address && hex(value.address) === c.address, `ref ${c.input}: not address ${c.address}`);
  });
}

export function runParams(vf, ctx) {
  expectKeys(vf, ['kind', 'cases'], [], 'file');
  const names = vf.cases.map((c) => c.name);
  assert(sameJSON(names, Object.keys(params)), 'params.json and the generated params list different constants');
  forCases(vf, ctx, 'params', (c) => {
    expectKeys(c, ['name', 'type', 'value'], [], 'case');
    assert(Object.hasOwn(params, c.name), `no generated constant ${c.name}`);
    assert(paramTypes[c.name] === c.type, `${c.name}: type ${paramTypes[c.name]}, want ${c.type}`);
    const want = { u64: 'bigint', size: 'number', string: 'string' }[c.type];
    assert(typeof params[c.name] === want, `${c.name}: a ${typeof params[c.name]}, want ${want}`);
    assert(String(params[c.name]) === c.value, `${c.name} = ${params[c.name]}, want ${c.value}`);
  });
}

// runLeaderSchedule recomputes the leader schedule of spec/consensus.md,
// "Leader selection": the EP-weighted draw from SHA-256(seed || view LE)
// over the validators active in committed views [v-lag-window, v-lag),
// less those that failed as leader there (a block carrying the TC of the
// view before it, over an older QC) and proposed nothing since, or over all
// of them when that leaves nobody. A failure's leader is the schedule's, so
// leaders are computed oldest view first, each once.
export function runLeaderSchedule(vf, ctx) {
  expectKeys(vf, ['kind', 'lag', 'window', 'cases'], [], 'file');
  assert(BigInt(vf.lag) === BigInt(params.LeaderReputationLag) && BigInt(vf.window) === BigInt(params.LeaderReputationWindow),
    'leader_schedule.json and the generated params disagree on lag or window');
  const lag = parseU64(vf.lag);
  const window = parseU64(vf.window);
  forCases(vf, ctx, 'leader_schedule', (c) => {
    expectKeys(c, ['name', 'seed', 'validators', 'history', 'leaders'], [], 'case');
    const seed = unhex(c.seed);
    assert(seed.length === 32, 'seed is not 32 bytes');
    const ms = c.validators.map((v) => ({ address: v.address, power: parseU64(v.power) }));
    for (let i = 1; i < ms.length; i++) assert(ms[i - 1].address < ms[i].address, 'validators not sorted by address');
    const hist = c.history.map((h) => {
      expectKeys(h, ['view', 'proposer', 'active', 'qc_view', 'timeout_view'], [], 'history block');
      const view = parseU64(h.view);
      const qc = parseU64(h.qc_view);
      const tc = h.timeout_view === null ? null : parseU64(h.timeout_view);
      // The view before failed when the block needed that view's TC.
      const failedView = tc !== null && tc + 1n === view && qc < tc ? tc : null;
      return { view, proposer: h.proposer, active: new Set(h.active), failedView };
    });
    const memo = new Map();
    const leader = (v) => {
      if (memo.has(v)) return memo.get(v);
      const hi = v > lag ? v - lag : 0n;
      const lo = hi > window ? hi - window : 0n;
      const active = new Set();
      const lastFail = new Map();
      const lastProp = new Map();
      for (const h of hist) {
        if (h.view < lo || h.view >= hi) continue;
        for (const a of h.active) active.add(a);
        if (!lastProp.has(h.proposer) || lastProp.get(h.proposer) < h.view) lastProp.set(h.proposer, h.view);
        if (h.failedView !== null) {
          const f = leader(h.failedView); // below v - lag: the recursion ends
          if (!lastFail.has(f) || lastFail.get(f) < h.failedView) lastFail.set(f, h.failedView);
        }
      }
      const drawn = ms.filter((m) => active.has(m.address)
        && !(lastFail.has(m.address) && !(lastProp.has(m.address) && lastProp.get(m.address) > lastFail.get(m.address))));
      const pool = drawn.length > 0 ? drawn : ms;
      const total = pool.reduce((t, m) => t + m.power, 0n);
      const buf = new Uint8Array(40);
      buf.set(seed, 0);
      new DataView(buf.buffer).setBigUint64(32, v, true);
      const hash = createHash('sha256').update(buf).digest();
      const x = new DataView(hash.buffer, hash.byteOffset, 8).getBigUint64(0, true);
      const r = (x * total) >> 64n;
      let acc = 0n;
      let l;
      for (const m of pool) {
        acc += m.power;
        if (acc > r) { l = m.address; break; }
      }
      memo.set(v, l);
      return l;
    };
    const views = c.leaders.map((q) => parseU64(q.view));
    // Oldest first, so each failure's leader is in the memo before it is
    // needed and the recursion stays shallow.
    for (const v of [...views].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) leader(v);
    c.leaders.forEach((q, i) => {
      assert(leader(views[i]) === q.leader, `${c.name}: leader of view ${views[i]} is ${leader(views[i])}, want ${q.leader}`);
    });
  });
}

export const vectorRunners = {
  leader_schedule: runLeaderSchedule,
  evidence: runEvidence,
  codec: runCodec,
  decode_error: runDecodeError,
  keys: runKeys,
  signatures: runSignatures,
  usernames: runUsernames,
  addresses: runAddresses,
  account_refs: runAccountRefs,
  params: runParams,
};

/** Runs conformance/vectors/ (format_version 2). */
export function runVectors(opts = {}) {
  return runTree({ dir: VECTORS_DIR, formatVersion: 2, runners: vectorRunners, ...opts });
}

