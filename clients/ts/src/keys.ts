// secp256k1 private keys (the Ethereum curve and address derivation).

import { secp256k1 } from "@noble/curves/secp256k1.js";
import { addressFromPublicKey, formatAddress } from "./address.js";
import { fromHex, toHex } from "./bytes.js";
import { KeyError } from "./errors.js";
import { signDigest, signingHash } from "./codec.js";

export class PrivateKey {
  readonly #secret: Uint8Array;
  #address?: Uint8Array;

  /** A key from its 32 bytes; throws KeyError for zero or a value not below N. */
  constructor(secret: Uint8Array) {
    if (secret.length !== 32 || !secp256k1.utils.isValidSecretKey(secret)) {
      throw new KeyError("invalid_key", "orama: not a valid secp256k1 private key");
    }
    this.#secret = Uint8Array.from(secret);
  }

  /** A new random key. */
  static generate(): PrivateKey {
    return new PrivateKey(secp256k1.utils.randomSecretKey());
  }

  /** A key from 64 hex digits, with or without 0x. */
  static fromHex(s: string): PrivateKey {
    const h = s.trim();
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(h)) throw new KeyError("invalid_hex", "orama: want a private key of 64 hex digits");
    return new PrivateKey(fromHex(h));
  }

  /** The 32 secret bytes (a copy). */
  bytes(): Uint8Array {
    return Uint8Array.from(this.#secret);
  }

  /** The secret as 64 lowercase hex digits. */
  toHex(): string {
    return toHex(this.#secret);
  }

  /** The uncompressed public key (65 bytes, 0x04 prefix). */
  publicKey(): Uint8Array {
    return secp256k1.getPublicKey(this.#secret, false);
  }

  /** The 20-byte address. */
  get address(): Uint8Array {
    this.#address ??= addressFromPublicKey(this.publicKey());
    return Uint8Array.from(this.#address);
  }

  /** "orama:" + EIP-55 hex. */
  get addressString(): string {
    return formatAddress(this.address);
  }

  /** Signs a 32-byte digest: R||S||V, V in {0,1}, low S, RFC 6979. */
  signDigest(digest: Uint8Array): Uint8Array {
    return signDigest(this.#secret, digest);
  }

  /** Signs payload under a signing domain and chain id (DECISIONS.md D3). */
  signDomain(domain: number, chainId: bigint | number | string, payload: Uint8Array): Uint8Array {
    return this.signDigest(signingHash(domain, chainId, payload));
  }
}
