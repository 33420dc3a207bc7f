// Signing and transaction encoding against conformance/vectors/signatures.json
// and the Transaction codec vectors.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PrivateKey,
  SignatureError,
  buildTransaction,
  checkSignature,
  decode,
  decodeTransaction,
  defaultFeeCap,
  encode,
  encodeClaimUsernamePayload,
  encodeTransaction,
  enumValue,
  fromHex,
  intrinsicGas,
  params,
  recoverAddress,
  recoverTransactionSigner,
  signTransaction,
  signingHash,
  signingPayload,
  signingPreimage,
  toHex0x,
  transactionFromJSON,
  transactionHashHex,
  transactionSigningHash,
  transactionSigningPayload,
  transactionToJSON,
  txType,
  U64_MAX,
  verifyTransaction,
} from "@oramanetwork/orama-client";
import { vector } from "../helpers.js";

const sigs = vector("signatures.json");

test("signature vectors: payload, preimage, digest, signature for every signed type", () => {
  assert.ok(sigs.cases.length >= 9);
  for (const c of sigs.cases) {
    const key = PrivateKey.fromHex(c.private_key);
    assert.equal(toHex0x(key.address), c.signer, c.name);
    const value = decode(c.type, fromHex(c.borsh));
    assert.equal(toHex0x(encode(c.type, value)), c.borsh, c.name);
    const payload = signingPayload(c.type, value);
    assert.equal(toHex0x(payload), c.signing_payload, c.name);
    const domain = enumValue("SigningDomain", c.domain);
    assert.equal(toHex0x(signingPreimage(domain, c.chain_id, payload)), c.preimage, c.name);
    const digest = signingHash(domain, c.chain_id, payload);
    assert.equal(toHex0x(digest), c.signing_hash, c.name);
    // RFC 6979: the same key and digest give the same signature as Go.
    assert.equal(toHex0x(key.signDigest(digest)), c.signature, c.name);
    assert.equal(toHex0x(key.signDomain(domain, c.chain_id, payload)), c.signature, c.name);
    assert.equal(toHex0x(recoverAddress(digest, fromHex(c.signature))), c.signer, c.name);

    for (const m of c.must_not_verify) {
      const d = signingHash(enumValue("SigningDomain", m.domain), m.chain_id, payload);
      assert.equal(toHex0x(d), m.signing_hash, `${c.name} under ${m.domain}/${m.chain_id}`);
      assert.equal(toHex0x(recoverAddress(d, fromHex(c.signature))), m.recovers, `${c.name} under ${m.domain}/${m.chain_id}`);
      assert.notEqual(m.recovers, c.signer);
    }
    for (const r of c.must_reject) {
      assert.throws(
        () => recoverAddress(digest, fromHex(r.signature)),
        (e: unknown) => e instanceof SignatureError && e.code === r.error,
        `${c.name}: ${r.why}`,
      );
    }
  }
});

test("transaction vectors: JSON form, Borsh, hash, signing and verification", () => {
  let n = 0;
  for (const c of sigs.cases.filter((c: any) => c.type === "Transaction")) {
    n++;
    const tx = transactionFromJSON(c.value);
    assert.equal(toHex0x(encodeTransaction(tx)), c.borsh, c.name);
    assert.equal(transactionHashHex(tx), c.hash, c.name);
    assert.equal(toHex0x(transactionSigningPayload(tx)), c.signing_payload, c.name);
    assert.equal(toHex0x(transactionSigningHash(tx, c.chain_id)), c.signing_hash, c.name);
    assert.ok(verifyTransaction(tx, c.chain_id), c.name);
    assert.equal(toHex0x(recoverTransactionSigner(tx, c.chain_id)), c.signer, c.name);
    // Another chain id recovers someone else.
    assert.ok(!verifyTransaction(tx, BigInt(c.chain_id) ^ 1n), c.name);

    // Signing the unsigned transaction reproduces the vector exactly.
    const key = PrivateKey.fromHex(c.private_key);
    const signed = signTransaction({ ...tx, signature: new Uint8Array(65) }, key, c.chain_id);
    assert.equal(toHex0x(encodeTransaction(signed)), c.borsh, c.name);

    const back = decodeTransaction(fromHex(c.borsh));
    assert.deepEqual(back, tx, c.name);
    const j = transactionToJSON(tx);
    assert.equal(j.hash, c.hash);
    assert.deepEqual(transactionFromJSON(j), tx);
  }
  assert.ok(n >= 3);
});

test("the claim-username vector's data is the generated ClaimUsernamePayload", () => {
  const c = sigs.cases.find((c: any) => c.name === "claim-username");
  assert.ok(c);
  const tx = transactionFromJSON(c.value);
  const name = (decode("ClaimUsernamePayload", tx.data) as { username: string }).username;
  assert.equal(toHex0x(encodeClaimUsernamePayload(name)), c.value.data);
  assert.equal(toHex0x(encodeClaimUsernamePayload("@" + name)), c.value.data);
  assert.throws(() => encodeClaimUsernamePayload("No"));
});

test("Transaction codec vectors round-trip", () => {
  const v = vector("codec/Transaction.json");
  for (const c of v.cases) {
    const tx = transactionFromJSON(c.value);
    assert.equal(toHex0x(encodeTransaction(tx)), c.borsh, c.name);
    if (c.hash) assert.equal(transactionHashHex(tx), c.hash, c.name);
  }
});

test("building: intrinsic gas, default fee cap (as orama send), u64 checks", () => {
  assert.equal(intrinsicGas(txType("Transfer"), 0), params.GasTransfer);
  assert.equal(intrinsicGas(txType("ClaimUsername"), 8), (params.GasClaimUsername as bigint) + 8n * (params.GasPerDataByte as bigint));
  assert.equal(intrinsicGas(txType("Shield"), 0), (params.GasTransfer as bigint) * (params.PrivateGasMultiplier as bigint));
  assert.equal(intrinsicGas(txType("NamespaceCreate"), 10), (params.GasNamespaceCreate as bigint) + 10n * (params.GasPerDataByte as bigint));
  assert.equal(intrinsicGas(txType("NamespaceDelete"), 8), (params.GasNamespaceDelete as bigint) + 8n * (params.GasPerDataByte as bigint));
  const max = BigInt(params.MaxBaseFee);
  const cases: [bigint, bigint, bigint][] = [
    [10n, 0n, 20n],
    [10n, 5n, 25n],
    [1n, 0n, 2n],
    [0n, 0n, params.MinBaseFee as bigint],
    [50n, 0n, 100n],
    [51n, 0n, max],
    [max, 3n, max + 3n],
    [U64_MAX, 0n, max],
  ];
  for (const [base, tip, want] of cases) assert.equal(defaultFeeCap(base, tip), want, `${base} ${tip}`);
  assert.throws(() => defaultFeeCap(10n, U64_MAX));

  const tx = buildTransaction({ type: "Transfer", to: "orama:7E5F4552091A69125d5DfCb7b8C2659029395Bdf", amount: 5n });
  assert.equal(tx.gas_limit, params.GasTransfer);
  assert.throws(() => encodeTransaction({ ...tx, amount: U64_MAX + 1n }), /u64/);
  assert.throws(() => encodeTransaction({ ...tx, nonce: -1n }), /u64/);
  assert.throws(() => encodeTransaction({ ...tx, type: 200 }), /TxType/);
  assert.throws(() => encodeTransaction({ ...tx, data: new Uint8Array(Number(params.MaxTxDataBytes) + 1) }), /max/);
  // A key may only sign for its own From.
  const k = PrivateKey.generate();
  assert.throws(() => signTransaction({ ...tx, from: new Uint8Array(20).fill(1) }, k, 1n));
});

test("canonical signatures only", () => {
  const c = sigs.cases[0];
  const sig = fromHex(c.signature);
  checkSignature(sig);
  assert.throws(() => checkSignature(sig.subarray(0, 64)), (e: unknown) => (e as SignatureError).code === "invalid_length");
  const zeroR = Uint8Array.from(sig);
  zeroR.fill(0, 0, 32);
  assert.throws(() => checkSignature(zeroR), (e: unknown) => (e as SignatureError).code === "invalid_signature_values");
});
