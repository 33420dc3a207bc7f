// A block executor written from spec/state.md alone ("The global state
// tree", "Block execution", "The base fee", "Block 0 and the genesis hash"),
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

/** The types execution runs today (DECISIONS.md D10). */
const ACTIVE = new Set(['Transfer', 'ClaimUsername']);

// --- The state ("The global state tree") ---

/** One account, as read: an address with no leaf reads as all zero. */
const zeroAccount = (address) => ({ address, username: '', nonce: 0n, orama: 0n, btc: 0n });

export class State {
  constructor() {
    this.accounts = new Map(); // address hex -> account (only addresses with a leaf)
    this.usernames = new Map(); // name -> owner address hex
    this.supply = { minted_rays: 0n, burned_rays: 0n, curve_received_rays: 0n };
  }

  clone() {
    const s = new State();
    for (const [k, a] of this.accounts) s.accounts.set(k, { ...a });
    for (const [k, v] of this.usernames) s.usernames.set(k, v);
    s.supply = { ...this.supply };
    return s;
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

/** The type's rules ("Fee, nonce, then the type", step 3): a failure name, or the effects to write. */
function runType(s, tx, from) {
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
function include(s, tx, txHash, baseFee, proposer) {
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
  const r = runType(s, tx, from);
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
 * proposer (hex), base_fee} (BigInt). txs: [{tx (borsh-js value), hash
 * (bytes)}]. Returns {refused: {index, reason}} when a transaction is not
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
    const r = include(s, tx, hash, env.base_fee, env.proposer);
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
