// verifyAccountProof against synthetic chains (test/chain.ts) signed by real
// keys: a good proof verifies; every single-field change of the response is
// refused; and each failure has its code. The end-to-end tests do the same
// against a node built from this tree.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  OramaError,
  ProofVerificationError,
  ValidatorSet,
  fromHex,
  fromJSONForm,
  toHex0x,
  toJSONForm,
  verifyAccountProof,
  type AccountResponse,
  type ProofErrorCode,
} from "@oramanetwork/orama-client";
import { CHAIN_ID, members, proofResponse, signQC, testKey, trusted, type Member } from "../chain.js";

// Powers 3, 3, 2, 1: total 9, so 6 (exactly 2/3) is not a quorum and 7 is.
const ms = members("v", [3n, 3n, 2n, 1n]);
const set = trusted(ms);
const byPower = (...p: bigint[]) => {
  const left = [...ms];
  const out = p.map((x) => left.splice(left.findIndex((m) => m.power === x), 1)[0]);
  return out.sort((a, b) => (toHex0x(a.key.address) < toHex0x(b.key.address) ? -1 : 1));
};

const clone = (r: AccountResponse): AccountResponse => structuredClone(r);
// The proof object, for mutations (the generated type marks it optional).
const P = (r: AccountResponse) => r.proof!;

function refused(r: AccountResponse, code: ProofErrorCode, trustedSet: Parameters<typeof verifyAccountProof>[1] = set): void {
  assert.throws(
    () => verifyAccountProof(r, trustedSet),
    (e: unknown) => {
      assert.ok(e instanceof ProofVerificationError && e instanceof OramaError, String(e));
      assert.equal(e.code, code, e.message);
      return true;
    },
  );
}

test("verify: a proof signed by the whole set verifies, at the proven block and through headers above it", () => {
  const r = proofResponse(ms);
  const v = verifyAccountProof(r, set);
  assert.equal(v.exists, true);
  assert.equal(v.height, 2n);
  assert.equal(v.finalHeight, 2n);
  assert.equal(v.account.username, "alice");
  assert.equal(toHex0x(v.address), P(r).key);
  assert.equal(toHex0x(v.value), P(r).value);
  assert.equal(v.blockHash, P(r).block_hash);
  // The same with a ValidatorSet built once, and from the API's form.
  assert.equal(verifyAccountProof(r, new ValidatorSet(set)).height, 2n);
  const api = ms.map((m) => ({ address: m.key.addressString, power: String(m.power), stake: "0", trusted_os: false, peer_id: "x" }));
  assert.equal(verifyAccountProof(r, ValidatorSet.fromApi(api, CHAIN_ID)).height, 2n);

  const far = proofResponse(ms, { at: 1, provenAt: 5 });
  assert.equal(P(far).finality!.headers.length, 4);
  const fv = verifyAccountProof(far, set);
  assert.equal(fv.height, 1n);
  assert.equal(fv.finalHeight, 5n);

  // Just above 2/3 of the power is a quorum.
  assert.equal(verifyAccountProof(proofResponse(ms, { signers: byPower(3n, 3n, 1n) }), set).exists, true);
});

test("verify: an address with no leaf is proven absent, with a zero account", () => {
  const r = proofResponse(ms, { absent: true });
  const v = verifyAccountProof(r, set);
  assert.equal(v.exists, false);
  assert.equal(v.value.length, 0);
  assert.equal(v.account.orama_balance, "0");
  // Shown with a balance, or claimed present, it is refused.
  const rich = clone(r);
  rich.account.orama_balance = "1";
  refused(rich, "account_mismatch");
  const present = clone(r);
  P(present).exists = true;
  refused(present, "invalid_value");
});

// Every string, number and boolean of the response, changed in one place.
function* mutations(v: unknown, path: string[] = []): Generator<{ path: string; apply: (r: unknown) => void }> {
  if (v === null || v === undefined) return;
  if (typeof v === "object") {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) yield* mutations(x, [...path, k]);
    return;
  }
  const set = (r: unknown, nv: unknown) => {
    let o = r as Record<string, unknown>;
    for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
    o[path[path.length - 1]] = nv;
  };
  let changed: unknown;
  if (typeof v === "boolean") changed = !v;
  else if (typeof v === "number") changed = v + 1;
  else if (typeof v === "string") {
    // The last character to another of its kind: a hex digit, a decimal
    // digit, a letter of the same case.
    const c = v[v.length - 1] ?? "";
    const alt = /[0-8]/.test(c) ? String(Number(c) + 1) : c === "9" ? "0" : /[a-e]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 1) : c === "f" ? "a" : /[A-E]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 1) : c === "F" ? "A" : c + "x";
    changed = v.slice(0, -1) + alt;
  } else return;
  yield { path: path.join("."), apply: (r) => set(r, changed) };
}

test("verify: every single-field change of the response is refused", () => {
  for (const [name, r] of [
    ["present, proven through two headers", proofResponse(ms, { at: 1, provenAt: 3 })],
    ["absent", proofResponse(ms, { absent: true })],
  ] as const) {
    verifyAccountProof(r, set);
    let n = 0;
    for (const m of mutations(r)) {
      const t = clone(r);
      m.apply(t);
      assert.throws(() => verifyAccountProof(t, set), ProofVerificationError, `${name}: ${m.path} changed was accepted`);
      n++;
    }
    assert.ok(n > 100, `${name}: only ${n} fields`);
  }
});

test("verify: each failure has its code", () => {
  const good = proofResponse(ms, { at: 1, provenAt: 3 });
  const mut = (f: (r: AccountResponse) => void) => {
    const r = clone(good);
    f(r);
    return r;
  };
  const flipHex = (s: string, byte: number) => {
    const b = fromHex(s);
    b[byte] ^= 1;
    return toHex0x(b);
  };

  // The state proof.
  refused(mut((r) => (P(r).proof = flipHex(P(r).proof, 40))), "root_mismatch");
  refused(mut((r) => (P(r).proof = flipHex(P(r).proof, 32))), "sibling_count_mismatch");
  refused(mut((r) => (P(r).value = flipHex(P(r).value, 3))), "root_mismatch");
  refused(mut((r) => (P(r).proof_fields.bitmap = flipHex(P(r).proof_fields.bitmap, 31))), "proof_fields_mismatch");
  refused(mut((r) => (r.account.orama_balance = "1")), "account_mismatch");
  refused(mut((r) => (r.account.address = testKey("other-1").addressString)), "key_mismatch");
  // The header.
  refused(mut((r) => (P(r).block_hash = P(r).header.state_root)), "block_hash_mismatch");
  refused(mut((r) => (P(r).header.state_root = P(r).header.parent_hash)), "header_mismatch");
  refused(
    mut((r) => {
      delete P(r).header.borsh;
      P(r).header.timestamp = "1";
    }),
    "block_hash_mismatch",
  );
  refused(mut((r) => (r.height = "2")), "height_mismatch");
  refused(mut((r) => (P(r).header.height = "x")), "malformed");
  // Finality.
  refused(mut((r) => delete P(r).finality), "no_finality");
  refused(mut((r) => delete r.proof), "no_proof");
  refused(mut((r) => P(r).finality!.headers.shift()), "broken_chain");
  refused(mut((r) => P(r).finality!.headers.reverse()), "broken_chain");
  refused(mut((r) => P(r).finality!.headers.push(...Array(17).fill(P(r).header))), "malformed"); // over MaxSyncBlocks
  refused(mut((r) => (P(r).finality!.commit_proof.child = P(r).finality!.commit_proof.grandchild)), "broken_chain");
  const cp = (r: AccountResponse) => P(r).finality!.commit_proof;
  refused(mut((r) => (cp(r).qc.votes[1].signature = flipHex(cp(r).qc.votes[1].signature, 10))), "bad_signature");
  refused(mut((r) => (cp(r).qc.votes[1].signature = flipHex(cp(r).qc.votes[1].signature, 64))), "bad_signature"); // V
  refused(mut((r) => cp(r).qc.votes.reverse()), "unsorted_signers");
  refused(mut((r) => cp(r).qc.votes.splice(1, 1, cp(r).qc.votes[0])), "unsorted_signers"); // a duplicate signer
  refused(mut((r) => cp(r).qc.votes.splice(1, 0, cp(r).qc.votes[1])), "unsorted_signers");
  refused(mut((r) => (cp(r).qc.votes = [])), "no_quorum");
  refused(mut((r) => (cp(r).qc.view = "99")), "qc_not_for_block");
  refused(mut((r) => (cp(r).qc = toJSONForm("QuorumCert", { view: 0n, height: 0n, block_hash: new Uint8Array(32), votes: [] }) as never)), "qc_not_for_block");
  refused(mut((r) => (cp(r).qc = cp(r).grandchild.qc)), "qc_not_for_block");

  // Signers: exactly 2/3 of the power, another set, another chain.
  refused(proofResponse(ms, { signers: byPower(3n, 3n) }), "no_quorum");
  refused(proofResponse(ms, { signers: byPower(3n, 2n, 1n) }), "no_quorum");
  const others = members("w", [3n, 3n, 2n, 1n]);
  refused(proofResponse(others), "unknown_signer");
  refused(good, "unknown_signer", trusted(others));
  refused(good, "bad_signature", trusted(ms, CHAIN_ID + 1n));
  // The same keys with other powers: 8 of 9 is a quorum, 8 of 28 is not.
  const eight = proofResponse(ms, { signers: byPower(3n, 3n, 2n) });
  assert.equal(verifyAccountProof(eight, set).exists, true);
  refused(eight, "no_quorum", trusted(ms.map((m: Member) => ({ ...m, power: m.power === 1n ? 20n : m.power }))));
  // A QC for the very grandchild, signed by another set, or for another chain.
  const resign = (signers: Member[], chainId = CHAIN_ID) =>
    mut((r) => {
      const g = fromJSONForm("BlockHeader", cp(r).grandchild) as Record<string, unknown>;
      cp(r).qc = toJSONForm("QuorumCert", signQC(g, signers, chainId), { displayAddresses: true }) as never;
    });
  assert.equal(verifyAccountProof(resign(ms), set).finalHeight, 3n); // the control: re-signing as the set is fine
  refused(resign(others), "unknown_signer");
  refused(resign(ms, CHAIN_ID + 1n), "bad_signature");
  refused(resign(byPower(3n, 2n)), "no_quorum");

  // Views: after a timeout the commit rule does not hold at the gap.
  const gap = [0n, 1n, 2n, 3n, 5n, 6n, 7n, 8n, 9n];
  refused(proofResponse(ms, { views: gap, at: 2 }), "views_not_consecutive");
  refused(proofResponse(ms, { views: gap, at: 3 }), "views_not_consecutive");
  assert.equal(verifyAccountProof(proofResponse(ms, { views: gap, at: 2, provenAt: 4 }), set).finalHeight, 4n);
});

test("verify: an unusable validator set is refused up front", () => {
  const bad = (validators: { address: string; power: bigint | string }[], chainId: bigint | string = CHAIN_ID) =>
    assert.throws(
      () => new ValidatorSet({ chainId, validators }),
      (e: unknown) => e instanceof ProofVerificationError && e.code === "invalid_validator_set",
    );
  const a = ms[0].key.addressString;
  bad([]);
  bad([{ address: a, power: 0n }]);
  bad([{ address: a, power: 1n }, { address: a.toLowerCase(), power: 2n }]);
  bad([{ address: "orama:xyz", power: 1n }]);
  bad([{ address: a, power: "-1" }]);
  bad([{ address: a, power: (1n << 64n) - 1n }, { address: ms[1].key.addressString, power: 1n }]);
  bad([{ address: a, power: 1n }], "x");
  assert.equal(new ValidatorSet(set).totalPower, 9n);
  assert.equal(new ValidatorSet(set).isQuorum(6n), false);
  assert.equal(new ValidatorSet(set).isQuorum(7n), true);
});

test("verify: a changed header inside the commit proof breaks the certificates over it", () => {
  const t = proofResponse(ms);
  const child = P(t).finality!.commit_proof.child;
  child.timestamp = "1";
  refused(t, "header_mismatch");
  delete child.borsh;
  // The grandchild's QC (and the grandchild's parent hash) name the old child.
  refused(t, "broken_chain");
});
