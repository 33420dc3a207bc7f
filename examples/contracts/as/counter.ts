// counter: one u64 in the contract's own key-value state (orama.state), read
// and written by every increment.
//
// orama.state is scoped to the running contract: no other contract can read
// or change the count, so the key needs no prefix. An entry never expires,
// and a call that fails or traps leaves it as it was.
import { stateGet, stateSet, stateDelete, Status } from "@orama/contract-sdk";
import { readU64, u64le, utf8 } from "./lib/common";
export { orama_alloc } from "@orama/contract-sdk";

/** The state key of the count. */
function countKey(): Uint8Array {
  return utf8("n");
}

/** The count; 0 before the first increment. */
function current(): u64 {
  const v = stateGet(countKey());
  return v == null ? 0 : readU64(v);
}

/**
 * Adds by to the count and returns the new count. An overflow traps, so the
 * count never wraps (the call then writes nothing).
 */
export function increment(by: u64): u64 {
  const n = current() + by;
  if (n < by) throw new Error("counter: overflow");
  if (stateSet(countKey(), u64le(n)) != Status.OK) throw new Error("counter: set failed");
  return n;
}

/** Returns the count. */
export function get(): u64 {
  return current();
}

/** Deletes the count: Status.OK, or Status.NOT_FOUND if it was never set. */
export function reset(): u32 {
  return stateDelete(countKey());
}
