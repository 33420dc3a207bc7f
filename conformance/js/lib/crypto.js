// Keys, addresses, signatures and the username and address display rules
// (spec/DECISIONS.md D2-D4, D11), with @noble/curves and @noble/hashes.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { params } from '../../../generated/js/schema.js';
import { concat } from './util.js';

export { sha256, keccak_256 };

export class SignatureError extends Error {
  constructor(kind, detail = '') {
    super(`${kind}${detail ? ': ' + detail : ''}`);
    this.kind = kind;
  }
}

const N = secp256k1.Point.Fn.ORDER;
const HALF_N = N >> 1n;

const big = (b) => b.reduce((n, x) => (n << 8n) | BigInt(x), 0n);

/** The uncompressed public key (65 bytes, 0x04 first) of a private key. */
export const publicKey = (priv) => secp256k1.getPublicKey(priv, false);

/** Keccak-256 of the public key without its 0x04 byte, last 20 bytes. */
export function addressOf(pub) {
  if (pub.length !== 65 || pub[0] !== 4) throw new Error('not an uncompressed public key');
  return keccak_256(pub.subarray(1)).subarray(12);
}

/** RFC 6979 signature as R||S||V, V in {0,1}, low S. */
export function sign(digest, priv) {
  const rec = secp256k1.sign(digest, priv, { prehash: false, lowS: true, format: 'recovered' }); // V||R||S
  return concat(rec.subarray(1), rec.subarray(0, 1));
}

/**
 * Checks the canonical form of a 65-byte R||S||V signature (D4) and recovers
 * the signer's address. Throws SignatureError: invalid_recovery_id (V not 0
 * or 1), invalid_signature (R or S zero or not below N), high_s (S > N/2),
 * recovery_failed.
 */
export function recover(digest, sig) {
  if (sig.length !== 65) throw new SignatureError('invalid_signature', `${sig.length} bytes`);
  const v = sig[64];
  if (v !== 0 && v !== 1) throw new SignatureError('invalid_recovery_id', `V = ${v}`);
  const r = big(sig.subarray(0, 32));
  const s = big(sig.subarray(32, 64));
  if (r === 0n || r >= N || s === 0n || s >= N) throw new SignatureError('invalid_signature', 'R or S out of range');
  if (s > HALF_N) throw new SignatureError('high_s');
  let point;
  try {
    point = new secp256k1.Signature(r, s, v).recoverPublicKey(digest);
  } catch (e) {
    throw new SignatureError('recovery_failed', e.message);
  }
  return addressOf(point.toBytes(false));
}

const HEXDIGITS = '0123456789abcdef';

/** EIP-55 mixed-case hex of an address, without 0x. */
export function checksumHex(addr) {
  let lower = '';
  for (const b of addr) lower += HEXDIGITS[b >> 4] + HEXDIGITS[b & 15];
  const h = keccak_256(new TextEncoder().encode(lower));
  let out = '';
  for (let i = 0; i < 40; i++) {
    const nibble = (h[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 15;
    out += nibble >= 8 ? lower[i].toUpperCase() : lower[i];
  }
  return out;
}

/** "orama:" + EIP-55 hex. */
export const displayAddress = (addr) => params.AddressDisplayPrefix + checksumHex(addr);

export class ParseError extends Error {
  constructor(kind, detail = '') {
    super(`${kind}${detail ? ': ' + detail : ''}`);
    this.kind = kind;
  }
}

/**
 * Parses "orama:" + hex, "0x" + hex or bare hex (prefixes case-sensitive);
 * 40 hex digits; mixed case must be EIP-55. Errors: invalid_address,
 * bad_checksum.
 */
export function parseAddress(s) {
  let h = s;
  if (h.startsWith(params.AddressDisplayPrefix)) h = h.slice(params.AddressDisplayPrefix.length);
  else if (h.startsWith('0x')) h = h.slice(2);
  if (!/^[0-9a-fA-F]{40}$/.test(h)) throw new ParseError('invalid_address', JSON.stringify(s));
  const addr = new Uint8Array(20);
  for (let i = 0; i < 20; i++) addr[i] = parseInt(h.substr(2 * i, 2), 16);
  if (/[a-f]/.test(h) && /[A-F]/.test(h) && h !== checksumHex(addr)) throw new ParseError('bad_checksum', s);
  return addr;
}

/** Username rules: byte length first (too_short, too_long), then [a-z0-9_-] (invalid_char). */
export function validateUsername(name) {
  const n = new TextEncoder().encode(name).length;
  if (n < params.MinUsernameBytes) throw new ParseError('too_short', `${n} bytes`);
  if (n > params.MaxUsernameBytes) throw new ParseError('too_long', `${n} bytes`);
  if (!/^[a-z0-9_-]*$/.test(name)) throw new ParseError('invalid_char', JSON.stringify(name));
}

/** "@name" is a username, anything else an address. */
export function parseAccountRef(s) {
  if (s.startsWith('@')) {
    validateUsername(s.slice(1));
    return { username: s.slice(1) };
  }
  return { address: parseAddress(s) };
}

/** SHA-256 of the signing preimage. */
export const signingHash = (preimage) => sha256(preimage);
