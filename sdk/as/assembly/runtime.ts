// The ABI's memory side for AssemblyScript contracts (spec/contracts.md):
// the allocator the host writes results through, and reading those results.

/**
 * The allocator the host writes results through. Export it from your
 * contract's entry file: `export { orama_alloc } from "@orama/contract-sdk";`
 * Blocks come from the runtime's heap (with `--runtime stub`, a bump
 * allocator), are never 0, and belong to the contract.
 */
export function orama_alloc(size: u32): usize {
  return heap.alloc(<usize>size);
}

/**
 * Reads the result at ptr (a u32 little-endian length, then the bytes) into
 * a new Uint8Array and frees the block; 0 is no result (null).
 */
export function takeResult(ptr: usize): Uint8Array | null {
  if (ptr == 0) return null;
  const len = load<u32>(ptr);
  const out = new Uint8Array(<i32>len);
  memory.copy(out.dataStart, ptr + 4, len);
  heap.free(ptr);
  return out;
}

/** Aborts unless b holds exactly n bytes (an address is 20, a signature 65). */
export function requireLength(b: Uint8Array, n: i32, what: string): void {
  if (b.length != n) throw new Error(what + " must be " + n.toString() + " bytes");
}
