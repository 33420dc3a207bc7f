// Small helpers shared by the runner: strict hex, bytes, u64 decimals.

const HEX = /^0x([0-9a-f]{2})*$/;

/** "0x" + lowercase hex -> bytes; anything else throws. */
export function unhex(s) {
  if (typeof s !== 'string' || !HEX.test(s)) {
    throw new Error(`not 0x-prefixed lowercase hex: ${JSON.stringify(s)?.slice(0, 80)}`);
  }
  const out = new Uint8Array((s.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 + 2 * i, 2), 16);
  return out;
}

/** bytes -> "0x" + lowercase hex. */
export function hex(b) {
  let s = '0x';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const U64_MAX = (1n << 64n) - 1n;

/** A decimal u64 string (no sign, no leading zeros) -> BigInt. */
export function parseU64(s) {
  if (typeof s !== 'string' || !/^(0|[1-9][0-9]*)$/.test(s) || BigInt(s) > U64_MAX) {
    throw new Error(`not a u64 decimal string: ${JSON.stringify(s)}`);
  }
  return BigInt(s);
}

/** Throws unless the object has exactly the allowed keys (required ones present). */
export function expectKeys(obj, required, optional = [], what = 'object') {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${what} is not an object`);
  for (const k of required) if (!(k in obj)) throw new Error(`${what} lacks "${k}"`);
  const known = new Set([...required, ...optional]);
  for (const k of Object.keys(obj)) if (!known.has(k)) throw new Error(`${what} has unknown key "${k}" (a runner would leave it unread)`);
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
