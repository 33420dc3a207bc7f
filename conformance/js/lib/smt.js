// The Sparse Merkle Tree of spec/smt.md: roots from a key/value set, proofs
// built from that set, the strict proof decoder and both verifiers. The
// proof wire form is the SMTProof type, encoded with its generated schema.
import * as borsh from 'borsh';
import { sha256 } from '@noble/hashes/sha2.js';
import { schemas, params } from '../../../generated/js/schema.js';
import { concat, equalBytes } from './util.js';

export class ProofError extends Error {
  constructor(kind, detail = '') {
    super(`${kind}${detail ? ': ' + detail : ''}`);
    this.kind = kind;
  }
}

const DEPTH = params.MaxSMTDepth; // 256
const MAX_VALUE = 1 << 20; // 1 MiB (smt.md section 1)
export const ZERO = new Uint8Array(32);

export const leafHash = (path, valueHash) => sha256(concat(Uint8Array.of(0), path, valueHash));
export const internalHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));
export const bit = (p, i) => (p[i >> 3] >> (7 - (i & 7))) & 1;

/** T(S, d) of smt.md section 3, S = [{path, valueHash}]. */
export function subtree(S, d = 0) {
  if (S.length === 0) return ZERO;
  if (S.length === 1) return leafHash(S[0].path, S[0].valueHash);
  return internalHash(subtree(S.filter((e) => bit(e.path, d) === 0), d + 1), subtree(S.filter((e) => bit(e.path, d) === 1), d + 1));
}

/** The root of a map of key -> value (both bytes). */
export const rootOf = (entries) => subtree(entries.map(([k, v]) => ({ path: sha256(k), valueHash: sha256(v) })));

/** The proof for key in the set (inclusion when present, else non-existence). */
export function prove(entries, key) {
  const path = sha256(key);
  let S = entries.map(([k, v]) => ({ path: sha256(k), valueHash: sha256(v) }));
  const bitmap = new Uint8Array(32);
  const siblings = [];
  let d = 0;
  while (S.length > 1) {
    const mine = S.filter((e) => bit(e.path, d) === bit(path, d));
    const other = S.filter((e) => bit(e.path, d) !== bit(path, d));
    const sib = subtree(other, d + 1);
    if (!equalBytes(sib, ZERO)) {
      bitmap[d >> 3] |= 0x80 >> (d & 7);
      siblings.push(sib);
    }
    S = mine;
    d++;
  }
  const leaf = S.length === 1 && !equalBytes(S[0].path, path) ? { path: S[0].path, value_hash: S[0].valueHash } : null;
  return { bitmap, siblings, leaf };
}

const popcount = (bm) => bm.reduce((n, b) => n + ((b.toString(2).match(/1/g) || []).length), 0);
function lastSetBit(bm) {
  for (let i = 255; i >= 0; i--) if (bit(bm, i)) return i;
  return -1;
}

/** Rules 2, 3 and 7 of smt.md section 4 on a proof value. */
function validate(p) {
  if (p.siblings.length > DEPTH) throw new ProofError('too_many_siblings');
  if (p.siblings.length !== popcount(p.bitmap)) throw new ProofError('sibling_count_mismatch');
  for (const s of p.siblings) if (equalBytes(s, ZERO)) throw new ProofError('zero_sibling');
}

/**
 * Decodes the wire form strictly, checking in smt.md's order: truncated,
 * too_many_siblings, sibling_count_mismatch, truncated, invalid_option_tag,
 * trailing_bytes, zero_sibling. The accepted bytes are then decoded with
 * borsh-js and the generated SMTProof schema, which must agree and re-encode
 * them exactly.
 */
export function decodeProof(b) {
  if (b.length < 37) throw new ProofError('truncated', `${b.length} bytes`);
  const count = (b[32] | (b[33] << 8) | (b[34] << 16) | (b[35] << 24)) >>> 0;
  if (count > DEPTH) throw new ProofError('too_many_siblings', String(count));
  const bitmap = b.slice(0, 32);
  if (count !== popcount(bitmap)) throw new ProofError('sibling_count_mismatch', `${count} siblings, ${popcount(bitmap)} bits`);
  let o = 36;
  if (b.length - o < count * 32 + 1) throw new ProofError('truncated');
  const siblings = [];
  for (let i = 0; i < count; i++, o += 32) siblings.push(b.slice(o, o + 32));
  const tag = b[o++];
  let leaf = null;
  if (tag === 1) {
    if (b.length - o < 64) throw new ProofError('truncated');
    leaf = { path: b.slice(o, o + 32), value_hash: b.slice(o + 32, o + 64) };
    o += 64;
  } else if (tag !== 0) {
    throw new ProofError('invalid_option_tag', String(tag));
  }
  if (o !== b.length) throw new ProofError('trailing_bytes');
  const p = { bitmap, siblings, leaf };
  validate(p);
  // The same bytes through borsh-js.
  const v = borsh.deserialize(schemas.SMTProof, b);
  const same =
    equalBytes(Uint8Array.from(v.bitmap), bitmap) &&
    v.siblings.length === siblings.length &&
    v.siblings.every((s, i) => equalBytes(Uint8Array.from(s), siblings[i])) &&
    (v.leaf === null) === (leaf === null) &&
    (leaf === null || (equalBytes(Uint8Array.from(v.leaf.path), leaf.path) && equalBytes(Uint8Array.from(v.leaf.value_hash), leaf.value_hash)));
  if (!same || !equalBytes(encodeProof(p), b)) throw new Error('borsh-js disagrees with the proof decoder');
  return p;
}

/** The wire form, with borsh-js and the generated SMTProof schema. */
export const encodeProof = (p) => borsh.serialize(schemas.SMTProof, p);

function fold(root, path, h, p) {
  let next = p.siblings.length - 1;
  for (let d = lastSetBit(p.bitmap); d >= 0; d--) {
    const s = bit(p.bitmap, d) ? p.siblings[next--] : ZERO;
    h = bit(path, d) === 0 ? internalHash(h, s) : internalHash(s, h);
  }
  if (!equalBytes(h, root)) throw new ProofError('root_mismatch');
}

export function verifyInclusion(root, key, value, p) {
  if (value.length === 0 || value.length > MAX_VALUE) throw new ProofError('invalid_value', `${value.length} bytes`);
  validate(p);
  if (p.leaf !== null) throw new ProofError('unexpected_leaf');
  const path = sha256(key);
  fold(root, path, leafHash(path, sha256(value)), p);
}

export function verifyNonExistence(root, key, p) {
  validate(p);
  const path = sha256(key);
  let start = ZERO;
  if (p.leaf !== null) {
    if (equalBytes(p.leaf.path, path)) throw new ProofError('leaf_is_queried_key');
    let common = 0;
    while (common < 256 && bit(p.leaf.path, common) === bit(path, common)) common++;
    if (common < lastSetBit(p.bitmap) + 1) throw new ProofError('leaf_not_on_path');
    start = leafHash(p.leaf.path, p.leaf.value_hash);
  }
  fold(root, path, start, p);
}

/**
 * RFC 6962-shaped Merkle root over 32-byte hashes (spec/state.md):
 * SHA-256("") for none, leaf SHA-256(0x00 || h), node SHA-256(0x01 || l || r),
 * split at the largest power of two below n.
 */
export function merkleRoot(hashes) {
  if (hashes.length === 0) return sha256(new Uint8Array(0));
  if (hashes.length === 1) return sha256(concat(Uint8Array.of(0), hashes[0]));
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return sha256(concat(Uint8Array.of(1), merkleRoot(hashes.slice(0, k)), merkleRoot(hashes.slice(k))));
}
