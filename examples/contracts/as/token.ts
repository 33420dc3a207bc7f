// token: wrapped ORAMA, with balances in contract storage. deposit mints one
// token per ray of ORAMA sent with the call, withdraw burns tokens and sends
// the rays back, transfer moves tokens between accounts.
//
// Balances live in the namespace's key-value store, orama.cache, with a TTL
// of 0 (never expires, never evicted), under "token/balance/" and the
// 20-byte address; the total supply under "token/supply" (DECISIONS.md D27).
// A zero balance is deleted rather than stored.
//
// Exports that move tokens return a status: Status.OK,
// Status.INSUFFICIENT_BALANCE, or Status.INVALID_AMOUNT for an amount of 0.
// Each move emits a "transfer" event: from (20 bytes), to (20 bytes) and the
// amount (u64 little-endian), with the zero address as from for a deposit and
// as to for a withdrawal.
import {
  cacheGet, cacheSet, cacheDelete, caller, oramaValue, transferOrama, emitEvent, logError, Status,
} from "@orama/contract-sdk";
import { addressOf, concat, equal, readU64, u64le, utf8 } from "./lib/common";
export { orama_alloc } from "@orama/contract-sdk";

function balanceKey(owner: Uint8Array): Uint8Array {
  return concat(utf8("token/balance/"), owner);
}

function supplyKey(): Uint8Array {
  return utf8("token/supply");
}

/** Reads a stored u64; absent is 0. */
function read(key: Uint8Array): u64 {
  const v = cacheGet(key);
  return v == null ? 0 : readU64(v);
}

/** Stores v under key with no expiry, or deletes the key when v is 0. */
function write(key: Uint8Array, v: u64): void {
  if (v == 0) {
    cacheDelete(key); // OK or NOT_FOUND: either way the key is gone
    return;
  }
  if (cacheSet(key, u64le(v), 0) != Status.OK) throw new Error("token: set failed");
}

function emitTransfer(from: Uint8Array, to: Uint8Array, amount: u64): void {
  if (emitEvent("transfer", concat(concat(from, to), u64le(amount))) != Status.OK) {
    throw new Error("token: emit failed");
  }
}

/** Mints the ORAMA sent with the call (in rays) to the caller. */
export function deposit(): u32 {
  const amount = oramaValue();
  if (amount == 0) return Status.INVALID_AMOUNT;
  const to = caller();
  // Supply bounds every balance, so only the supply can overflow; it cannot
  // while the contract holds the ORAMA behind it, but trap rather than wrap.
  const supply = read(supplyKey());
  if (supply + amount < supply) throw new Error("token: supply overflow");
  write(supplyKey(), supply + amount);
  write(balanceKey(to), read(balanceKey(to)) + amount);
  emitTransfer(new Uint8Array(20), to, amount);
  return Status.OK;
}

/** Burns amount of the caller's tokens and sends that many rays of ORAMA to the caller. */
export function withdraw(amount: u64): u32 {
  if (amount == 0) return Status.INVALID_AMOUNT;
  const from = caller();
  const bal = read(balanceKey(from));
  if (bal < amount) return Status.INSUFFICIENT_BALANCE;
  write(balanceKey(from), bal - amount);
  write(supplyKey(), read(supplyKey()) - amount);
  // The contract holds at least the supply in ORAMA; if it does not, the
  // books are wrong and the call must not go on.
  const st = transferOrama(from, amount);
  if (st != Status.OK) {
    logError("token: transfer_orama gave status " + st.toString());
    throw new Error("token: reserve short");
  }
  emitTransfer(from, new Uint8Array(20), amount);
  return Status.OK;
}

/** Moves amount tokens from the caller to the address (toHi, toMid, toLo). */
export function transfer(toHi: u64, toMid: u64, toLo: u32, amount: u64): u32 {
  if (amount == 0) return Status.INVALID_AMOUNT;
  const from = caller();
  const to = addressOf(toHi, toMid, toLo);
  const fromBal = read(balanceKey(from));
  if (fromBal < amount) return Status.INSUFFICIENT_BALANCE;
  if (!equal(from, to)) {
    write(balanceKey(from), fromBal - amount);
    write(balanceKey(to), read(balanceKey(to)) + amount); // cannot overflow: at most the supply
  }
  emitTransfer(from, to, amount);
  return Status.OK;
}

/** The balance of the address (hi, mid, lo). */
export function balance_of(hi: u64, mid: u64, lo: u32): u64 {
  return read(balanceKey(addressOf(hi, mid, lo)));
}

/** The tokens in circulation: the ORAMA the contract holds for them. */
export function total_supply(): u64 {
  return read(supplyKey());
}
