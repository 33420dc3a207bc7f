import { test } from "node:test";
import assert from "node:assert/strict";
import {
  KeyError,
  OramaFormatError,
  PrivateKey,
  addressFromPublicKey,
  checksumHex,
  formatAddress,
  fromHex,
  parseAccountRef,
  parseAddress,
  toHex,
  toHex0x,
  validateUsername,
} from "@oramanetwork/orama-client";
import { vector } from "../helpers.js";

test("keys: public key, address, EIP-55 and display form (vectors/keys.json)", () => {
  const v = vector("keys.json");
  assert.ok(v.cases.length > 0);
  for (const c of v.cases) {
    const key = PrivateKey.fromHex(c.private_key);
    assert.equal(toHex0x(key.publicKey()), c.public_key, c.name);
    assert.equal(toHex0x(key.address), c.address, c.name);
    assert.equal(toHex0x(addressFromPublicKey(fromHex(c.public_key))), c.address, c.name);
    assert.equal("0x" + checksumHex(key.address), c.checksum, c.name);
    assert.equal(formatAddress(key.address), c.display, c.name);
    assert.equal(key.addressString, c.display, c.name);
  }
});

test("addresses: parsing and checksums (vectors/addresses.json)", () => {
  const v = vector("addresses.json");
  for (const c of v.cases) {
    if (c.valid) {
      assert.equal(toHex0x(parseAddress(c.input)), c.address, c.input);
    } else {
      assert.throws(
        () => parseAddress(c.input),
        (e: unknown) => e instanceof OramaFormatError && e.code === c.error,
        `${JSON.stringify(c.input)} should fail with ${c.error}`,
      );
    }
  }
});

test("usernames (vectors/usernames.json)", () => {
  const v = vector("usernames.json");
  for (const c of v.cases) {
    if (c.valid) {
      assert.doesNotThrow(() => validateUsername(c.input), c.input);
    } else {
      assert.throws(
        () => validateUsername(c.input),
        (e: unknown) => e instanceof OramaFormatError && e.code === c.error,
        `${JSON.stringify(c.input)} should fail with ${c.error}`,
      );
    }
  }
});

test("account references (vectors/account_refs.json)", () => {
  const v = vector("account_refs.json");
  for (const c of v.cases) {
    if (!c.valid) {
      assert.throws(
        () => parseAccountRef(c.input),
        (e: unknown) => e instanceof OramaFormatError && e.code === c.error,
        `${JSON.stringify(c.input)} should fail with ${c.error}`,
      );
      continue;
    }
    const r = parseAccountRef(c.input);
    if (c.username !== undefined) assert.equal(r.username, c.username);
    else assert.equal(toHex0x(r.address!), c.address);
  }
});

test("private keys: invalid scalars are refused, generated keys round-trip", () => {
  const keyError = (code: string) => (e: unknown) => e instanceof KeyError && e.code === code;
  assert.throws(() => PrivateKey.fromHex("00".repeat(32)), keyError("invalid_key"));
  assert.throws(() => PrivateKey.fromHex("ff".repeat(32)), keyError("invalid_key"));
  assert.throws(() => PrivateKey.fromHex("12"), keyError("invalid_hex"));
  assert.throws(() => new PrivateKey(new Uint8Array(31).fill(1)), keyError("invalid_key"));
  assert.throws(() => addressFromPublicKey(new Uint8Array(33).fill(2)), keyError("invalid_public_key"));
  const k = PrivateKey.generate();
  assert.equal(PrivateKey.fromHex(k.toHex()).addressString, k.addressString);
  assert.equal(toHex(parseAddress(k.addressString)), toHex(k.address));
});
