// End to end against a real single-validator node and the Go CLI:
//
//   - builds cmd/orama (or uses $ORAMA_BIN), creates a key with
//     `orama keys new`, writes a genesis funding it and starts `orama node`
//     with 300 ms blocks on a free loopback port;
//   - in TypeScript: decrypts the Go-written keystore, sends transfers
//     (ORAMA and BTC) signed in JavaScript, claims a username, reads the
//     balances back and checks the Go CLI sees the same account;
//   - writes a keystore from JavaScript and has the Go CLI list it and sign
//     a transfer with it (`orama send --from ... --wait`).
//
// Needs Go; set ORAMA_E2E=0 to skip. The node is killed at the end.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import {
  BTC,
  ORAMA,
  OramaApiError,
  OramaClient,
  PrivateKey,
  decodeTransaction,
  encodeTransaction,
  enumName,
  formatAddress,
  parseAmount,
  transactionFromJSON,
  transactionHashHex,
  verifyTransaction,
} from "@oramanetwork/orama-client";
import { listKeystore, loadKey, readPasswordFile, storeKey } from "@oramanetwork/orama-client/fs";
import { repoRoot } from "./helpers.js";

const run = promisify(execFile);
const skip = process.env.ORAMA_E2E === "0" ? "ORAMA_E2E=0" : false;

let tmp = "";
let bin = "";
let node: ChildProcess | undefined;
let nodeLog = "";
let url = "";
let client: OramaClient;

async function orama(args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(bin, args, { env: { ...process.env, ...env }, timeout: 30_000 });
    return stdout;
  } catch (e) {
    const x = e as { stderr?: string; message: string };
    throw new Error(`orama ${args.join(" ")}: ${x.message}\n${x.stderr ?? ""}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

async function waitForNode(c: OramaClient, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const st = await c.chainStatus();
      if (BigInt(st.height) >= 1n) return;
    } catch (e) {
      if (Date.now() > end) throw new Error(`node did not come up: ${(e as Error).message}\n${nodeLog}`);
    }
    if (node?.exitCode !== null && node?.exitCode !== undefined) throw new Error(`node exited with ${node.exitCode}\n${nodeLog}`);
    if (Date.now() > end) throw new Error(`node produced no block\n${nodeLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
  bin = process.env.ORAMA_BIN ?? path.join(tmp, "orama");
  if (!process.env.ORAMA_BIN) {
    await run("go", ["build", "-o", bin, "./cmd/orama"], { cwd: repoRoot(), timeout: 300_000 });
  }
  pwFile = path.join(tmp, "password");
  await writeFile(pwFile, password + "\n");
  goKeystore = path.join(tmp, "go-keystore");
  jsKeystore = path.join(tmp, "js-keystore");

  const created = JSON.parse(
    await orama(["--json", "keys", "new", "--password-file", pwFile, "--light-kdf"], { ORAMA_KEYSTORE: goKeystore }),
  ) as { address: string; file: string };

  const data = path.join(tmp, "data");
  await orama(["init", "--data-dir", data, "--alloc", `${created.address}=1000:2`]);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  node = spawn(bin, ["node", "--data-dir", data, "--block-time", "300ms", "--api-listen", `127.0.0.1:${port}`, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  node.stdout!.on("data", (b) => (nodeLog += b));
  node.stderr!.on("data", (b) => (nodeLog += b));
  client = new OramaClient(url);
  await waitForNode(client, 20_000);

  // The Go-created key, decrypted in JavaScript.
  const keys = await listKeystore(goKeystore);
  assert.equal(keys.length, 1);
  assert.equal(formatAddress(keys[0].address), created.address);
  alice = await loadKey(keys[0].file, await readPasswordFile(pwFile));
  assert.equal(alice.addressString, created.address);
  console.log(`e2e setup (build, key, init, node up) took ${Date.now() - t0} ms`);
});

after(async () => {
  if (node && node.exitCode === null) {
    const exited = new Promise((r) => node!.once("exit", r));
    node.kill("SIGTERM");
    const t = setTimeout(() => node!.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(t);
  }
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
