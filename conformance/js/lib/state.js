// Runners for conformance/vectors-state/ (format: its README.md, format_version 3).
//
// smt: fully checked (roots after every step recomputed from the key set,
// proofs decoded, re-encoded, verified and rebuilt, malformed proofs rejected
// for their stated reason).
//
// base_fee: NextBaseFee re-implemented from spec/state.md ("The base fee")
// in BigInt (lib/exec.js) and compared.
//
// state_transition: everything is checked, execution included. The genesis
// (strict decode, JSON, hash) builds the genesis state (lib/exec.js, from
// spec/state.md) whose root must be pre_state_root, and block 0's header,
// built from the genesis alone, must encode to genesis_block.borsh and hash
// to genesis_block.hash. Every transaction is decoded (JSON, hash) and the
// block is executed by this runner's own executor (lib/exec.js): a refused
// case must be refused at exactly refused.index for refused.reason with the
// state unchanged; otherwise the executor's receipts (Borsh bytes and hash),
// transactions_root, receipts_root, gas_used, state_root, and every listed
// account, username and the supply leaf must equal the vector's. The vector's
// own values are also checked for form (decode, JSON, hashes) and its leaves
// against their proofs and against state_root rebuilt from them.
import { fileURLToPath } from 'node:url';
import { checkPayload, decode, encode, encodeJSON, enums, fromJSON, objectHash, sameJSON, toJSON } from './codec.js';
import { State, executeBlock, genesisHeader, genesisState, namespaceKey, nextBaseFee, nodeNamespacesKey, supplyKey, usernameKey } from './exec.js';
import { runTree } from './manifest.js';
import { ProofError, decodeProof, encodeProof, merkleRoot, prove, rootOf, verifyInclusion, verifyNonExistence } from './smt.js';
import { assert, equalBytes, expectKeys, hex, parseU64, unhex } from './util.js';

export const STATE_DIR = fileURLToPath(new URL('../../vectors-state/', import.meta.url));

export { supplyKey, usernameKey };

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

// --- base_fee ---

export function runBaseFee(vf, ctx) {
  forCases(vf, ctx, (c) => {
    expectKeys(c, ['name', 'doc', 'parent_base_fee', 'parent_gas_used', 'next_base_fee'], [], 'case');
    const got = nextBaseFee(parseU64(c.parent_base_fee), parseU64(c.parent_gas_used));
    assert(got === parseU64(c.next_base_fee), `NextBaseFee(${c.parent_base_fee}, ${c.parent_gas_used}) = ${got}, vector says ${c.next_base_fee}`);
    ctx.count('base_fee: NextBaseFee recomputed');
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

/** Block 0's JSON as the vectors write it: an empty list is [], never null. */
function genesisBlockJSON(value) {
  if (!Array.isArray(value?.qc?.votes)) throw new Error('genesis_block.value.qc.votes is not a list');
  return value;
}

export function runTransition(vf, ctx) {
  forCases(vf, ctx, (c) => {
    expectKeys(c, ['name', 'doc', 'addresses', 'genesis', 'genesis_borsh', 'genesis_hash', 'genesis_block', 'pre_state_root', 'env', 'transactions', 'refused', 'post'], [], 'case');
    for (const a of c.addresses) expectKeys(a, ['name', 'address'], [], 'addresses'); // names for readers only

    // 1. Genesis, the state it builds, and block 0 (spec/state.md).
    const g = decodeBoth('Genesis', c.genesis_borsh, c.genesis, 'genesis');
    const genesisHash = objectHash('Genesis', g.bytes);
    assert(hex(genesisHash) === c.genesis_hash, 'genesis hash');
    const pre = genesisState(g.v);
    const preRoot = pre.root();
    assert(hex(preRoot) === c.pre_state_root, `genesis state root ${hex(preRoot)}, want ${c.pre_state_root}`);
    // The same root from the allocations directly, without the executor's State.
    const leaves = [];
    let minted = 0n;
    for (const a of c.genesis.allocations) {
      leaves.push([unhex(a.address), encode('Account', accountValue(a.address, a.username, a.orama_balance, a.btc_balance))]);
      if (a.username !== '') leaves.push([usernameKey(a.username), encodeJSON('UsernameRecord', { address: a.address })]);
      minted += BigInt(a.orama_balance);
    }
    leaves.push([supplyKey(), encode('ChainSupply', { minted_rays: minted, burned_rays: 0n, curve_received_rays: 0n })]);
    assert(equalBytes(rootOf(leaves), preRoot), 'genesis state root: two constructions differ');

    expectKeys(c.genesis_block, ['value', 'borsh', 'hash'], [], 'genesis_block');
    const gb = decodeBoth('BlockHeader', c.genesis_block.borsh, genesisBlockJSON(c.genesis_block.value, ctx), 'genesis_block');
    const own = genesisHeader(g.v, genesisHash, preRoot);
    assert(equalBytes(own.bytes, gb.bytes), `genesis_block: built from the genesis\n got ${hex(own.bytes)}\nwant ${c.genesis_block.borsh}`);
    assert(hex(objectHash('BlockHeader', gb.bytes)) === c.genesis_block.hash, 'genesis_block: hash of its borsh');
    assert(hex(own.hash) === c.genesis_block.hash, `genesis_block: hash ${hex(own.hash)}, want ${c.genesis_block.hash}`);
    ctx.count('state_transition: genesis blocks built and hashed');

    // The block environment.
    expectKeys(c.env, ['height', 'proposer', 'base_fee'], [], 'env');
    // The namespace pool: the genesis validators (staking is inactive).
    const validators = g.v.validators.map((v) => hex(Uint8Array.from(v.address)));
    const env = { height: parseU64(c.env.height), proposer: c.env.proposer, base_fee: parseU64(c.env.base_fee), validators };
    assert(unhex(c.env.proposer).length === 20, 'env.proposer');

    // 2. Transactions and their hashes.
    const txs = c.transactions.map((t, i) => {
      expectKeys(t, ['value', 'borsh', 'hash'], [], `transaction ${i}`);
      const { v, bytes } = decodeBoth('Transaction', t.borsh, t.value, `transaction ${i}`);
      const h = objectHash('Transaction', bytes);
      assert(hex(h) === t.hash, `transaction ${i}: hash ${hex(h)}, want ${t.hash}`);
      return { tx: v, hash: h };
    });

    // 3. Execute with this runner's executor.
    const out = executeBlock(pre, env, txs);
    assert(hex(pre.root()) === c.pre_state_root, 'executing changed the pre-state');

    if (c.refused !== null) {
      expectKeys(c.refused, ['index', 'reason'], [], 'refused');
      assert(Number.isInteger(c.refused.index) && c.refused.index >= 0 && c.refused.index < txs.length, `refused.index ${c.refused.index}`);
      assert(Object.hasOwn(enums.TxStatus, c.refused.reason) && c.refused.reason !== 'Success', `refused.reason ${c.refused.reason}`);
      assert(c.post === null, 'a refused block has a post-state');
      assert(out.refused, `the block should be refused at transaction ${c.refused.index} (${c.refused.reason}); this executor includes every transaction`);
      assert(
        out.refused.index === c.refused.index && out.refused.reason === c.refused.reason,
        `refused at transaction ${out.refused.index} (${out.refused.reason}), want ${c.refused.index} (${c.refused.reason})`,
      );
      ctx.count('state_transition: refused blocks refused at the same transaction for the same reason');
      return;
    }
    assert(!out.refused, `the executor refuses the block at transaction ${out.refused?.index} (${out.refused?.reason}); the vector includes it`);
    ctx.count('state_transition: blocks executed');
    const p = c.post;
    expectKeys(p, ['state_root', 'transactions_root', 'receipts_root', 'gas_used', 'receipts', 'accounts', 'supply', 'usernames', 'namespaces', 'namespace_nodes'], [], 'post');

    // 4. Receipts, roots and gas against the executor's.
    assert(hex(out.transactionsRoot) === p.transactions_root, 'transactions_root');
    assert(p.receipts.length === txs.length, `${p.receipts.length} receipts for ${txs.length} transactions`);
    let gas = 0n;
    const receiptHashes = p.receipts.map((r, i) => {
      expectKeys(r, ['value', 'borsh', 'hash'], [], `receipt ${i}`);
      const { v, bytes } = decodeBoth('Receipt', r.borsh, r.value, `receipt ${i}`);
      const h = objectHash('Receipt', bytes);
      assert(hex(h) === r.hash, `receipt ${i}: hash`);
      assert(equalBytes(Uint8Array.from(v.tx_hash), txs[i].hash), `receipt ${i}: tx_hash is not transaction ${i}'s`);
      assert(
        equalBytes(out.receiptBytes[i], bytes),
        `receipt ${i}: executor gives\n ${JSON.stringify(toJSON('Receipt', out.receipts[i]))}\nvector ${JSON.stringify(r.value)}`,
      );
      gas += v.gas_used;
      // A successful transaction's data is the payload its type names.
      if (v.status === enums.TxStatus.Success) {
        checkPayload('TxType', txs[i].tx.type, txs[i].tx.data);
        ctx.count("state_transition: successful transactions' payloads decoded by type");
      }
      ctx.count('state_transition: receipts equal to the executor\'s');
      return h;
    });
    assert(hex(merkleRoot(receiptHashes)) === p.receipts_root, 'receipts_root');
    assert(hex(out.receiptsRoot) === p.receipts_root, 'receipts_root: the executor\'s differs');
    assert(gas === parseU64(p.gas_used), `gas_used: receipts sum to ${gas}, block says ${p.gas_used}`);
    assert(out.gasUsed === gas, `gas_used: the executor's is ${out.gasUsed}`);
    assert(hex(out.stateRoot) === p.state_root, `state_root: the executor's is ${hex(out.stateRoot)}, want ${p.state_root}`);
    ctx.count('state_transition: post state roots equal to the executor\'s');

    // 5. Post-state leaves, their proofs, and the root they make together;
    // each also equal to the executor's state.
    const st = out.state;
    const root = unhex(p.state_root);
    const post = [];
    let last = '';
    for (const a of p.accounts) {
      expectKeys(a, ['address', 'exists', 'value', 'borsh', 'proof'], [], 'account');
      assert(a.address > last, 'accounts are not sorted by address');
      last = a.address;
      const key = unhex(a.address);
      const proof = decodeProof(unhex(a.proof));
      assert(a.exists === st.has(a.address), `account ${a.address}: exists ${a.exists}, the executor says ${st.has(a.address)}`);
      if (a.exists) {
        assert(a.borsh !== null, `account ${a.address}: exists without borsh`);
        const { bytes } = decodeBoth('Account', a.borsh, a.value, `account ${a.address}`);
        assert(a.value.address === a.address, `account ${a.address}: value has another address`);
        const mine = State.accountBorsh(st.get(a.address));
        assert(equalBytes(mine, bytes), `account ${a.address}: the executor's is ${JSON.stringify(toJSON('Account', decode('Account', mine)))}`);
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
    assert(equalBytes(st.supplyBorsh(), sup.bytes), `supply: the executor's is ${JSON.stringify(toJSON('ChainSupply', st.supply))}`);
    verifyInclusion(root, supplyKey(), sup.bytes, decodeProof(unhex(p.supply.proof)));
    post.push([supplyKey(), sup.bytes]);
    let lastName = null;
    for (const u of p.usernames) {
      expectKeys(u, ['username', 'address', 'borsh', 'proof'], [], 'username');
      assert(lastName === null || u.username > lastName, 'usernames are not sorted');
      lastName = u.username;
      const proof = decodeProof(unhex(u.proof));
      const owner = st.usernames.get(u.username) ?? null;
      assert(u.address === owner, `username ${u.username}: owner ${u.address}, the executor says ${owner}`);
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
    let lastNs = null;
    for (const n of p.namespaces) {
      expectKeys(n, ['name', 'value', 'borsh', 'proof'], [], 'namespace');
      assert(lastNs === null || n.name > lastNs, 'namespaces are not sorted');
      lastNs = n.name;
      const proof = decodeProof(unhex(n.proof));
      const rec = st.namespaces.get(n.name);
      assert((n.borsh !== null) === (rec !== undefined), `namespace ${n.name}: present ${n.borsh !== null}, the executor says ${rec !== undefined}`);
      if (rec !== undefined) {
        const { bytes } = decodeBoth('NamespaceRecord', n.borsh, n.value, `namespace ${n.name}`);
        const mine = State.namespaceBorsh(rec);
        assert(equalBytes(mine, bytes), `namespace ${n.name}: the executor's is ${JSON.stringify(toJSON('NamespaceRecord', decode('NamespaceRecord', mine)))}`);
        verifyInclusion(root, namespaceKey(n.name), bytes, proof);
        post.push([namespaceKey(n.name), bytes]);
      } else {
        assert(n.value === null, `namespace ${n.name}: absent with a value`);
        verifyNonExistence(root, namespaceKey(n.name), proof);
      }
      ctx.count('state_transition: namespace proofs verified');
    }
    assert(sameJSON(p.namespace_nodes.map((x) => x.address), validators), 'namespace_nodes are not the genesis validators in order');
    for (const n of p.namespace_nodes) {
      expectKeys(n, ['address', 'value', 'borsh', 'proof'], [], 'namespace node');
      const proof = decodeProof(unhex(n.proof));
      const slots = st.slotsOf(n.address);
      assert(sameJSON(n.value, toJSON('NodeNamespaces', decode('NodeNamespaces', State.slotsBorsh(slots)))), `node ${n.address}: slots ${JSON.stringify(n.value)}, the executor's ${JSON.stringify(slots)}`);
      if (slots.length > 0) {
        assert(n.borsh !== null, `node ${n.address}: slots without borsh`);
        const { bytes } = decodeBoth('NodeNamespaces', n.borsh, n.value, `node ${n.address}`);
        assert(equalBytes(State.slotsBorsh(slots), bytes), `node ${n.address}: borsh differs from the executor's`);
        verifyInclusion(root, nodeNamespacesKey(n.address), bytes, proof);
        post.push([nodeNamespacesKey(n.address), bytes]);
      } else {
        assert(n.borsh === null, `node ${n.address}: no slots, but borsh`);
        verifyNonExistence(root, nodeNamespacesKey(n.address), proof);
      }
      ctx.count('state_transition: namespace node proofs verified');
    }
    // The listed leaves are the whole post-state (the README lists every
    // account and username a case involves), so they must rebuild state_root.
    assert(hex(rootOf(post)) === p.state_root, `post-state leaves give root ${hex(rootOf(post))}, want ${p.state_root}`);
    ctx.count('state_transition: post state roots rebuilt from leaves');
  });
}

export const stateRunners = { smt: runSMT, state_transition: runTransition, base_fee: runBaseFee };

/** Runs conformance/vectors-state/ (format_version 3). */
export function runStateVectors(opts = {}) {
  return runTree({ dir: STATE_DIR, formatVersion: 3, runners: stateRunners, unlisted: ['README.md'], ...opts });
}
