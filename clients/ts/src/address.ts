// Addresses and usernames (spec/core.yaml Address, spec/accounts.yaml,
// DECISIONS.md D11; runtime/crypto/address.go and username.go).

import { keccak_256 } from "@noble/hashes/sha3.js";
import { toHex } from "./bytes.js";
import { KeyError, OramaError } from "./errors.js";
import { param, params } from "./schema.js";

export const ADDRESS_LENGTH = 20;
export const ADDRESS_PREFIX = String(params.AddressDisplayPrefix);
export const MIN_USERNAME_LENGTH = Number(param("MinUsernameBytes"));
export const MAX_USERNAME_LENGTH = Number(param("MaxUsernameBytes"));

/** An error with a stable code, as the conformance vectors name them. */
export class OramaFormatError extends OramaError {
  constructor(
    override readonly code: "invalid_address" | "bad_checksum" | "too_short" | "too_long" | "invalid_char",
    message: string,
  ) {
    super(message);
    this.name = "OramaFormatError";
  }
}

/**
 * The address of an uncompressed secp256k1 public key (65 bytes with the
 * 0x04 prefix, or the 64 bytes without it): the last 20 bytes of its
 * Keccak-256, the Ethereum derivation.
 */
export function addressFromPublicKey(pub: Uint8Array): Uint8Array {
  let xy = pub;
  if (pub.length === 65) {
    if (pub[0] !== 4) throw new KeyError("invalid_public_key", "orama: public key: want the uncompressed form (0x04 prefix)");
    xy = pub.subarray(1);
  }
  if (xy.length !== 64) throw new KeyError("invalid_public_key", `orama: public key is ${pub.length} bytes, want 65 (uncompressed)`);
  return keccak_256(xy).slice(12);
}

/** The 40 hex digits of an address in EIP-55 mixed case. */
export function checksumHex(a: Uint8Array): string {
  if (a.length !== ADDRESS_LENGTH) throw new Error(`orama: address is ${a.length} bytes, want 20`);
  const lower = toHex(a);
  const h = keccak_256(new TextEncoder().encode(lower));
  let out = "";
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i];
    const nibble = i % 2 === 0 ? h[i >> 1] >> 4 : h[i >> 1] & 15;
    out += c >= "a" && nibble >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

/** The display form: "orama:" + EIP-55 hex. */
export function formatAddress(a: Uint8Array): string {
  return ADDRESS_PREFIX + checksumHex(a);
}

/**
 * Parses "orama:" + hex, "0x" + hex or bare hex (40 digits). All-lowercase
 * and all-uppercase hex carry no checksum; mixed case must match EIP-55.
 */
export function parseAddress(s: string): Uint8Array {
  let h = s;
  if (h.startsWith(ADDRESS_PREFIX)) h = h.slice(ADDRESS_PREFIX.length);
  else if (h.startsWith("0x")) h = h.slice(2);
  const shown = JSON.stringify(s.length > 50 ? s.slice(0, 50) : s);
  if (h.length !== 2 * ADDRESS_LENGTH) {
    throw new OramaFormatError("invalid_address", `orama: parse address ${shown}: want 40 hex digits`);
  }
  if (!/^[0-9a-fA-F]{40}$/.test(h)) {
    throw new OramaFormatError("invalid_address", `orama: parse address ${shown}: not hex`);
  }
  const a = new Uint8Array(ADDRESS_LENGTH);
  for (let i = 0; i < ADDRESS_LENGTH; i++) a[i] = parseInt(h.substr(2 * i, 2), 16);
  const lower = /[a-f]/.test(h);
  const upper = /[A-F]/.test(h);
  if (lower && upper && h !== checksumHex(a)) {
    throw new OramaFormatError("bad_checksum", `orama: parse address ${shown}: bad EIP-55 checksum`);
  }
  return a;
}

/** Checks the username rules: 3 to 32 bytes of [a-z0-9_-]. */
export function validateUsername(name: string): void {
  const n = new TextEncoder().encode(name).length;
  if (n < MIN_USERNAME_LENGTH) {
    throw new OramaFormatError("too_short", `orama: username ${JSON.stringify(name)} is ${n} bytes, min ${MIN_USERNAME_LENGTH}`);
  }
  if (n > MAX_USERNAME_LENGTH) {
    throw new OramaFormatError("too_long", `orama: username is ${n} bytes, max ${MAX_USERNAME_LENGTH}`);
  }
  if (!/^[a-z0-9_-]*$/.test(name)) {
    throw new OramaFormatError("invalid_char", `orama: username ${JSON.stringify(name)}: only a-z, 0-9, '_' and '-' are allowed`);
  }
}

/** An account named by "@username" or by an address in any form. */
export type AccountRef = { username: string; address?: undefined } | { address: Uint8Array; username?: undefined };

/** Parses "@name" or an address; a bare word is never a username. */
export function parseAccountRef(s: string): AccountRef {
  if (s.startsWith("@")) {
    const name = s.slice(1);
    validateUsername(name);
    return { username: name };
  }
  return { address: parseAddress(s) };
}

/** The API's form of a reference: "@name" or "orama:" + EIP-55 hex. */
export function formatAccountRef(r: AccountRef): string {
  return r.username !== undefined ? "@" + r.username : formatAddress(r.address);
}
