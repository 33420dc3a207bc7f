import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  KeystoreError,
  LIGHT_SCRYPT,
  PrivateKey,
  decryptKeystore,
  encryptKeystore,
  fromHex,
  keystoreFileName,
  toHex0x,
  type KeystoreV3,
} from "@oramanetwork/orama-client";
import { listKeystore, loadKey, readPasswordFile, storeKey } from "@oramanetwork/orama-client/fs";
import { fixture } from "../helpers.js";

test("decrypts a keystore written by the Go CLI (geth light scrypt)", async () => {
  const f = fixture("go-cli-light-scrypt.json");
  const key = await decryptKeystore(f.keystore, f.password);
  assert.equal("0x" + key.toHex(), f.private_key);
  assert.equal(key.addressString, f.address);
  await assert.rejects(decryptKeystore(f.keystore, "wrong"), (e: unknown) => e instanceof KeystoreError && e.code === "wrong_password");
  // A file whose address is not its key's is refused.
  const other = { ...f.keystore, address: "7e5f4552091a69125d5dfcb7b8c2659029395bdf" };
  await assert.rejects(decryptKeystore(other, f.password), (e: unknown) => (e as KeystoreError).code === "address_mismatch");
});

test("Web3 Secret Storage test vector (PBKDF2-SHA256)", async () => {
  const ks = {
    crypto: {
      cipher: "aes-128-ctr",
      cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
      ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
      kdf: "pbkdf2",
      kdfparams: { c: 262144, dklen: 32, prf: "hmac-sha256", salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd" },
      mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
    },
    id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
    version: 3,
  };
  const key = await decryptKeystore(ks, "testpassword");
  assert.equal(key.toHex(), "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d");
});

for (const opts of [{ kdf: "scrypt" as const, light: true }, { kdf: "pbkdf2" as const, iterations: 4096 }]) {
  test(`encrypt/decrypt round trip (${opts.kdf})`, async () => {
    const key = PrivateKey.generate();
    const ks = await encryptKeystore(key, "pässword", opts);
    assert.equal(ks.version, 3);
    assert.equal(ks.crypto.kdf, opts.kdf);
    assert.match(ks.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    if (opts.kdf === "scrypt") assert.deepEqual([(ks.crypto.kdfparams as any).n, (ks.crypto.kdfparams as any).p], [LIGHT_SCRYPT.n, LIGHT_SCRYPT.p]);
    const text = JSON.stringify(ks);
    const back = await decryptKeystore(text, "pässword");
    assert.equal(back.toHex(), key.toHex());
    await assert.rejects(decryptKeystore(text, "password"), (e: unknown) => (e as KeystoreError).code === "wrong_password");
  });
}

test("deterministic encryption with a fixed salt and iv", async () => {
  const key = PrivateKey.fromHex("0x" + "11".repeat(32));
  const o = { kdf: "pbkdf2" as const, iterations: 2, salt: fromHex("22".repeat(32)), iv: fromHex("33".repeat(16)), id: "00000000-0000-4000-8000-000000000000" };
  const a = await encryptKeystore(key, "pw", o);
  const b = await encryptKeystore(key, "pw", o);
  assert.deepEqual(a, b);
});

test("malformed keystores are refused", async () => {
  await assert.rejects(decryptKeystore("{", "x"), KeystoreError);
  await assert.rejects(decryptKeystore({ version: 1 }, "x"), KeystoreError);
  const key = PrivateKey.generate();
  const ks = await encryptKeystore(key, "x", { kdf: "pbkdf2", iterations: 1 });
  const bad = (patch: (k: any) => void) => {
    const k = JSON.parse(JSON.stringify(ks)) as any;
    patch(k);
    return k as KeystoreV3;
  };
  await assert.rejects(decryptKeystore(bad((k) => (k.crypto.cipher = "aes-256-gcm")), "x"), (e: unknown) => (e as KeystoreError).code === "unsupported");
  await assert.rejects(decryptKeystore(bad((k) => (k.crypto.kdf = "argon2")), "x"), (e: unknown) => (e as KeystoreError).code === "unsupported");
  await assert.rejects(decryptKeystore(bad((k) => (k.crypto.kdfparams.prf = "hmac-sha1")), "x"), (e: unknown) => (e as KeystoreError).code === "unsupported");
});

test("keystore directories: geth file names, listing, password files", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orama-ks-"));
  try {
    const t = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    const addr = fromHex("7e5f4552091a69125d5dfcb7b8c2659029395bdf");
    assert.equal(keystoreFileName(addr, t), "UTC--2024-01-02T03-04-05.678000000Z--7e5f4552091a69125d5dfcb7b8c2659029395bdf");

    const k1 = PrivateKey.generate();
    const f1 = await storeKey(dir, k1, "pw", { light: true });
    assert.match(path.basename(f1), /^UTC--\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{9}Z--[0-9a-f]{40}$/);
    await assert.rejects(storeKey(dir, k1, "pw", { light: true }), /already holds/);
    await writeFile(path.join(dir, "notes.txt"), "not a key");
    await writeFile(path.join(dir, ".hidden"), await readFile(f1));
    const keys = await listKeystore(dir);
    assert.equal(keys.length, 1);
    assert.equal(toHex0x(keys[0].address), toHex0x(k1.address));
    assert.equal((await loadKey(keys[0].file, "pw")).toHex(), k1.toHex());

    const pwFile = path.join(dir, "pw.txt");
    await writeFile(pwFile, "secret \r\n\n");
    assert.equal(await readPasswordFile(pwFile), "secret ");
    assert.deepEqual(await listKeystore(path.join(dir, "missing")), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
