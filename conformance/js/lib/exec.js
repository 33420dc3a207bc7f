// A block executor written from spec/state.md alone ("The global state
// tree", "Block execution", "The base fee", "Block 0 and the genesis hash")
// and spec/namespaces.md (1, 3.1, 9: the namespace transactions),
// as a second implementation next to the Go reference (runtime/exec): the
// state-transition vectors are checked by running it, not by reading the
// post-state the vectors list.
//
// All amounts are BigInt; every u64 result is checked to stay below 2^64
// (the spec's "overflows" means the exact result is 2^64 or more).
import { sha256 } from '@noble/hashes/sha2.js';
import { params } from '../../../generated/js/schema.js';
import { decode, encode, enums, payloads } from './codec.js';
import { validateUsername } from './crypto.js';
import { merkleRoot, rootOf } from './smt.js';
import { assert, hex, unhex, U64_MAX } from './util.js';

const utf8 = new TextEncoder();
export const supplyKey = () => sha256(utf8.encode('orama/supply'));
export const usernameKey = (name) => sha256(utf8.encode('orama/username/' + name));
export const namespaceKey = (name) => sha256(utf8.encode('orama/ns/' + name));
export const nodeNamespacesKey = (addressHex) => sha256(concatBytes(utf8.encode('orama/nsnode/'), unhex(addressHex)));
/** The placement tie-break: SHA-256(name || address). */
export const placementKey = (name, addressHex) => sha256(concatBytes(utf8.encode(name), unhex(addressHex)));

function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const ZERO_ADDRESS = '0x' + '00'.repeat(20);
const ZERO_HASH = new Uint8Array(32);
const big = (x) => BigInt(x); // MaxBaseFee is a "size" constant in params.yaml, so a number
const P = {
  InitialBaseFee: big(params.InitialBaseFee),
  MinBaseFee: big(params.MinBaseFee),
  MaxBaseFee: big(params.MaxBaseFee),
  BaseFeeChangeDenominator: big(params.BaseFeeChangeDenominator),
  BlockGasLimit: big(params.BlockGasLimit),
  BlockGasTarget: big(params.BlockGasTarget),
  GasPerDataByte: big(params.GasPerDataByte),
  BlockRewardRays: big(params.BlockRewardRays),
  HalvingIntervalBlocks: big(params.HalvingIntervalBlocks),
  SupplyCapRays: big(params.SupplyCapRays),
  CurveRewardPercent: big(params.CurveRewardPercent),
  CurveInventoryCapRays: big(params.CurveInventoryCapRays),
  EpochLength: big(params.EpochLength),
};
const CURVE_ADDRESS = params.CurveInventoryAddress.toLowerCase();

/** A u64 result: throws when the exact value is outside [0, 2^64). */
function u64(x, what) {
  if (x < 0n || x > U64_MAX) throw new Error(`${what}: ${x} is not a u64 (a case the spec says cannot happen)`);
  return x;
}
const min = (a, b) => (a < b ? a : b);
const max = (a, b) => (a > b ? a : b);

// --- The base fee (spec/state.md "The base fee", DECISIONS.md D9) ---

/** NextBaseFee(parent_base_fee, parent_gas_used), `/` rounding down. */
export function nextBaseFee(parentBaseFee, parentGasUsed) {
  const T = P.BlockGasTarget;
  const D = P.BaseFeeChangeDenominator;
  const b = min(max(parentBaseFee, P.MinBaseFee), P.MaxBaseFee);
  const u = min(parentGasUsed, P.BlockGasLimit);
  let next;
  if (u > T) next = b + max(u64(b * (u - T), 'b x (u - T)') / T / D, 1n);
  else if (u < T) next = b - min(max(u64(b * (T - u), 'b x (T - u)') / T / D, 1n), b);
  else next = b;
  return min(max(next, P.MinBaseFee), P.MaxBaseFee);
}

// --- Intrinsic gas ("Block execution", notation) ---

// The gas constant of each TxType, as params.yaml's docs name them; private
// types are GasTransfer x PrivateGasMultiplier.
const TYPE_GAS = {
  Transfer: 'GasTransfer',
  ClaimUsername: 'GasClaimUsername',
  Stake: 'GasStake',
  Unstake: 'GasStake',
  DEXOrder: 'GasDEXTrade',
  DEXCancel: 'GasDEXTrade',
  BridgeDeposit: 'GasBridge',
  BridgeWithdraw: 'GasBridge',
  NamespaceCommit: 'GasNamespaceCommit',
  NamespaceCreate: 'GasNamespaceCreate',
  NamespaceDelete: 'GasNamespaceDelete',
  GovernancePropose: 'GasGovernance',
  GovernanceVote: 'GasGovernance',
  ReportEquivocation: 'GasReportEquivocation',
  Shield: 'private',
  Unshield: 'private',
  PrivateTransfer: 'private',
};
assert(
  JSON.stringify(Object.keys(TYPE_GAS).sort()) === JSON.stringify(Object.keys(enums.TxType).sort()),
  'exec.js: the gas table does not list exactly the TxType variants of the spec',
);
const typeName = (v) => Object.keys(enums.TxType).find((k) => enums.TxType[k] === v);

export function intrinsicGas(tx) {
  const name = typeName(tx.type);
  assert(name !== undefined, `TxType ${tx.type}`);
  const g = TYPE_GAS[name] === 'private' ? big(params.GasTransfer) * big(params.PrivateGasMultiplier) : big(params[TYPE_GAS[name]]);
  return u64(g + P.GasPerDataByte * BigInt(tx.data.length), 'intrinsic gas');
}

/** The types execution runs today (DECISIONS.md D10, D28). */
const ACTIVE = new Set(['Transfer', 'ClaimUsername', 'NamespaceCreate', 'NamespaceDelete']);

// --- Namespace names (spec/namespaces.md 1) ---

/**
 * A namespace name is a DNS label: MinNamespaceNameBytes to
 * MaxNamespaceNameBytes bytes of [a-z0-9-], starting with a letter, not
 * ending with '-', without "--". Returns whether name is one.
 */
export function validNamespaceName(name) {
  const n = utf8.encode(name).length;
  if (n < Number(params.MinNamespaceNameBytes) || n > Number(params.MaxNamespaceNameBytes)) return false;
  return /^[a-z][a-z0-9-]*$/.test(name) && !name.endsWith('-') && !name.includes('--');
}

// --- The state ("The global state tree") ---

/** One account, as read: an address with no leaf reads as all zero. */
const zeroAccount = (address) => ({ address, username: '', nonce: 0n, orama: 0n, btc: 0n });

export class State {
  constructor() {
    this.accounts = new Map(); // address hex -> account (only addresses with a leaf)
    this.usernames = new Map(); // name -> owner address hex
    this.supply = { minted_rays: 0n, burned_rays: 0n, curve_received_rays: 0n };
    // namespace name -> {name, tier, owner (hex), created_height, nodes: [{node (hex), slot}]}
    this.namespaces = new Map();
    // node address hex -> [{slot, name}] ascending by slot (only nodes with a slot taken)
    this.nodeSlots = new Map();
  }

  clone() {
    const s = new State();
    for (const [k, a] of this.accounts) s.accounts.set(k, { ...a });
    for (const [k, v] of this.usernames) s.usernames.set(k, v);
    s.supply = { ...this.supply };
    for (const [k, r] of this.namespaces) s.namespaces.set(k, { ...r, nodes: r.nodes.map((n) => ({ ...n })) });
    for (const [k, v] of this.nodeSlots) s.nodeSlots.set(k, v.map((x) => ({ ...x })));
    return s;
  }

  /** A node's taken slots, ascending (none without a leaf). */
  slotsOf(node) {
    return (this.nodeSlots.get(node) ?? []).map((x) => ({ ...x }));
  }

  /** Writes a node's slots; none removes its leaf. */
  setSlots(node, slots) {
    if (slots.length === 0) this.nodeSlots.delete(node);
    else this.nodeSlots.set(node, slots.map((x) => ({ ...x })));
  }

  /** The leaf value of a namespace record (Borsh NamespaceRecord). */
  static namespaceBorsh(r) {
    return encode('NamespaceRecord', {
      name: r.name,
      tier: r.tier,
      owner: unhex(r.owner),
      created_height: r.created_height,
      nodes: r.nodes.map((n) => ({ node: unhex(n.node), slot: n.slot })),
    });
  }

  /** The leaf value of a node's slots (Borsh NodeNamespaces). */
  static slotsBorsh(slots) {
    return encode('NodeNamespaces', { slots: slots.map((x) => ({ slot: x.slot, name: x.name })) });
  }

  has(address) {
    return this.accounts.has(address);
  }

  /** A copy of the account as read (all zero without a leaf). */
  get(address) {
    const a = this.accounts.get(address);
    return a ? { ...a } : zeroAccount(address);
  }

  /** Writes the account's leaf (creating it if absent; leaves are never deleted). */
  put(a) {
    this.accounts.set(a.address, { ...a });
  }

  /** The leaf value of an account (Borsh Account; the roots are all zero in phase 1). */
  static accountBorsh(a) {
    return encode('Account', {
      address: unhex(a.address),
      username: a.username,
      nonce: a.nonce,
      orama_balance: a.orama,
      btc_balance: a.btc,
      code_hash: ZERO_HASH,
      storage_root: ZERO_HASH,
      commitment_root: ZERO_HASH,
      nullifier_root: ZERO_HASH,
    });
  }

  supplyBorsh() {
    return encode('ChainSupply', this.supply);
  }

  /** Every leaf of the state tree: [key, value] pairs. */
  leaves() {
    const out = [];
    for (const a of this.accounts.values()) out.push([unhex(a.address), State.accountBorsh(a)]);
    for (const [name, owner] of this.usernames) out.push([usernameKey(name), encode('UsernameRecord', { address: unhex(owner) })]);
    out.push([supplyKey(), this.supplyBorsh()]);
    for (const [name, r] of this.namespaces) out.push([namespaceKey(name), State.namespaceBorsh(r)]);
    for (const [node, slots] of this.nodeSlots) out.push([nodeNamespacesKey(node), State.slotsBorsh(slots)]);
    return out;
  }

  root() {
    return rootOf(this.leaves());
  }
}

/**
 * The genesis state (state.md "Block 0 and the genesis hash"): an account per
 * allocation, a username leaf per allocation username, and the supply leaf
 * whose minted_rays is the sum of the ORAMA allocations. Takes the decoded
 * Genesis (borsh-js value).
 */
export function genesisState(g) {
  const s = new State();
  for (const a of g.allocations) {
    const address = hex(Uint8Array.from(a.address));
    assert(!s.has(address), `genesis: ${address} allocated twice`);
    s.put({ address, username: a.username, nonce: 0n, orama: a.orama_balance, btc: a.btc_balance });
    if (a.username !== '') {
      assert(!s.usernames.has(a.username), `genesis: username ${a.username} allocated twice`);
      s.usernames.set(a.username, address);
    }
    s.supply.minted_rays = u64(s.supply.minted_rays + a.orama_balance, 'genesis minted_rays');
  }
  return s;
}

/**
 * Block 0's header, built from the genesis alone: its Borsh encoding and
 * hash (the genesis block hash, the parent of block 1).
 */
export function genesisHeader(g, genesisHash, stateRoot) {
  const header = {
    height: 0n,
    parent_hash: genesisHash,
    state_root: stateRoot,
    transactions_root: merkleRoot([]),
    receipts_root: merkleRoot([]),
    timestamp: g.timestamp,
    proposer: new Uint8Array(20),
    epoch: 0n,
    view: 0n,
    base_fee: P.InitialBaseFee,
    gas_used: 0n,
    qc: { view: 0n, height: 0n, block_hash: new Uint8Array(32), votes: [] },
    timeout_cert: null,
  };
  const bytes = encode('BlockHeader', header);
  return { header, bytes, hash: sha256(bytes) };
}

// --- Block execution ---

const ASSET_FIELD = { [enums.Asset.Orama]: 'orama', [enums.Asset.BTC]: 'btc' };

/**
 * Includability at the transaction's place ("Includability"): the first rule
 * that fails, as a TxStatus name, or null. Signatures (rule 1) are taken as
 * verified, as the vectors ask.
 */
export function notIncludable(s, tx, baseFee, gasLeft) {
  if (tx.gas_limit < intrinsicGas(tx)) return 'GasLimitTooLow';
  if (tx.gas_limit > gasLeft) return 'BlockGasExceeded';
  if (tx.gas_tip_cap > tx.gas_fee_cap) return 'TipAboveFeeCap';
  if (tx.gas_fee_cap < baseFee) return 'FeeCapBelowBaseFee';
  const sender = s.get(hex(Uint8Array.from(tx.from)));
  if (tx.nonce !== sender.nonce) return 'BadNonce';
  const maxFee = tx.gas_limit * tx.gas_fee_cap;
  if (maxFee > U64_MAX) return 'AmountOverflow';
  if (sender.orama < maxFee) return 'InsufficientBalance';
  return null;
}

/**
 * Placement (spec/namespaces.md 9): the pool's nodes with fewer than
 * MaxNamespacesPerNode slots taken, sorted by (slots taken, SHA-256(name ||
 * address)); the first `want`, each in its lowest free slot. Returns
 * [{node, slot}] or null when fewer than want (or none) have a free slot.
 */
function place(s, pool, name, want) {
  const cands = pool
    .map((node) => ({ node, used: s.slotsOf(node).length, key: hex(placementKey(name, node)) }))
    .filter((c) => c.used < Number(params.MaxNamespacesPerNode));
  if (want < 1 || cands.length < want) return null;
  cands.sort((a, b) => a.used - b.used || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return cands.slice(0, want).map(({ node }) => {
    const taken = new Set(s.slotsOf(node).map((x) => x.slot));
    let slot = 0;
    while (taken.has(slot)) slot++;
    return { node, slot };
  });
}

/** NamespaceCreate and NamespaceDelete after the stateless rules (spec/namespaces.md 3.1). */
function runNamespace(s, name, payload, from, env) {
  if (name === 'NamespaceCreate') {
    if (s.namespaces.has(payload.name)) return { status: 'NamespaceExists' };
    const pool = env.validators;
    const want = payload.nodes === 0 ? Math.min(Number(params.DefaultNamespaceNodes), pool.length) : payload.nodes;
    const minV = Number(params.MinNamespaceValidators);
    if (payload.tier === enums.NamespaceTier.Tier1 && want < minV && pool.length >= minV) return { status: 'InvalidNamespace' };
    const nodes = place(s, pool, payload.name, want);
    if (nodes === null) return { status: 'NamespacePoolFull' };
    const rec = { name: payload.name, tier: payload.tier, owner: from, created_height: env.height, nodes };
    return {
      status: 'Success',
      write: (st) => {
        st.namespaces.set(rec.name, rec);
        for (const { node, slot } of nodes) {
          const slots = st.slotsOf(node);
          slots.push({ slot, name: rec.name });
          slots.sort((a, b) => a.slot - b.slot);
          st.setSlots(node, slots);
        }
      },
      event: {
        topic: 'namespace_created',
        type: 'NamespaceCreatedEvent',
        data: { name: rec.name, tier: rec.tier, owner: unhex(from), nodes: nodes.map((n) => ({ node: unhex(n.node), slot: n.slot })) },
      },
    };
  }
  const rec = s.namespaces.get(payload.name);
  if (rec === undefined) return { status: 'UnknownNamespace' };
  if (rec.owner !== from) return { status: 'NotOwner' };
  // Tier 1 may hold value the global chain cannot see: never deleted (D28).
  if (rec.tier !== enums.NamespaceTier.Tier0) return { status: 'NamespaceNotEmpty' };
  return {
    status: 'Success',
    write: (st) => {
      st.namespaces.delete(rec.name);
      for (const { node } of rec.nodes) st.setSlots(node, st.slotsOf(node).filter((x) => x.name !== rec.name));
    },
    event: { topic: 'namespace_deleted', type: 'NamespaceDeletedEvent', data: { name: rec.name } },
  };
}

/** The type's rules ("Fee, nonce, then the type", step 3): a failure name, or the effects to write. */
function runType(s, tx, from, env) {
  const name = typeName(tx.type);
  if (!ACTIVE.has(name)) return { status: 'UnsupportedType' };
  const T = payloads.TxType[name];
  let payload = null;
  if (T === null) {
    if (tx.data.length !== 0) return { status: 'InvalidPayload' };
  } else {
    try {
      payload = decode(T, Uint8Array.from(tx.data));
    } catch {
      return { status: 'InvalidPayload' };
    }
  }
  const to = hex(Uint8Array.from(tx.to));
  if (name === 'NamespaceCreate' || name === 'NamespaceDelete') {
    if (to !== ZERO_ADDRESS) return { status: 'InvalidRecipient' };
    if (!(tx.amount === 0n && tx.asset === enums.Asset.Orama)) return { status: 'InvalidAmount' };
    if (!validNamespaceName(payload.name)) return { status: 'InvalidNamespace' };
    if (name === 'NamespaceCreate' && payload.nodes > Number(params.MaxNamespaceNodes)) return { status: 'InvalidNamespace' };
    return runNamespace(s, name, payload, from, env);
  }
  if (name === 'ClaimUsername') {
    if (to !== ZERO_ADDRESS) return { status: 'InvalidRecipient' };
    if (!(tx.amount === 0n && tx.asset === enums.Asset.Orama)) return { status: 'InvalidAmount' };
    try {
      validateUsername(payload.username);
    } catch {
      return { status: 'UsernameInvalid' };
    }
    const sender = s.get(from);
    if (sender.username !== '') return { status: 'UsernameAlreadySet' };
    const owner = s.usernames.get(payload.username);
    if (owner !== undefined && owner !== from) return { status: 'UsernameTaken' };
    sender.username = payload.username;
    return {
      status: 'Success',
      write: (st) => {
        st.put(sender);
        st.usernames.set(payload.username, from);
      },
      event: { topic: 'username', type: 'UsernameClaimedEvent', data: { address: unhex(from), username: payload.username } },
    };
  }
  // Transfer: debit the sender (after the fee), then credit the recipient.
  const field = ASSET_FIELD[tx.asset];
  assert(field, `asset ${tx.asset}`);
  const sender = s.get(from);
  if (sender[field] < tx.amount) return { status: 'InsufficientBalance' };
  sender[field] -= tx.amount;
  const recipient = to === from ? sender : s.get(to);
  if (recipient[field] + tx.amount > U64_MAX) return { status: 'AmountOverflow' };
  recipient[field] += tx.amount;
  return {
    status: 'Success',
    write: (st) => {
      st.put(sender);
      st.put(recipient); // even for a zero amount
    },
    event: { topic: 'transfer', type: 'TransferEvent', data: { from: unhex(from), to: unhex(to), amount: tx.amount, asset: tx.asset } },
  };
}

/** Step 1-3 for an includable transaction: mutates s, returns the receipt (borsh-js value). */
function include(s, tx, txHash, env) {
  const { base_fee: baseFee, proposer } = env;
  const from = hex(Uint8Array.from(tx.from));
  // 1. The fee.
  const gasUsed = intrinsicGas(tx);
  const tip = min(tx.gas_tip_cap, tx.gas_fee_cap - baseFee);
  const burned = gasUsed * baseFee;
  const tipped = gasUsed * tip;
  const sender = s.get(from);
  sender.orama = u64(sender.orama - burned - tipped, 'sender balance after the fee');
  // 2. The nonce.
  sender.nonce = u64(sender.nonce + 1n, 'nonce');
  s.put(sender);
  s.supply.burned_rays = u64(s.supply.burned_rays + burned, 'burned_rays');
  if (tipped > 0n) {
    const p = s.get(proposer);
    p.orama = u64(p.orama + tipped, 'proposer balance');
    s.put(p);
  }
  // 3. The type.
  const r = runType(s, tx, from, env);
  const events = [];
  if (r.status === 'Success') {
    r.write(s);
    events.push({ emitter: unhex(from), topic: r.event.topic, data: encode(r.event.type, r.event.data) });
  }
  return { tx_hash: txHash, status: enums.TxStatus[r.status], gas_used: gasUsed, fee_burned: burned, fee_tip: tipped, events };
}

/** The block reward after the transactions (height >= 1). */
function reward(s, height, proposer) {
  if (height < 1n) return;
  const halvings = (height - 1n) / P.HalvingIntervalBlocks;
  let r = halvings >= 64n ? 0n : P.BlockRewardRays >> halvings;
  r = min(r, P.SupplyCapRays > s.supply.minted_rays ? P.SupplyCapRays - s.supply.minted_rays : 0n);
  if (r === 0n) return;
  s.supply.minted_rays = u64(s.supply.minted_rays + r, 'minted_rays');
  let curve = 0n;
  if (s.supply.curve_received_rays < P.CurveInventoryCapRays) {
    curve = min((r * P.CurveRewardPercent) / 100n, P.CurveInventoryCapRays - s.supply.curve_received_rays);
  }
  if (curve > 0n) {
    const c = s.get(CURVE_ADDRESS);
    c.orama = u64(c.orama + curve, 'curve inventory balance');
    s.put(c);
    s.supply.curve_received_rays += curve;
  }
  if (r - curve > 0n) {
    const p = s.get(proposer);
    p.orama = u64(p.orama + (r - curve), 'proposer balance');
    s.put(p);
  }
}

/**
 * Executes a block body on pre (which is not changed) at env {height,
 * proposer (hex), base_fee (BigInt), validators: [hex]}: validators is the
 * pool NamespaceCreate places on, the genesis validators while staking is
 * inactive. txs: [{tx (borsh-js value), hash (bytes)}]. Returns {refused: {index, reason}} when a transaction is not
 * includable at its place (the block is invalid), else {state, receipts,
 * gasUsed, transactionsRoot, receiptsRoot, stateRoot}.
 */
export function executeBlock(pre, env, txs) {
  const s = pre.clone();
  const receipts = [];
  let gasUsed = 0n;
  for (let i = 0; i < txs.length; i++) {
    const { tx, hash } = txs[i];
    const why = notIncludable(s, tx, env.base_fee, P.BlockGasLimit - gasUsed);
    if (why !== null) return { refused: { index: i, reason: why } };
    const r = include(s, tx, hash, env);
    gasUsed += r.gas_used;
    receipts.push(r);
  }
  reward(s, env.height, env.proposer);
  const receiptBytes = receipts.map((r) => encode('Receipt', r));
  return {
    state: s,
    receipts,
    receiptBytes,
    gasUsed,
    transactionsRoot: merkleRoot(txs.map((t) => t.hash)),
    receiptsRoot: merkleRoot(receiptBytes.map((b) => sha256(b))),
    stateRoot: s.root(),
  };
}
