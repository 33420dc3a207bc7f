// The Sparse Merkle proof checks against every SMT conformance vector
// (conformance/vectors-state/smt): each valid proof verifies (inclusion or
// non-existence as its value says) and fails against a changed byte, and
// each malformed proof is refused with exactly the vector's reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SmtProofError,
  decodeSmtProof,
  encodeSmtProof,
  fromHex,
  toHex0x,
  verifySmtInclusion,
  verifySmtNonExistence,
  type SmtProof,
} from "@oramanetwork/orama-client";
import { stateVector } from "../helpers.js";

interface ProofCase {
  key: string;
  value: string | null;
  proof: string;
  root: string;
}
interface Malformed extends ProofCase {
  name: string;
  claim: "inclusion" | "non_existence";
  error: string;
}
const smt = stateVector<{ cases: { name: string; proofs: ProofCase[]; malformed?: Malformed[] }[] }>("smt/smt.json");

function check(claim: "inclusion" | "non_existence", c: ProofCase, proofBytes = fromHex(c.proof), root = fromHex(c.root)): void {
  const p = decodeSmtProof(proofBytes);
  if (claim === "inclusion") verifySmtInclusion(root, fromHex(c.key), fromHex(c.value ?? "0x"), p);
  else verifySmtNonExistence(root, fromHex(c.key), p);
}

const flip = (b: Uint8Array, i: number) => {
  const out = Uint8Array.from(b);
  out[i] ^= 1;
  return out;
};

test("smt vectors: every valid proof verifies, re-encodes, and fails for any other root", () => {
  let n = 0;
  for (const c of smt.cases) {
    for (const pc of c.proofs) {
      const claim = pc.value === null ? "non_existence" : "inclusion";
      check(claim, pc);
      assert.equal(toHex0x(encodeSmtProof(decodeSmtProof(fromHex(pc.proof)))), pc.proof);
      // A root one bit off, and the opposite claim, are refused.
      assert.throws(() => check(claim, pc, undefined, flip(fromHex(pc.root), 31)), SmtProofError);
      if (claim === "inclusion") assert.throws(() => check("non_existence", pc), SmtProofError, `${c.name}: present key proven absent`);
      n++;
    }
  }
  assert.ok(n >= 60, `${n} proofs`);
});

test("smt vectors: every malformed proof is refused with its reason", () => {
  let n = 0;
  for (const c of smt.cases) {
    for (const m of c.malformed ?? []) {
      assert.throws(
        () => check(m.claim, m),
        (e: unknown) => e instanceof SmtProofError && e.code === m.error,
        `${c.name}/${m.name}: want ${m.error}`,
      );
      n++;
    }
  }
  assert.ok(n >= 80, `${n} malformed proofs`);
});

test("smt: every byte of an inclusion proof and its value matters", () => {
  const pc = smt.cases.flatMap((c) => c.proofs).find((p) => p.value !== null && fromHex(p.proof).length > 100)!;
  assert.ok(pc, "an inclusion proof with siblings");
  const proof = fromHex(pc.proof);
  for (let i = 0; i < proof.length; i++) {
    assert.throws(() => check("inclusion", pc, flip(proof, i)), SmtProofError, `byte ${i} of the proof`);
  }
  const value = fromHex(pc.value!);
  for (let i = 0; i < value.length; i++) {
    const p = decodeSmtProof(proof);
    assert.throws(() => verifySmtInclusion(fromHex(pc.root), fromHex(pc.key), flip(value, i), p), SmtProofError);
  }
  // A proof value built by hand is held to the same rules.
  const p: SmtProof = decodeSmtProof(proof);
  assert.throws(
    () => verifySmtInclusion(fromHex(pc.root), fromHex(pc.key), value, { ...p, siblings: [...p.siblings, new Uint8Array(32)] }),
    (e: unknown) => e instanceof SmtProofError && e.code === "sibling_count_mismatch",
  );
});
