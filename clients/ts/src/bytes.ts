// Byte and hex helpers. The API and the vectors write bytes as "0x" +
// lowercase hex (DECISIONS.md D12).

import { ValueError } from "./errors.js";

const HEX = "0123456789abcdef";

/** Lowercase hex without a prefix. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += HEX[x >> 4] + HEX[x & 15];
  return s;
}

/** "0x" + lowercase hex, the API's form of bytes. */
export function toHex0x(b: Uint8Array): string {
  return "0x" + toHex(b);
}

/** Parses hex with or without "0x"; either case. */
export function fromHex(s: string): Uint8Array {
  const h = s.startsWith("0x") || s.startsWith("0X") ? s.slice(2) : s;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new ValueError("not_hex", `orama: ${JSON.stringify(s.length > 80 ? s.slice(0, 80) + "..." : s)} is not hex`);
  }
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export const U64_MAX = (1n << 64n) - 1n;

/** Checks that v is a u64 and returns it. */
export function u64(v: bigint | number | string, what = "value"): bigint {
  let b: bigint;
  if (typeof v === "string") {
    if (!/^(0|[1-9][0-9]{0,19})$/.test(v)) throw new ValueError("not_u64", `orama: ${what} ${JSON.stringify(v)} is not a decimal u64`);
    b = BigInt(v);
  } else if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new ValueError("unsafe_number", `orama: ${what} ${v} is not a safe integer; pass a bigint`);
    b = BigInt(v);
  } else if (typeof v === "bigint") {
    b = v;
  } else {
    throw new ValueError("not_u64", `orama: ${what} is a ${typeof v}, not an integer`);
  }
  if (b < 0n || b > U64_MAX) throw new ValueError("out_of_range", `orama: ${what} ${b} is out of the u64 range`);
  return b;
}
