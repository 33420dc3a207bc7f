// counter: one u64 in contract storage, read and written by every increment.
//
// The ABI (spec/contracts.md) has no per-contract key-value functions yet, so
// the count lives in the namespace's key-value store, orama.cache, with a TTL
// of 0: such an entry never expires and is never evicted (DECISIONS.md D25),
// it is namespace state, and a failed call leaves it as it was. Keys start
// with the contract's name because the store is shared by the namespace's
// contracts (DECISIONS.md D27).
import { cacheGet, cacheSet, cacheDelete, Status } from "@orama/contract-sdk";
import { readU64, u64le, utf8 } from "./lib/common";
export { orama_alloc } from "@orama/contract-sdk";

/** The storage key of the count. */
function countKey(): Uint8Array {
  return utf8("counter/n");
}

/** The count; 0 before the first increment. */
function current(): u64 {
  const v = cacheGet(countKey());
  return v == null ? 0 : readU64(v);
}

/**
 * Adds by to the count and returns the new count. An overflow traps, so the
 * count never wraps (the call then writes nothing).
 */
export function increment(by: u64): u64 {
  const n = current() + by;
  if (n < by) throw new Error("counter: overflow");
  if (cacheSet(countKey(), u64le(n), 0) != Status.OK) throw new Error("counter: set failed");
  return n;
}

/** Returns the count. */
export function get(): u64 {
  return current();
}

/** Deletes the count: Status.OK, or Status.NOT_FOUND if it was never set. */
export function reset(): u32 {
  return cacheDelete(countKey());
}
