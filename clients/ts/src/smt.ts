// Sparse Merkle Tree proofs (spec/smt.md section 4): the strict decoder of
// the wire form (Borsh SMTProof) and the inclusion and non-existence
// verifiers. Failures carry the reasons smt.md and the conformance vectors
// (conformance/vectors-state/smt) name.

import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, equalBytes } from "./bytes.js";
import { encode } from "./codec.js";
import { OramaError } from "./errors.js";
import { param } from "./schema.js";

/** Why a proof is refused, in smt.md's words. */
export type SmtProofErrorCode =
  | "truncated"
  | "too_many_siblings"
  | "sibling_count_mismatch"
  | "invalid_option_tag"
  | "trailing_bytes"
  | "zero_sibling"
  | "invalid_value"
  | "unexpected_leaf"
  | "leaf_is_queried_key"
  | "leaf_not_on_path"
  | "root_mismatch";

export class SmtProofError extends OramaError {
  constructor(
    override readonly code: SmtProofErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SmtProofError";
  }
}

/** A decoded proof: the SMTProof fields. */
export interface SmtProof {
  bitmap: Uint8Array;
  siblings: Uint8Array[];
  leaf: { path: Uint8Array; value_hash: Uint8Array } | null;
}

const DEPTH = Number(param("MaxSMTDepth")); // 256
const MAX_VALUE = 1 << 20; // 1 MiB (smt.md section 1)
const ZERO = new Uint8Array(32);

const leafHash = (path: Uint8Array, valueHash: Uint8Array) => sha256(concatBytes(Uint8Array.of(0), path, valueHash));
const internalHash = (l: Uint8Array, r: Uint8Array) => sha256(concatBytes(Uint8Array.of(1), l, r));
const bit = (p: Uint8Array, i: number) => (p[i >> 3] >> (7 - (i & 7))) & 1;

function popcount(bm: Uint8Array): number {
  let n = 0;
  for (let b of bm) for (; b; b &= b - 1) n++;
  return n;
}

function lastSetBit(bm: Uint8Array): number {
  for (let i = 255; i >= 0; i--) if (bit(bm, i)) return i;
  return -1;
}

/** Rules 2, 3 and 7 of smt.md section 4, on a proof value. */
function validate(p: SmtProof): void {
  if (p.bitmap.length !== 32) throw new SmtProofError("truncated", `smt: bitmap is ${p.bitmap.length} bytes`);
  if (p.siblings.length > DEPTH) throw new SmtProofError("too_many_siblings", `smt: ${p.siblings.length} siblings`);
  if (p.siblings.length !== popcount(p.bitmap)) {
    throw new SmtProofError("sibling_count_mismatch", `smt: ${p.siblings.length} siblings, ${popcount(p.bitmap)} bits set`);
  }
  for (const s of p.siblings) {
    if (s.length !== 32) throw new SmtProofError("truncated", `smt: a sibling is ${s.length} bytes`);
    if (equalBytes(s, ZERO)) throw new SmtProofError("zero_sibling", "smt: a sibling marked non-empty is zero");
  }
  if (p.leaf !== null && (p.leaf.path.length !== 32 || p.leaf.value_hash.length !== 32)) {
    throw new SmtProofError("truncated", "smt: a leaf is two 32-byte hashes");
  }
}

/**
 * Decodes the wire form strictly, refusing in smt.md's order: truncated,
 * too_many_siblings, sibling_count_mismatch, truncated, invalid_option_tag,
 * trailing_bytes, zero_sibling.
 */
export function decodeSmtProof(b: Uint8Array): SmtProof {
  if (b.length < 37) throw new SmtProofError("truncated", `smt: proof is ${b.length} bytes, at least 37`);
  const count = (b[32] | (b[33] << 8) | (b[34] << 16) | (b[35] << 24)) >>> 0;
  if (count > DEPTH) throw new SmtProofError("too_many_siblings", `smt: ${count} siblings, at most ${DEPTH}`);
  const bitmap = b.slice(0, 32);
  if (count !== popcount(bitmap)) {
    throw new SmtProofError("sibling_count_mismatch", `smt: ${count} siblings, ${popcount(bitmap)} bits set`);
  }
  let o = 36;
  if (b.length - o < count * 32 + 1) throw new SmtProofError("truncated", "smt: proof ends inside the siblings");
  const siblings: Uint8Array[] = [];
  for (let i = 0; i < count; i++, o += 32) siblings.push(b.slice(o, o + 32));
  const tag = b[o++];
  let leaf: SmtProof["leaf"] = null;
  if (tag === 1) {
    if (b.length - o < 64) throw new SmtProofError("truncated", "smt: proof ends inside the leaf");
    leaf = { path: b.slice(o, o + 32), value_hash: b.slice(o + 32, o + 64) };
    o += 64;
  } else if (tag !== 0) {
    throw new SmtProofError("invalid_option_tag", `smt: leaf tag ${tag}, want 0 or 1`);
  }
  if (o !== b.length) throw new SmtProofError("trailing_bytes", `smt: ${b.length - o} bytes after the proof`);
  const p = { bitmap, siblings, leaf };
  validate(p);
  return p;
}

/** The wire form of a proof (the generated SMTProof schema). */
export function encodeSmtProof(p: SmtProof): Uint8Array {
  return encode("SMTProof", p);
}

function fold(root: Uint8Array, path: Uint8Array, start: Uint8Array, p: SmtProof): void {
  let h = start;
  let next = p.siblings.length - 1;
  for (let d = lastSetBit(p.bitmap); d >= 0; d--) {
    const s = bit(p.bitmap, d) ? p.siblings[next--] : ZERO;
    h = bit(path, d) === 0 ? internalHash(h, s) : internalHash(s, h);
  }
  if (!equalBytes(h, root)) throw new SmtProofError("root_mismatch", "smt: the proof does not lead to the root");
}

/** Checks that key has value under root; throws SmtProofError. */
export function verifySmtInclusion(root: Uint8Array, key: Uint8Array, value: Uint8Array, p: SmtProof): void {
  if (value.length === 0 || value.length > MAX_VALUE) {
    throw new SmtProofError("invalid_value", `smt: a value is 1 byte to 1 MiB, not ${value.length} bytes`);
  }
  validate(p);
  if (p.leaf !== null) throw new SmtProofError("unexpected_leaf", "smt: an inclusion proof has no leaf");
  const path = sha256(key);
  fold(root, path, leafHash(path, sha256(value)), p);
}

/** Checks that key has no value under root; throws SmtProofError. */
export function verifySmtNonExistence(root: Uint8Array, key: Uint8Array, p: SmtProof): void {
  validate(p);
  const path = sha256(key);
  let start = ZERO;
  if (p.leaf !== null) {
    if (equalBytes(p.leaf.path, path)) throw new SmtProofError("leaf_is_queried_key", "smt: the leaf is the queried key's");
    let common = 0;
    while (common < 256 && bit(p.leaf.path, common) === bit(path, common)) common++;
    if (common < lastSetBit(p.bitmap) + 1) throw new SmtProofError("leaf_not_on_path", "smt: the leaf is not on the key's path");
    start = leafHash(p.leaf.path, p.leaf.value_hash);
  }
  fold(root, path, start, p);
}
