// End to end against a real single-validator node and the Go CLI:
//
//   - builds cmd/orama (or uses $ORAMA_BIN), creates a key with
//     `orama keys new`, writes a genesis funding it and starts `orama node`
//     with 300 ms blocks on a free loopback port (test/node.ts);
//   - in TypeScript: decrypts the Go-written keystore, sends transfers
//     (ORAMA and BTC) signed in JavaScript, claims a username, reads the
//     balances back and checks the Go CLI sees the same account;
//   - writes a keystore from JavaScript and has the Go CLI list it and sign
//     a transfer with it (`orama send --from ... --wait`);
//   - verifies the node's account proofs against its validator set.
//
// Needs Go; set ORAMA_E2E=0 to skip. The node is killed at the end.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  BTC,
  ORAMA,
  OramaApiError,
  OramaClient,
  PrivateKey,
  ProofVerificationError,
  decodeTransaction,
  encodeTransaction,
  enumName,
  formatAddress,
  fromHex,
  parseAmount,
  toHex0x,
  transactionFromJSON,
  transactionHashHex,
  verifyAccountProof,
  verifyTransaction,
} from "@oramanetwork/orama-client";
import { listKeystore, loadKey, readPasswordFile, storeKey } from "@oramanetwork/orama-client/fs";
import { orama as oramaCLI, oramaBinary, skipE2E as skip, startNode, type RunningNode } from "./node.js";

let tmp = "";
let bin = "";
let node: RunningNode | undefined;
let url = "";
let client: OramaClient;

const orama = (args: string[], env: Record<string, string> = {}) => oramaCLI(bin, args, env);

// State shared by the steps below, which run in order.
const password = "e2e password";
let pwFile = "";
let goKeystore = "";
let jsKeystore = "";
let alice: PrivateKey; // created by the Go CLI, funded at genesis
let bob: PrivateKey; // created and stored by JavaScript
const username = "alice_" + Math.random().toString(36).slice(2, 8);
let aliceFees = 0n;

before(async () => {
  if (skip) return;
  const t0 = Date.now();
  tmp = await mkdtemp(path.join(os.tmpdir(), "orama-ts-e2e-"));
  bin = await oramaBinary(tmp);
  pwFile = path.join(tmp, "password");
  await writeFile(pwFile, password + "\n");
  goKeystore = path.join(tmp, "go-keystore");
  jsKeystore = path.join(tmp, "js-keystore");

  const created = JSON.parse(
    await orama(["--json", "keys", "new", "--password-file", pwFile, "--light-kdf"], { ORAMA_KEYSTORE: goKeystore }),
  ) as { address: string; file: string };

  node = await startNode(bin, path.join(tmp, "data"), [`${created.address}=1000:2`]);
  url = node.url;
  client = node.client;

  // The Go-created key, decrypted in JavaScript.
  const keys = await listKeystore(goKeystore);
  assert.equal(keys.length, 1);
  assert.equal(formatAddress(keys[0].address), created.address);
  alice = await loadKey(keys[0].file, await readPasswordFile(pwFile));
  assert.equal(alice.addressString, created.address);
  console.log(`e2e setup (build, key, init, node up) took ${Date.now() - t0} ms`);
});

after(async () => {
  await node?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test("e2e: chain status and the genesis allocation through the typed API", { skip }, async () => {
  const st = await client.chainStatus();
  assert.equal(await client.chainId(), BigInt(st.chain_id));
  assert.ok((await client.baseFee()) > 0n);
  const bal = await client.balance(alice.addressString);
  assert.equal(BigInt(bal.orama), parseAmount("1000", ORAMA));
  assert.equal(BigInt(bal.btc), parseAmount("2", BTC));
  assert.equal(bal.orama_display, "1000");
  assert.equal(await client.nonce(alice.address), 0n);
  await assert.rejects(client.account("@nobody_here"), (e: unknown) => e instanceof OramaApiError && e.code === "unknown_username");
});

test("e2e: a JS-written keystore and transfers signed in JavaScript", { skip }, async () => {
  bob = PrivateKey.generate();
  const file = await storeKey(jsKeystore, bob, password, { light: true });
  assert.ok(path.basename(file).endsWith(Buffer.from(bob.address).toString("hex")));

  const r1 = await client.transfer(alice, { to: bob.addressString, amount: "12.5", wait: { timeoutMs: 20_000 } });
  assert.equal(r1.status?.receipt?.status, "Success", JSON.stringify(r1.status));
  assert.ok(verifyTransaction(r1.transaction, await client.chainId()));
  // The node's JSON form of the transaction matches the client's encoding.
  assert.equal(r1.status?.transaction?.hash, r1.hash);
  assert.equal(r1.status?.transaction?.from, alice.addressString);
  assert.equal(r1.status?.transaction?.signature, "0x" + Buffer.from(r1.transaction.signature).toString("hex"));
  aliceFees += BigInt(r1.status!.receipt!.fee_burned) + BigInt(r1.status!.receipt!.fee_tip);

  const r2 = await client.transfer(alice, { to: bob.address, amount: parseAmount("0.5", BTC), asset: "BTC", tip: 1n, wait: { timeoutMs: 20_000 } });
  assert.equal(r2.status?.receipt?.status, "Success");
  assert.equal(r2.transaction.gas_tip_cap, 1n);
  assert.equal(enumName("Asset", r2.transaction.asset), "BTC");
  aliceFees += BigInt(r2.status!.receipt!.fee_burned) + BigInt(r2.status!.receipt!.fee_tip);

  const b = await client.balance(bob.address);
  assert.equal(BigInt(b.orama), parseAmount("12.5", ORAMA));
  assert.equal(b.orama_display, "12.5");
  assert.equal(BigInt(b.btc), parseAmount("0.5", BTC));
  assert.equal(await client.nonce(alice.address), 2n);
});

test("e2e: claim a username in JavaScript; the Go CLI sees the same account", { skip }, async () => {
  const r = await client.claimUsername(alice, username, { wait: { timeoutMs: 20_000 } });
  assert.equal(r.status?.receipt?.status, "Success", JSON.stringify(r.status));
  assert.equal(r.status?.transaction?.type, "ClaimUsername");
  aliceFees += BigInt(r.status!.receipt!.fee_burned) + BigInt(r.status!.receipt!.fee_tip);

  assert.equal(formatAddress(await client.resolve("@" + username)), alice.addressString);
  const acct = (await client.account("@" + username)).account;
  assert.equal(acct.address, alice.addressString);
  assert.equal(acct.username, username);
  assert.equal(acct.nonce, "3");
  const want = parseAmount("1000", ORAMA) - parseAmount("12.5", ORAMA) - aliceFees;
  assert.equal(BigInt(acct.orama_balance), want);
  assert.equal(BigInt(acct.btc_balance), parseAmount("1.5", BTC));

  const go = JSON.parse(await orama(["--node", url, "--json", "account", "@" + username])) as { account: typeof acct };
  assert.equal(go.account.address, acct.address);
  assert.equal(go.account.username, username);
  assert.equal(go.account.nonce, acct.nonce);
  assert.equal(go.account.orama_balance, acct.orama_balance);
  assert.equal(go.account.btc_balance, acct.btc_balance);

  // A second claim could only fail (and pay): admission refuses it at once
  // with a typed 409, and alice's nonce is not used.
  const again = client.claimUsername(alice, username + "x", { wait: { timeoutMs: 20_000 } });
  await assert.rejects(again, (e: unknown) => {
    assert.ok(e instanceof OramaApiError, String(e));
    assert.equal(e.status, 409);
    assert.equal(e.code, "username_already_set");
    return true;
  });
  assert.equal((await client.account("@" + username)).account.nonce, "3");
});

test("e2e: the Go CLI lists and signs with the JS-written keystore", { skip }, async () => {
  const listed = JSON.parse(await orama(["--json", "keys", "list"], { ORAMA_KEYSTORE: jsKeystore })) as {
    keys: { address: string }[];
  };
  assert.deepEqual(
    listed.keys.map((k) => k.address),
    [bob.addressString],
  );
  const before = BigInt((await client.balance("@" + username)).orama);
  const out = JSON.parse(
    await orama(
      ["--node", url, "--json", "send", "--from", bob.addressString, "--to", "@" + username, "--amount", "1.25", "--password-file", pwFile, "--wait", "--wait-timeout", "20s"],
      { ORAMA_KEYSTORE: jsKeystore },
    ),
  ) as { hash: string; status?: { status: string; receipt?: { status: string } } };
  assert.equal(out.status?.receipt?.status, "Success", JSON.stringify(out));
  const st = await client.transaction(out.hash);
  assert.equal(st.transaction?.from, bob.addressString);
  // The Go-signed transaction decodes and verifies in JavaScript.
  const tx = decodeTransaction(encodeTransaction(transactionFromJSON(st.transaction!)));
  assert.equal(transactionHashHex(tx), out.hash);
  assert.ok(verifyTransaction(tx, await client.chainId()));
  const afterBal = BigInt((await client.balance("@" + username)).orama);
  assert.equal(afterBal - before, parseAmount("1.25", ORAMA));
  // And JavaScript can still decrypt what it wrote.
  const keys = await listKeystore(jsKeystore);
  assert.equal((await loadKey(keys[0].file, password)).addressString, bob.addressString);
});

test("e2e: account proofs verify against the validator set, and only against it", { skip }, async () => {
  const set = await client.validatorSet();
  assert.equal(set.size, 1);
  const v = await client.verifiedAccount("@" + username, set);
  assert.equal(v.exists, true);
  assert.equal(v.account.address, alice.addressString);
  assert.ok(v.finalHeight >= v.height);
  // An address that never received anything is proven absent.
  const nobody = PrivateKey.generate();
  assert.equal((await client.verifiedAccount(nobody.address, set)).exists, false);
  // Earlier heights verify too (the last ten; older state may be pruned).
  for (let h = v.height > 10n ? v.height - 10n : 1n; h <= v.height; h++) {
    const r = await client.account(alice.address, { proof: true, height: h });
    assert.equal(verifyAccountProof(r, set).height, h);
  }
  // A tampered byte and another validator set are refused.
  const r = await client.account(alice.address, { proof: true });
  const t = structuredClone(r);
  const b = fromHex(t.proof!.value);
  b[b.length - 1] ^= 1;
  t.proof!.value = toHex0x(b);
  assert.throws(() => verifyAccountProof(t, set), (e: unknown) => e instanceof ProofVerificationError && e.code === "root_mismatch");
  const wrong = { chainId: set.chainId, validators: [{ address: nobody.address, power: 1n }] };
  assert.throws(() => verifyAccountProof(r, wrong), (e: unknown) => e instanceof ProofVerificationError && e.code === "unknown_signer");
});
