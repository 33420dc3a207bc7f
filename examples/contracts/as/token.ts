// token: wrapped ORAMA, with balances in contract storage. deposit mints one
// token per ray of ORAMA sent with the call, withdraw burns tokens and sends
// the rays back, transfer moves tokens between accounts.
//
// Balances live in the contract's own key-value state (orama.state, which no
// other contract can read or write) under "balance/" and the 20-byte
// address; the total supply under "supply". A zero balance is deleted rather
// than stored.
//
// transfer takes its arguments from the call's input bytes (orama.ctx.input),
// Borsh-encoded: the recipient ([u8; 20]) then the amount (u64); input of any
// other length traps. The other exports take i32/i64 parameters.
//
// Every transfer is also recorded in the namespace's SQL table transfers
// (created by init, which a deploy runs): one row per successful transfer.
//
// Exports that move tokens return a status: Status.OK,
// Status.INSUFFICIENT_BALANCE, or Status.INVALID_AMOUNT for an amount of 0.
// Each move emits a "transfer" event: from (20 bytes), to (20 bytes) and the
// amount (u64 little-endian), with the zero address as from for a deposit and
// as to for a withdrawal.
import {
  stateGet, stateSet, stateDelete, caller, self, input, oramaValue, getBalance, transferOrama, emitEvent, logError,
  Status, BorshReader, exec, SqlValue,
} from "@orama/contract-sdk";
import { addressOf, concat, equal, readU64, u64le, utf8 } from "./lib/common";
export { orama_alloc } from "@orama/contract-sdk";

const SCHEMA = `CREATE TABLE IF NOT EXISTS transfers (
  id        INTEGER PRIMARY KEY,
  sender    BLOB    NOT NULL,
  recipient BLOB    NOT NULL,
  amount    INTEGER NOT NULL
)`;

/** Creates the transfers table (again: a no-op). Returns the statement's status. */
export function init(): u32 {
  return exec(SCHEMA).status;
}

function balanceKey(owner: Uint8Array): Uint8Array {
  return concat(utf8("balance/"), owner);
}

function supplyKey(): Uint8Array {
  return utf8("supply");
}

/** Reads a stored u64; absent is 0. */
function read(key: Uint8Array): u64 {
  const v = stateGet(key);
  return v == null ? 0 : readU64(v);
}

/** Stores v under key, or deletes the key when v is 0. */
function write(key: Uint8Array, v: u64): void {
  if (v == 0) {
    stateDelete(key); // OK or NOT_FOUND: either way the key is gone
    return;
  }
  if (stateSet(key, u64le(v)) != Status.OK) throw new Error("token: set failed");
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
  // The contract holds at least the supply in ORAMA; if it does not, the
  // books are wrong and the call must not go on.
  if (getBalance(self(), 0) < amount) throw new Error("token: reserve short");
  write(balanceKey(from), bal - amount);
  write(supplyKey(), read(supplyKey()) - amount);
  const st = transferOrama(from, amount);
  if (st != Status.OK) {
    logError("token: transfer_orama gave status " + st.toString());
    throw new Error("token: reserve short");
  }
  emitTransfer(from, new Uint8Array(20), amount);
  return Status.OK;
}

/**
 * Moves tokens from the caller to another address. The call's input is
 * Borsh { to: [u8; 20], amount: u64 }: 28 bytes, or the call traps.
 */
export function transfer(): u32 {
  const args = new BorshReader(input());
  const to = args.raw(20);
  const amount = args.u64();
  args.finish(); // nothing may follow
  if (amount == 0) return Status.INVALID_AMOUNT;
  const from = caller();
  const fromBal = read(balanceKey(from));
  if (fromBal < amount) return Status.INSUFFICIENT_BALANCE;
  if (!equal(from, to)) {
    write(balanceKey(from), fromBal - amount);
    write(balanceKey(to), read(balanceKey(to)) + amount); // cannot overflow: at most the supply
  }
  const r = exec("INSERT INTO transfers (sender, recipient, amount) VALUES (?1, ?2, ?3)", [
    SqlValue.blob(from), SqlValue.blob(to), SqlValue.integer(<i64>amount),
  ]);
  if (!r.ok) throw new Error("token: recording the transfer failed (was init run?)");
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
