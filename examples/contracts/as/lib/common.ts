// Helpers the example contracts share.
//
// Exports with scalar parameters (runtime/vm CallOptions.Params) pass an
// address as three values, its bytes 0-7 and 8-15 as big-endian u64s and
// 16-19 as a big-endian u32, and a short text as a length and four
// little-endian u64 words. Arguments that do not fit (the token's transfer)
// come as Borsh bytes through orama.ctx.input (DECISIONS.md D27).

/** The 20-byte address whose big-endian bytes are hi, mid and lo. */
export function addressOf(hi: u64, mid: u64, lo: u32): Uint8Array {
  const a = new Uint8Array(20);
  store<u64>(a.dataStart, bswap<u64>(hi));
  store<u64>(a.dataStart + 8, bswap<u64>(mid));
  store<u32>(a.dataStart + 16, bswap<u32>(lo));
  return a;
}

/** The UTF-8 bytes of s. */
export function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

/** a followed by b. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** v as 8 little-endian bytes. */
export function u64le(v: u64): Uint8Array {
  const b = new Uint8Array(8);
  store<u64>(b.dataStart, v);
  return b;
}

/**
 * The u64 in b, which must be 8 bytes: values this contract stored are, so
 * anything else is a bug that must stop the call before it writes.
 */
export function readU64(b: Uint8Array): u64 {
  if (b.length != 8) throw new Error("stored value is not 8 bytes");
  return load<u64>(b.dataStart);
}

/**
 * The first n (at most 32) bytes of the little-endian words w0..w3: a short
 * text passed as call parameters.
 */
export function unpackText(n: u32, w0: u64, w1: u64, w2: u64, w3: u64): Uint8Array {
  if (n > 32) throw new Error("text longer than 32 bytes");
  const words = new Uint8Array(32);
  store<u64>(words.dataStart, w0);
  store<u64>(words.dataStart + 8, w1);
  store<u64>(words.dataStart + 16, w2);
  store<u64>(words.dataStart + 24, w3);
  return words.slice(0, <i32>n);
}

/**
 * Returns b to the caller of an exported function as the VM reads it
 * (vm.CallOptions.ReturnsBytes): a pointer to a u32 little-endian length
 * followed by the bytes.
 */
export function returnBytes(b: Uint8Array): usize {
  const p = heap.alloc(4 + <usize>b.length);
  store<u32>(p, <u32>b.length);
  memory.copy(p + 4, b.dataStart, <usize>b.length);
  return p;
}

/** Whether a and b hold the same bytes. */
export function equal(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  return memory.compare(a.dataStart, b.dataStart, <usize>a.length) == 0;
}
