// Runner for conformance/vectors-chain/ (format: its README.md,
// format_version 1): every fixture's chain file imported by this runner's
// own importer, written from spec/consensus.md ("Importing a chain",
// "Commit proof and block sync", "Quorum") and spec/state.md ("Block
// validity"), on lib/exec.js's executor. Nothing of the expected results is
// taken on trust: every QC is checked by signature recovery and quorum
// power, every transaction signature recovered, every block executed, and
// the import's outcome (imported height, refused height and reason), every
// header hash, receipt, root, touched account and username, the supply and
// the final state must equal the fixture's.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { params } from '../../../generated/js/schema.js';
import { DecodeError, decode, encode, fromJSON, objectHash, sameJSON, signingPayload, signingPreimage, toJSON } from './codec.js';
import { SignatureError, addressOf, publicKey, recover, signingHash } from './crypto.js';
import { State, executeBlock, genesisHeader, genesisState, nextBaseFee } from './exec.js';
import { merkleRoot } from './smt.js';
import { assert, equalBytes, expectKeys, hex, parseU64, unhex } from './util.js';

export const CHAIN_DIR = fileURLToPath(new URL('../../vectors-chain/', import.meta.url));
export const CHAIN_FORMAT_VERSION = 1;

/** Most blocks held without a commit proof (spec/consensus.md, "Importing a chain"). */
const MAX_HELD = 1024;

/** A refusal: the reason name and, for a transaction, its index and TxStatus. */
class Refusal extends Error {
  constructor(reason, detail = '', tx = null) {
    super(`${reason}${detail ? ': ' + detail : ''}`);
    this.reason = reason;
    this.tx = tx;
  }
}

// --- The chain file (conformance/CLIENT.md, "Chain files") ---

/**
 * Splits a chain file into records and decodes each strictly as a
 * SyncResponse. Returns {records, error}: the records read before the first
 * malformed one, and that one's problem (or null).
 */
export function readChainFile(bytes) {
  const records = [];
  let off = 0;
  const max = Number(params.MaxSyncResponseBytes);
  while (off < bytes.length) {
    if (bytes.length - off < 4) return { records, error: 'the file ends inside a length' };
    const n = new DataView(bytes.buffer, bytes.byteOffset + off, 4).getUint32(0, true);
    if (n === 0 || n > max) return { records, error: `record length ${n} not in 1..${max}` };
    if (bytes.length - off - 4 < n) return { records, error: `record of ${n} bytes, ${bytes.length - off - 4} left` };
    const body = bytes.subarray(off + 4, off + 4 + n);
    try {
      records.push({ resp: decode('SyncResponse', body), bytes: body });
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      return { records, error: e.message };
    }
    off += 4 + n;
  }
  return { records, error: null };
}

// --- Certificates (spec/consensus.md, "Quorum"; blocks.yaml QuorumCert) ---

const addrHex = (a) => hex(Uint8Array.from(a));
const hashOf = (T, v) => sha256(encode(T, v));

/** Effective power before scores exist: stake, x1.5 (rounded down) for a trusted OS. */
function validatorSet(g) {
  const power = new Map();
  let total = 0n;
  for (const v of g.validators) {
    const p = v.trusted_os ? (v.stake * 3n) / 2n : v.stake;
    power.set(addrHex(v.address), p);
    total += p;
  }
  return { power, total };
}

const isGenesisQC = (qc) => qc.view === 0n && qc.height === 0n && Uint8Array.from(qc.block_hash).every((b) => b === 0) && qc.votes.length === 0;

/**
 * Checks that qc certifies header (whose hash is hash) with valid votes of
 * more than 2/3 of the power: it names the block (hash, view, height), its
 * signers ascend strictly, each is a validator whose signature over
 * Vote{view, height, block_hash, voter} (domain Vote) recovers to it.
 */
function verifyQCFor(ctx, set, chainId, qc, header, hash) {
  if (isGenesisQC(qc)) throw new Refusal('bad_certificate', 'the genesis QC certifies no block here');
  if (!equalBytes(Uint8Array.from(qc.block_hash), hash) || qc.view !== header.view || qc.height !== header.height) {
    throw new Refusal('bad_certificate', `a QC for view ${qc.view} height ${qc.height}, the block is view ${header.view} height ${header.height}`);
  }
  let power = 0n;
  let prev = null;
  for (const v of qc.votes) {
    const who = addrHex(v.validator);
    if (prev !== null && !(who > prev)) throw new Refusal('bad_certificate', 'signers not strictly ascending');
    prev = who;
    const p = set.power.get(who);
    if (p === undefined) throw new Refusal('bad_certificate', `${who} is not a validator`);
    const payload = signingPayload('Vote', { view: qc.view, height: qc.height, block_hash: qc.block_hash, voter: v.validator, signature: new Uint8Array(65) });
    const digest = signingHash(signingPreimage('Vote', chainId, payload));
    let signer = null;
    try {
      signer = recover(digest, Uint8Array.from(v.signature));
    } catch (e) {
      if (!(e instanceof SignatureError)) throw e;
    }
    if (signer === null || hex(signer) !== who) throw new Refusal('bad_certificate', `${who}'s vote does not verify`);
    ctx.count('chain: votes recovered');
    power += p;
  }
  if (!(power * 3n > set.total * 2n)) throw new Refusal('bad_certificate', `signers hold ${power} of ${set.total}: no quorum`);
  ctx.count('chain: QCs verified');
}

/**
 * A commit proof of last: child and grandchild extend it, their QCs and the
 * proof's certify last, child and grandchild, and the three views are
 * consecutive (the order the spec checks them in).
 */
function verifyCommitProof(ctx, set, chainId, last, lastHash, p) {
  const childHash = hashOf('BlockHeader', p.child);
  const grandHash = hashOf('BlockHeader', p.grandchild);
  if (!equalBytes(Uint8Array.from(p.child.parent_hash), lastHash)) throw new Refusal('bad_commit_proof', 'the child does not extend the block');
  if (!equalBytes(Uint8Array.from(p.grandchild.parent_hash), childHash)) throw new Refusal('bad_commit_proof', 'the grandchild does not extend the child');
  verifyQCFor(ctx, set, chainId, p.child.qc, last, lastHash);
  verifyQCFor(ctx, set, chainId, p.grandchild.qc, p.child, childHash);
  verifyQCFor(ctx, set, chainId, p.qc, p.grandchild, grandHash);
  if (!(p.child.view === last.view + 1n && p.grandchild.view === p.child.view + 1n)) {
    throw new Refusal('bad_commit_proof', `views ${last.view}, ${p.child.view}, ${p.grandchild.view} are not consecutive`);
  }
  ctx.count('chain: commit proofs verified');
}

// --- Execution of a proven block (spec/state.md, "Block validity") ---

function checkHeader(parent, parentHash, h) {
  if (h.height !== parent.height + 1n || !equalBytes(Uint8Array.from(h.parent_hash), parentHash)) throw new Refusal('bad_header', 'height or parent');
  if (h.epoch !== h.height / BigInt(params.EpochLength)) throw new Refusal('bad_header', `epoch ${h.epoch}`);
  const fee = nextBaseFee(parent.base_fee, parent.gas_used);
  if (h.base_fee !== fee) throw new Refusal('bad_header', `base fee ${h.base_fee}, want ${fee}`);
  if (h.timestamp < parent.timestamp) throw new Refusal('bad_header', 'timestamp before the parent\'s');
}

/** Executes block b on state; returns {out, txs} or throws a Refusal. */
function executeProven(ctx, chainId, head, b) {
  checkHeader(head.header, head.hash, b.header);
  const txs = b.transactions.map((tx) => ({ tx, hash: hashOf('Transaction', tx) }));
  // Includability rule 1: each signature recovers its sender.
  txs.forEach(({ tx }, i) => {
    const digest = signingHash(signingPreimage('Transaction', chainId, signingPayload('Transaction', tx)));
    let signer = null;
    try {
      signer = recover(digest, Uint8Array.from(tx.signature));
    } catch (e) {
      if (!(e instanceof SignatureError)) throw e;
    }
    if (signer === null || !equalBytes(signer, Uint8Array.from(tx.from))) {
      throw new Refusal('non_includable_transaction', `transaction ${i}: bad signature`, { index: i, status: 'InvalidSignature' });
    }
  });
  ctx.count('chain: transaction signatures recovered', txs.length);
  const h = b.header;
  const out = executeBlock(head.state, { height: h.height, proposer: addrHex(h.proposer), base_fee: h.base_fee, validators: head.validators }, txs);
  if (out.refused) {
    throw new Refusal('non_includable_transaction', `transaction ${out.refused.index}: ${out.refused.reason}`, { index: out.refused.index, status: out.refused.reason });
  }
  const same = (a, b) => equalBytes(a, Uint8Array.from(b));
  if (!same(out.stateRoot, h.state_root)) throw new Refusal('wrong_state_root', `execution gives ${hex(out.stateRoot)}`);
  if (!same(out.transactionsRoot, h.transactions_root)) throw new Refusal('wrong_transactions_root');
  if (!same(out.receiptsRoot, h.receipts_root)) throw new Refusal('wrong_receipts_root');
  if (out.gasUsed !== h.gas_used) throw new Refusal('wrong_gas_used', `execution gives ${out.gasUsed}`);
  ctx.count('chain: blocks executed');
  return out;
}

// --- The import (spec/consensus.md, "Importing a chain") ---

/**
 * Imports a chain file onto block 0 of genesis g. Returns the report
 * {imported_height, refused_height?, reason?}, the refused transaction if
 * that was the reason, and the imported blocks (header, hash, execution).
 */
export function importChain(ctx, g, file) {
  const chainId = g.chain_id;
  const set = validatorSet(g);
  const genesisHash = hashOf('Genesis', g);
  const state0 = genesisState(g);
  const b0 = genesisHeader(g, genesisHash, state0.root());
  // The namespace pool: the genesis validators (staking is inactive).
  const validators = g.validators.map((v) => addrHex(v.address));
  let head = { header: b0.header, hash: b0.hash, state: state0, validators };
  const imported = [];
  let held = [];
  const done = (refusal) => {
    const report = { imported_height: Number(head.header.height) };
    if (refusal) {
      report.refused_height = Number(head.header.height) + 1;
      report.reason = refusal.reason;
    }
    return { report, tx: refusal?.tx ?? null, imported, b0, genesisHash, state: head.state, why: refusal?.message };
  };
  const { records, error } = readChainFile(file);
  for (const { resp } of records) {
    try {
      // Blocks at or below the head: a fresh import holds only what it took.
      let blocks = resp.blocks;
      if (held.length === 0) {
        while (blocks.length > 0 && blocks[0].header.height <= head.header.height) {
          const b = blocks[0];
          const have = b.header.height === 0n ? b0.hash : imported[Number(b.header.height) - 1].hash;
          if (!equalBytes(hashOf('BlockHeader', b.header), have)) {
            const r = done(new Refusal('conflicting_block'));
            r.report.refused_height = Number(b.header.height);
            return r;
          }
          blocks = blocks.slice(1);
        }
        if (blocks.length === 0) continue;
      }
      // The record as a whole, against the last block held.
      let prev = held.length > 0 ? held[held.length - 1].header : head.header;
      let prevHash = held.length > 0 ? hashOf('BlockHeader', prev) : head.hash;
      for (const b of blocks) {
        const h = b.header;
        if (h.height !== prev.height + 1n || !equalBytes(Uint8Array.from(h.parent_hash), prevHash)) {
          throw new Refusal('wrong_parent', `height ${h.height} does not extend ${prev.height}`);
        }
        const txRoot = merkleRoot(b.transactions.map((tx) => hashOf('Transaction', tx)));
        if (!equalBytes(txRoot, Uint8Array.from(h.transactions_root))) throw new Refusal('wrong_transactions_root', `height ${h.height}`);
        if (prev.height > 0n || !isGenesisQC(h.qc)) verifyQCFor(ctx, set, chainId, h.qc, prev, prevHash);
        prev = h;
        prevHash = hashOf('BlockHeader', h);
      }
      if (resp.proof !== null) verifyCommitProof(ctx, set, chainId, prev, prevHash, resp.proof);
      held = held.concat(blocks);
      if (resp.proof === null) {
        if (held.length > MAX_HELD) throw new Refusal('no_commit_proof', `${held.length} blocks held`);
        continue;
      }
      // Proven: execute and commit block by block.
      const proven = held;
      held = [];
      for (const b of proven) {
        const out = executeProven(ctx, chainId, head, b);
        const hash = hashOf('BlockHeader', b.header);
        imported.push({ header: b.header, hash, out, block: b });
        head = { header: b.header, hash, state: out.state, validators };
      }
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      return done(e);
    }
  }
  if (error !== null) return done(new Refusal('decode_error', error));
  if (held.length > 0) return done(new Refusal('no_commit_proof', `the file ends with ${held.length} blocks held`));
  return done(null);
}

// --- The fixtures ---

const json = (raw) => JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));

function checkEncoded(T, e, what, withHash) {
  expectKeys(e, ['value', 'borsh', ...(withHash ? ['hash'] : [])], [], what);
  const bytes = unhex(e.borsh);
  const v = decode(T, bytes);
  assert(sameJSON(toJSON(T, v), e.value), `${what}: JSON differs from its borsh`);
  if (withHash) assert(hex(objectHash(T, bytes)) === e.hash, `${what}: hash`);
  return bytes;
}

/** Compares listed accounts and usernames with the executor's state. */
function checkLeaves(ctx, where, st, accounts, usernames, supply) {
  for (const a of accounts) {
    expectKeys(a, ['address', 'exists', 'value', 'borsh'], [], `${where} account`);
    assert(a.exists === st.has(a.address), `${where}: account ${a.address} exists ${a.exists}, the executor says ${st.has(a.address)}`);
    const mine = State.accountBorsh(st.get(a.address));
    assert(hex(encode('Account', fromJSON('Account', a.value))) === hex(mine), `${where}: account ${a.address}: the executor's is ${JSON.stringify(toJSON('Account', decode('Account', mine)))}`);
    assert(a.exists ? a.borsh === hex(mine) : a.borsh === null, `${where}: account ${a.address}: borsh`);
    ctx.count('chain: accounts equal to the executor\'s');
  }
  for (const u of usernames) {
    expectKeys(u, ['username', 'address', 'borsh'], [], `${where} username`);
    const owner = st.usernames.get(u.username) ?? null;
    assert(u.address === owner, `${where}: username ${u.username} owned by ${u.address}, the executor says ${owner}`);
    assert(u.borsh === (owner === null ? null : hex(encode('UsernameRecord', { address: unhex(owner) }))), `${where}: username ${u.username}: record`);
    ctx.count('chain: usernames equal to the executor\'s');
  }
  assert(hex(checkEncoded('ChainSupply', supply, `${where} supply`, false)) === hex(st.supplyBorsh()), `${where}: supply differs from the executor's`);
}

/** Runs one fixture: its genesis, its chain file and what it expects. */
export function runFixture(ctx, genesisRaw, chainRaw, e) {
  expectKeys(e, ['kind', 'name', 'doc', 'source', 'keys', 'genesis_hash', 'genesis_block', 'records', 'truncated_bytes', 'import', 'refused', 'blocks', 'final'], [], 'expected.json');
  assert(e.kind === 'chain', `kind ${e.kind}`);
  for (const k of e.keys) {
    expectKeys(k, ['name', 'private_key', 'address'], [], 'key');
    assert(hex(addressOf(publicKey(unhex(k.private_key)))) === k.address, `key ${k.name}: the private key is not the address's`);
  }
  const g = fromJSON('Genesis', json(genesisRaw));
  assert(hex(hashOf('Genesis', g)) === e.genesis_hash, 'genesis hash');

  const r = importChain(ctx, g, chainRaw);
  checkEncoded('BlockHeader', e.genesis_block, 'genesis_block', true);
  assert(hex(r.b0.bytes) === e.genesis_block.borsh && hex(r.b0.hash) === e.genesis_block.hash, 'block 0 built from the genesis differs');

  // The import's outcome.
  assert(sameJSON(r.report, e.import), `import gives ${JSON.stringify(r.report)} (${r.why ?? 'no refusal'}), the fixture ${JSON.stringify(e.import)}`);
  if (e.refused !== null) {
    expectKeys(e.refused, ['height', 'reason', 'transaction'], [], 'refused');
    assert(parseU64(e.refused.height) === BigInt(r.report.refused_height) && e.refused.reason === r.report.reason, 'refused differs from import');
    if (e.refused.transaction !== null) {
      expectKeys(e.refused.transaction, ['index', 'status'], [], 'refused.transaction');
      assert(sameJSON(r.tx, e.refused.transaction), `refused at transaction ${JSON.stringify(r.tx)}, the fixture ${JSON.stringify(e.refused.transaction)}`);
    } else {
      assert(r.tx === null, 'the fixture names no transaction, the runner refused one');
    }
    ctx.count('chain: refused for the stated reason');
  } else {
    assert(r.report.refused_height === undefined, 'refused');
    ctx.count('chain: imported to the end');
  }
  if (e.truncated_bytes === 0) {
    const { records } = readChainFile(chainRaw);
    const layout = records.map(({ resp }) => ({
      first_height: String(resp.blocks[0].header.height),
      last_height: String(resp.blocks[resp.blocks.length - 1].header.height),
      proof: resp.proof !== null,
    }));
    assert(sameJSON(layout, e.records), `records ${JSON.stringify(layout)}`);
  }

  // Every imported block.
  assert(e.blocks.length === r.imported.length, `${e.blocks.length} blocks expected, ${r.imported.length} imported`);
  e.blocks.forEach((eb, i) => {
    expectKeys(eb, ['height', 'hash', 'view', 'proposer', 'base_fee', 'gas_used', 'state_root', 'transactions_root', 'receipts_root', 'header', 'transactions', 'receipts', 'accounts', 'usernames', 'supply'], [], `block ${i + 1}`);
    const { header, hash, out, block } = r.imported[i];
    const where = `block ${eb.height}`;
    assert(hex(hash) === eb.hash && eb.header.hash === eb.hash, `${where}: hash ${hex(hash)}`);
    assert(hex(checkEncoded('BlockHeader', eb.header, `${where} header`, true)) === hex(encode('BlockHeader', header)), `${where}: header`);
    for (const [k, v] of [['height', header.height], ['view', header.view], ['base_fee', header.base_fee], ['gas_used', header.gas_used]]) {
      assert(parseU64(eb[k]) === v, `${where}: ${k}`);
    }
    assert(eb.proposer === addrHex(header.proposer), `${where}: proposer`);
    assert(eb.state_root === hex(out.stateRoot) && eb.transactions_root === hex(out.transactionsRoot) && eb.receipts_root === hex(out.receiptsRoot), `${where}: roots`);
    assert(sameJSON(eb.transactions, block.transactions.map((tx) => hex(hashOf('Transaction', tx)))), `${where}: transactions`);
    assert(eb.receipts.length === out.receiptBytes.length, `${where}: ${eb.receipts.length} receipts, the executor ${out.receiptBytes.length}`);
    eb.receipts.forEach((rc, j) => {
      const bytes = checkEncoded('Receipt', rc, `${where} receipt ${j}`, true);
      assert(equalBytes(bytes, out.receiptBytes[j]), `${where}: receipt ${j}: the executor gives ${JSON.stringify(toJSON('Receipt', out.receipts[j]))}`);
      ctx.count('chain: receipts equal to the executor\'s');
    });
    checkLeaves(ctx, where, out.state, eb.accounts, eb.usernames, eb.supply);
  });
  expectKeys(e.final, ['height', 'state_root', 'accounts', 'usernames', 'supply'], [], 'final');
  assert(parseU64(e.final.height) === BigInt(r.report.imported_height) && e.final.state_root === hex(r.state.root()), 'final state root');
  checkLeaves(ctx, 'final', r.state, e.final.accounts, e.final.usernames, e.final.supply);
}

/**
 * Runs conformance/vectors-chain/: the manifest (format_version, every
 * file's sha256, every file listed), then every fixture. Returns a report
 * shaped like lib/manifest.js's runTree.
 */
export function runChainVectors({ dir = CHAIN_DIR, readFile = (p) => readFileSync(p) } = {}) {
  const failures = [];
  const fail = (where, err) => failures.push({ where, message: err instanceof Error ? err.message : String(err) });
  const report = { dir, files: [], kinds: {}, failures, total: 0, checked: 0, counters: {} };
  const m = json(readFile(join(dir, 'manifest.json')));
  expectKeys(m, ['format_version', 'generator', 'fixtures', 'files'], [], 'manifest.json');
  if (m.format_version !== CHAIN_FORMAT_VERSION) {
    fail('manifest.json', `format_version ${m.format_version}, runner knows ${CHAIN_FORMAT_VERSION}`);
    return report;
  }
  const files = new Map();
  for (const f of m.files) {
    expectKeys(f, ['path', 'sha256'], [], 'manifest file');
    try {
      const raw = readFile(join(dir, ...f.path.split('/')));
      if (hex(sha256(raw)) !== f.sha256) fail(f.path, 'sha256 differs from the manifest');
      files.set(f.path, raw);
    } catch (e) {
      fail(f.path, e);
    }
  }
  for (const p of walk(dir)) {
    const rel = relative(dir, p).split(sep).join('/');
    if (!files.has(rel) && rel !== 'manifest.json' && rel !== 'README.md') fail(rel, 'not in the manifest, so no runner reads it');
  }
  const kind = (report.kinds.chain = { files: 0, cases: 0, checked: 0, failed: 0 });
  const ctx = { count: (label, n = 1) => (report.counters[label] = (report.counters[label] ?? 0) + n) };
  for (const fx of m.fixtures) {
    expectKeys(fx, ['name', 'genesis', 'chain', 'expected'], [], 'manifest fixture');
    report.total++;
    kind.files++;
    kind.cases++;
    report.files.push({ path: fx.expected, kind: 'chain', cases: 1, checked: 1 });
    try {
      for (const p of [fx.genesis, fx.chain, fx.expected]) assert(files.has(p), `${p} is not listed`);
      const e = json(files.get(fx.expected));
      assert(e.name === fx.name, `expected.json names ${e.name}`);
      runFixture(ctx, files.get(fx.genesis), Uint8Array.from(files.get(fx.chain)), e);
    } catch (e) {
      kind.failed++;
      fail(fx.name, e);
    }
    kind.checked++;
    report.checked++;
  }
  return report;
}

function* walk(dir) {
  for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, d.name);
    if (d.isDirectory()) yield* walk(p);
    else yield p;
  }
}

export { Refusal };
