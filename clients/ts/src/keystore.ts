// Web3 Secret Storage v3 keystores, the format of geth, of `orama keys` and
// of most Ethereum wallets: the private key encrypted with AES-128-CTR under
// the first half of a key derived from the password (scrypt or PBKDF2-HMAC-
// SHA256), authenticated by Keccak-256(second half || ciphertext).
//
// This module has no Node.js dependency; keystore-fs.ts reads and writes
// keystore directories.

import { ctr } from "@noble/ciphers/aes.js";
import { pbkdf2Async } from "@noble/hashes/pbkdf2.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { formatAddress, parseAddress } from "./address.js";
import { concatBytes, equalBytes, fromHex, toHex } from "./bytes.js";
import { OramaError } from "./errors.js";
import { PrivateKey } from "./keys.js";

export interface ScryptParams {
  dklen: number;
  n: number;
  r: number;
  p: number;
  salt: string;
}

export interface Pbkdf2Params {
  dklen: number;
  c: number;
  prf: "hmac-sha256";
  salt: string;
}

/** A v3 keystore as JSON. */
export interface KeystoreV3 {
  address: string;
  crypto: {
    cipher: "aes-128-ctr";
    ciphertext: string;
    cipherparams: { iv: string };
    kdf: "scrypt" | "pbkdf2";
    kdfparams: ScryptParams | Pbkdf2Params;
    mac: string;
  };
  id: string;
  version: 3;
}

/** geth's scrypt parameters (keystore.StandardScryptN/P). */
export const STANDARD_SCRYPT = Object.freeze({ n: 1 << 18, r: 8, p: 1 });
/** geth's light parameters (keystore.LightScryptN/P), `orama keys new --light-kdf`: test keys only. */
export const LIGHT_SCRYPT = Object.freeze({ n: 1 << 12, r: 8, p: 6 });
/** PBKDF2 iterations written by default (as ethers and web3.js). */
export const DEFAULT_PBKDF2_ITERATIONS = 262144;

/** Why a keystore could not be decrypted. */
export class KeystoreError extends OramaError {
  constructor(
    override readonly code: "invalid_keystore" | "unsupported" | "wrong_password" | "address_mismatch",
    message: string,
  ) {
    super(message);
    this.name = "KeystoreError";
  }
}

export interface EncryptOptions {
  /** Default "scrypt". */
  kdf?: "scrypt" | "pbkdf2";
  /** geth's light scrypt parameters (fast, weak; for test keys). */
  light?: boolean;
  /** Scrypt cost, overriding the standard or light parameters. */
  scrypt?: { n: number; r: number; p: number };
  /** PBKDF2 iterations. */
  iterations?: number;
  /** A UUID to use as the key id (default: a new random one). */
  id?: string;
  /** Fixed salt (32 bytes) and IV (16 bytes), for reproducible tests only. */
  salt?: Uint8Array;
  iv?: Uint8Array;
}

const passwordBytes = (pw: string) => new TextEncoder().encode(pw);

/** A random (version 4) UUID. */
export function newUUID(): string {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 1 && (n & (n - 1)) === 0;
}

async function deriveKey(password: string, c: KeystoreV3["crypto"]): Promise<Uint8Array> {
  const kp = c.kdfparams as unknown as Record<string, unknown>;
  if (kp === null || typeof kp !== "object") throw new KeystoreError("invalid_keystore", "keystore: no kdfparams");
  const num = (k: string) => {
    const v = kp[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
      throw new KeystoreError("invalid_keystore", `keystore: kdfparams.${k} is not a positive integer`);
    }
    return v;
  };
  if (typeof kp.salt !== "string") throw new KeystoreError("invalid_keystore", "keystore: kdfparams.salt is not hex");
  const salt = fromHex(kp.salt);
  const dklen = num("dklen");
  if (dklen < 32) throw new KeystoreError("invalid_keystore", `keystore: dklen ${dklen}, want at least 32`);
  switch (c.kdf) {
    case "scrypt": {
      const N = num("n");
      if (!isPowerOfTwo(N)) throw new KeystoreError("invalid_keystore", `keystore: scrypt n ${N} is not a power of two`);
      const r = num("r");
      const p = num("p");
      // Bound the work a hostile file can ask for (geth's standard is 256 MiB).
      if (128 * N * r > 2 ** 30 || p > 1024) throw new KeystoreError("unsupported", "keystore: scrypt parameters too large");
      return scryptAsync(passwordBytes(password), salt, { N, r, p, dkLen: dklen, maxmem: 2 ** 31 });
    }
    case "pbkdf2": {
      if (kp.prf !== "hmac-sha256") throw new KeystoreError("unsupported", `keystore: pbkdf2 prf ${String(kp.prf)}, want hmac-sha256`);
      const c2 = num("c");
      if (c2 > 10_000_000) throw new KeystoreError("unsupported", "keystore: pbkdf2 iteration count too large");
      return pbkdf2Async(sha256, passwordBytes(password), salt, { c: c2, dkLen: dklen });
    }
  }
  throw new KeystoreError("unsupported", `keystore: kdf ${String(c.kdf)}, want scrypt or pbkdf2`);
}

/** Encrypts key with password into a v3 keystore (scrypt by default). */
export async function encryptKeystore(key: PrivateKey, password: string, opts: EncryptOptions = {}): Promise<KeystoreV3> {
  const kdf = opts.kdf ?? "scrypt";
  const salt = opts.salt ?? randomBytes(32);
  const iv = opts.iv ?? randomBytes(16);
  if (iv.length !== 16) throw new Error("orama: keystore iv must be 16 bytes");
  let kdfparams: ScryptParams | Pbkdf2Params;
  if (kdf === "scrypt") {
    const s = opts.scrypt ?? (opts.light ? LIGHT_SCRYPT : STANDARD_SCRYPT);
    kdfparams = { dklen: 32, n: s.n, p: s.p, r: s.r, salt: toHex(salt) };
  } else if (kdf === "pbkdf2") {
    kdfparams = { c: opts.iterations ?? DEFAULT_PBKDF2_ITERATIONS, dklen: 32, prf: "hmac-sha256", salt: toHex(salt) };
  } else {
    throw new Error(`orama: keystore kdf ${String(kdf)}: want scrypt or pbkdf2`);
  }
  const partial = { cipher: "aes-128-ctr", kdf, kdfparams } as KeystoreV3["crypto"];
  const dk = await deriveKey(password, partial);
  const ciphertext = ctr(dk.slice(0, 16), iv).encrypt(key.bytes());
  const mac = keccak_256(concatBytes(dk.slice(16, 32), ciphertext));
  return {
    address: toHex(key.address),
    crypto: {
      cipher: "aes-128-ctr",
      ciphertext: toHex(ciphertext),
      cipherparams: { iv: toHex(iv) },
      kdf,
      kdfparams,
      mac: toHex(mac),
    },
    id: opts.id ?? newUUID(),
    version: 3,
  };
}

/** Parses and checks the shape of a v3 keystore (JSON text or object). */
export function parseKeystore(json: string | object): KeystoreV3 {
  let ks: unknown;
  try {
    ks = typeof json === "string" ? JSON.parse(json) : json;
  } catch (e) {
    throw new KeystoreError("invalid_keystore", `keystore: not JSON: ${(e as Error).message}`);
  }
  const k = ks as Partial<KeystoreV3> & { Crypto?: KeystoreV3["crypto"] };
  if (k === null || typeof k !== "object" || k.version !== 3) {
    throw new KeystoreError("invalid_keystore", "keystore: want a version 3 keystore");
  }
  // Some writers capitalize the section, which geth accepts.
  const c = k.crypto ?? k.Crypto;
  if (c === undefined || typeof c !== "object") throw new KeystoreError("invalid_keystore", "keystore: no crypto section");
  if (c.cipher !== "aes-128-ctr") throw new KeystoreError("unsupported", `keystore: cipher ${String(c.cipher)}, want aes-128-ctr`);
  for (const [name, v] of [["ciphertext", c.ciphertext], ["mac", c.mac], ["iv", c.cipherparams?.iv]] as const) {
    if (typeof v !== "string" || !/^(0x)?([0-9a-fA-F]{2})*$/.test(v)) {
      throw new KeystoreError("invalid_keystore", `keystore: ${name} is not hex`);
    }
  }
  return { ...(k as KeystoreV3), crypto: c };
}

/**
 * Decrypts a v3 keystore. Throws KeystoreError "wrong_password" when the MAC
 * does not match, and "address_mismatch" when the key is not the address the
 * file declares.
 */
export async function decryptKeystore(json: string | object, password: string): Promise<PrivateKey> {
  const ks = parseKeystore(json);
  const c = ks.crypto;
  const dk = await deriveKey(password, c);
  const ciphertext = fromHex(c.ciphertext);
  const mac = keccak_256(concatBytes(dk.slice(16, 32), ciphertext));
  if (!equalBytes(mac, fromHex(c.mac))) {
    throw new KeystoreError("wrong_password", "keystore: wrong password (could not decrypt the key)");
  }
  const iv = fromHex(c.cipherparams.iv);
  if (iv.length !== 16) throw new KeystoreError("invalid_keystore", "keystore: iv must be 16 bytes");
  const secret = ctr(dk.slice(0, 16), iv).decrypt(ciphertext);
  const key = new PrivateKey(secret);
  if (typeof ks.address === "string" && ks.address !== "") {
    let declared: Uint8Array;
    try {
      declared = parseAddress(ks.address);
    } catch {
      throw new KeystoreError("invalid_keystore", `keystore: address ${JSON.stringify(ks.address)} is not an address`);
    }
    if (!equalBytes(declared, key.address)) {
      throw new KeystoreError(
        "address_mismatch",
        `keystore: the file says ${formatAddress(declared)} but holds the key of ${key.addressString}`,
      );
    }
  }
  return key;
}

/**
 * The file name geth and `orama keys` give a new key:
 * UTC--<ISO time with '-' for ':' and nanoseconds>Z--<lowercase hex address>.
 */
export function keystoreFileName(address: Uint8Array, when: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const t =
    `${p(when.getUTCFullYear(), 4)}-${p(when.getUTCMonth() + 1)}-${p(when.getUTCDate())}` +
    `T${p(when.getUTCHours())}-${p(when.getUTCMinutes())}-${p(when.getUTCSeconds())}.${p(when.getUTCMilliseconds() * 1_000_000, 9)}Z`;
  return `UTC--${t}--${toHex(address)}`;
}
