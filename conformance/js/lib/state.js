// Runners for conformance/vectors-state/ (format: its README.md).
//
// smt: fully checked (roots after every step recomputed from the key set,
// proofs decoded, re-encoded, verified and rebuilt, malformed proofs rejected
// for their stated reason).
//
// state_transition: everything that needs no executor is checked: genesis
// (strict decode, JSON, hash, and the genesis state root rebuilt from its
// allocations per spec/state.md), every transaction and receipt (decode,
// JSON, hash), transactions_root, receipts_root, gas_used, every post-state
// leaf (decode, JSON) with its inclusion or non-existence proof against
// state_root, and state_root recomputed from the listed post-state leaves.
// Not checked: that executing the transactions on the genesis state gives
// that post-state (fees, nonces, rewards, statuses): that needs a block
// executor, which this runner does not have.
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { checkPayload, decode, encode, encodeJSON, enums, fromJSON, objectHash, sameJSON, toJSON } from './codec.js';
import { runTree } from './manifest.js';
import { ProofError, decodeProof, encodeProof, merkleRoot, prove, rootOf, verifyInclusion, verifyNonExistence } from './smt.js';
import { assert, equalBytes, expectKeys, hex, parseU64, unhex } from './util.js';

export const STATE_DIR = fileURLToPath(new URL('../../vectors-state/', import.meta.url));

const utf8 = new TextEncoder();
export const supplyKey = () => sha256(utf8.encode('orama/supply'));
export const usernameKey = (name) => sha256(utf8.encode('orama/username/' + name));

function forCases(vf, ctx, fn) {
  expectKeys(vf, ['kind', 'source', 'cases'], [], 'file');
  vf.cases.forEach((c, i) => ctx.case(i, c?.name ?? 'case', () => fn(c)));
}

// --- smt ---

export function runSMT(vf, ctx) {
  forCases(vf, ctx, (c) => {
    expectKeys(c, ['name', 'doc', 'steps', 'root', 'proofs', 'malformed'], [], 'case');
    const tree = new Map(); // hex key -> [key, value]
    const entries = () => [...tree.values()];
    c.steps.forEach((s, i) => {
      expectKeys(s, ['op', 'key', 'value', 'root'], [], `step ${i}`);
      if (s.op === 'set' && s.value !== null) tree.set(s.key, [unhex(s.key), unhex(s.value)]);
      else if (s.op === 'delete' && s.value === null) tree.delete(s.key);
      else throw new Error(`step ${i}: op ${s.op}`);
      const root = hex(rootOf(entries()));
      assert(root === s.root, `step ${i} (${s.op} ${s.key}): root ${root}, want ${s.root}`);
      ctx.count('smt: step roots recomputed');
    });
    const root = rootOf(entries());
    assert(hex(root) === c.root, `final root ${hex(root)}, want ${c.root}`);
    for (const p of c.proofs) {
      expectKeys(p, ['key', 'value', 'proof', 'root'], [], 'proof');
      assert(p.root === c.root, `proof of ${p.key}: root is not the case's`);
      const key = unhex(p.key);
      const bytes = unhex(p.proof);
      const dec = decodeProof(bytes);
      assert(equalBytes(encodeProof(dec), bytes), `proof of ${p.key} does not re-encode`);
      if (p.value !== null) verifyInclusion(root, key, unhex(p.value), dec);
      else verifyNonExistence(root, key, dec);
      const have = tree.get(p.key);
      assert((have !== undefined) === (p.value !== null), `proof of ${p.key}: presence differs from the steps`);
      if (have) assert(hex(have[1]) === p.value, `proof of ${p.key}: value differs from the steps`);
      const own = encodeProof(prove(entries(), key));
      assert(equalBytes(own, bytes), `proof of ${p.key}: built ${hex(own)}, vector ${p.proof}`);
      ctx.count('smt: proofs verified and rebuilt');
    }
    for (const m of c.malformed) {
      expectKeys(m, ['name', 'claim', 'key', 'value', 'proof', 'root', 'error', 'why'], [], 'malformed');
      let kind = null;
      try {
        const dec = decodeProof(unhex(m.proof));
        const r = unhex(m.root);
        if (m.claim === 'inclusion' && m.value !== null) verifyInclusion(r, unhex(m.key), unhex(m.value), dec);
        else if (m.claim === 'non_existence' && m.value === null) verifyNonExistence(r, unhex(m.key), dec);
        else throw new Error(`${m.name}: claim ${m.claim} with value ${m.value}`);
      } catch (e) {
        if (!(e instanceof ProofError)) throw e;
        kind = e.kind;
      }
      assert(kind === m.error, `malformed ${m.name} (${m.why}): ${kind ?? 'accepted'}, want ${m.error}`);
      ctx.count('smt: malformed proofs rejected');
    }
  });
}

// --- state_transition ---

/** Decodes borsh strictly as T and checks it against its JSON form both ways. */
function decodeBoth(T, borshHex, json, what) {
  const bytes = unhex(borshHex);
  const v = decode(T, bytes);
  assert(sameJSON(toJSON(T, v), json), `${what}: JSON\n got ${JSON.stringify(toJSON(T, v))}\nwant ${JSON.stringify(json)}`);
  assert(equalBytes(encodeJSON(T, json), bytes), `${what}: JSON -> Borsh differs`);
  return { v, bytes };
}

const ZERO32 = '0x' + '00'.repeat(32);

function accountValue(address, username, orama, btc) {
  return fromJSON('Account', {
    address,
    username,
    nonce: '0',
    orama_balance: orama,
    btc_balance: btc,
    code_hash: ZERO32,
    storage_root: ZERO32,
    commitment_root: ZERO32,
    nullifier_root: ZERO32,
  });
}

export function runTransition(vf, ctx) {
  forCases(vf, ctx, (c) => {
    expectKeys(c, ['name', 'doc', 'addresses', 'genesis', 'genesis_borsh', 'genesis_hash', 'pre_state_root', 'env', 'transactions', 'post'], [], 'case');
    for (const a of c.addresses) expectKeys(a, ['name', 'address'], [], 'addresses'); // names for readers only

    // 1. Genesis and the state it builds (spec/state.md).
    const g = decodeBoth('Genesis', c.genesis_borsh, c.genesis, 'genesis');
    assert(hex(objectHash('Genesis', g.bytes)) === c.genesis_hash, 'genesis hash');
    const pre = [];
    let minted = 0n;
    for (const a of c.genesis.allocations) {
      pre.push([unhex(a.address), encode('Account', accountValue(a.address, a.username, a.orama_balance, a.btc_balance))]);
      if (a.username !== '') pre.push([usernameKey(a.username), encodeJSON('UsernameRecord', { address: a.address })]);
      minted += BigInt(a.orama_balance);
    }
    pre.push([supplyKey(), encode('ChainSupply', { minted_rays: minted, burned_rays: 0n, curve_received_rays: 0n })]);
    assert(hex(rootOf(pre)) === c.pre_state_root, `genesis state root ${hex(rootOf(pre))}, want ${c.pre_state_root}`);

    // The block environment (read and checked for form; used by execution only).
    expectKeys(c.env, ['height', 'proposer', 'base_fee'], [], 'env');
    parseU64(c.env.height);
    parseU64(c.env.base_fee);
    assert(unhex(c.env.proposer).length === 20, 'env.proposer');

    // 2. Transactions and receipts, their hashes and Merkle roots.
    const txs = [];
    const txHashes = c.transactions.map((t, i) => {
      expectKeys(t, ['value', 'borsh', 'hash'], [], `transaction ${i}`);
      const { v, bytes } = decodeBoth('Transaction', t.borsh, t.value, `transaction ${i}`);
      txs.push(v);
      const h = objectHash('Transaction', bytes);
      assert(hex(h) === t.hash, `transaction ${i}: hash ${hex(h)}, want ${t.hash}`);
      return h;
    });
    const p = c.post;
    expectKeys(p, ['state_root', 'transactions_root', 'receipts_root', 'gas_used', 'receipts', 'accounts', 'supply', 'usernames'], [], 'post');
    assert(hex(merkleRoot(txHashes)) === p.transactions_root, 'transactions_root');
    assert(p.receipts.length === txHashes.length, `${p.receipts.length} receipts for ${txHashes.length} transactions`);
    let gas = 0n;
    const receiptHashes = p.receipts.map((r, i) => {
      expectKeys(r, ['value', 'borsh', 'hash'], [], `receipt ${i}`);
      const { v, bytes } = decodeBoth('Receipt', r.borsh, r.value, `receipt ${i}`);
      const h = objectHash('Receipt', bytes);
      assert(hex(h) === r.hash, `receipt ${i}: hash`);
      assert(equalBytes(Uint8Array.from(v.tx_hash), txHashes[i]), `receipt ${i}: tx_hash is not transaction ${i}'s`);
      gas += v.gas_used;
      // A successful transaction's data is the payload its type names.
      if (v.status === enums.TxStatus.Success) {
        checkPayload('TxType', txs[i].type, txs[i].data);
        ctx.count('state_transition: successful transactions\' payloads decoded by type');
      }
      return h;
    });
    assert(hex(merkleRoot(receiptHashes)) === p.receipts_root, 'receipts_root');
    assert(gas === parseU64(p.gas_used), `gas_used: receipts sum to ${gas}, block says ${p.gas_used}`);

    // 3. Post-state leaves, their proofs, and the root they make together.
    const root = unhex(p.state_root);
    const post = [];
    let last = '';
    for (const a of p.accounts) {
      expectKeys(a, ['address', 'exists', 'value', 'borsh', 'proof'], [], 'account');
      assert(a.address > last, 'accounts are not sorted by address');
      last = a.address;
      const key = unhex(a.address);
      const proof = decodeProof(unhex(a.proof));
      if (a.exists) {
        assert(a.borsh !== null, `account ${a.address}: exists without borsh`);
        const { bytes } = decodeBoth('Account', a.borsh, a.value, `account ${a.address}`);
        assert(a.value.address === a.address, `account ${a.address}: value has another address`);
        verifyInclusion(root, key, bytes, proof);
        post.push([key, bytes]);
      } else {
        assert(a.borsh === null, `account ${a.address}: absent with borsh`);
        assert(sameJSON(a.value, toJSON('Account', accountValue(a.address, '', '0', '0'))), `account ${a.address}: absent but not all zero`);
        verifyNonExistence(root, key, proof);
      }
      ctx.count('state_transition: account proofs verified');
    }
    for (const a of c.genesis.allocations) {
      assert(p.accounts.some((x) => x.address === a.address && x.exists), `genesis account ${a.address} missing from the post-state`);
    }
    expectKeys(p.supply, ['value', 'borsh', 'proof'], [], 'supply');
    const sup = decodeBoth('ChainSupply', p.supply.borsh, p.supply.value, 'supply');
    verifyInclusion(root, supplyKey(), sup.bytes, decodeProof(unhex(p.supply.proof)));
    post.push([supplyKey(), sup.bytes]);
    for (const u of p.usernames) {
      expectKeys(u, ['username', 'address', 'borsh', 'proof'], [], 'username');
      const proof = decodeProof(unhex(u.proof));
      if (u.address !== null) {
        const rec = encodeJSON('UsernameRecord', { address: u.address });
        assert(u.borsh === hex(rec), `username ${u.username}: record ${u.borsh}, want ${hex(rec)}`);
        decode('UsernameRecord', rec);
        verifyInclusion(root, usernameKey(u.username), rec, proof);
        post.push([usernameKey(u.username), rec]);
      } else {
        assert(u.borsh === null, `username ${u.username}: unowned with a record`);
        verifyNonExistence(root, usernameKey(u.username), proof);
      }
      ctx.count('state_transition: username proofs verified');
    }
    ctx.count('state_transition: supply proofs verified');
    // The listed leaves are the whole post-state (the README lists every
    // account and username a case involves), so they must rebuild state_root.
    assert(hex(rootOf(post)) === p.state_root, `post-state leaves give root ${hex(rootOf(post))}, want ${p.state_root}`);
    ctx.count('state_transition: post state roots rebuilt from leaves');
    ctx.count('state_transition: execution NOT re-run (needs an executor)');
  });
}

export const stateRunners = { smt: runSMT, state_transition: runTransition };

/** Runs conformance/vectors-state/. */
export function runStateVectors(opts = {}) {
  return runTree({ dir: STATE_DIR, runners: stateRunners, unlisted: ['README.md'], ...opts });
}
