// Borsh encoding of spec types with the generated schemas (borsh 2.x), the
// signing preimage of DECISIONS.md D3 and signature handling (D4).

import { serialize, type Schema } from "borsh";
import { sha256 } from "@noble/hashes/sha2.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { addressFromPublicKey } from "./address.js";
import { equalBytes, toHex0x, u64 } from "./bytes.js";
import { OramaError } from "./errors.js";
import { param, schemaOf, signingRuleOf } from "./schema.js";
import { decodeStrict } from "./strict.js";

export const HASH_LENGTH = 32;
export const SIGNATURE_LENGTH = 65;

function snakeToCamel(k: string): string {
  return k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function structFields(type: string, s: Schema): Record<string, Schema> {
  if (typeof s !== "object" || s === null || !("struct" in s)) {
    throw new Error(`orama: ${type} is not a struct in the generated schema`);
  }
  return (s as { struct: Record<string, Schema> }).struct;
}

/**
 * Returns value with its fields under the names the schema uses, accepting
 * the spec's snake_case or camelCase, in schema order.
 */
function alignStruct(fields: Record<string, Schema>, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(fields)) {
    out[k] = k in value ? value[k] : value[snakeToCamel(k)];
  }
  return out;
}

/** The Borsh encoding of a value of a spec type. */
export function encode(type: string, value: unknown): Uint8Array {
  const s = schemaOf(type);
  const v = typeof s === "object" && s !== null && "struct" in s ? alignStruct(structFields(type, s), value as Record<string, unknown>) : value;
  return serialize(s, v);
}

/**
 * Decodes bytes as a spec type, strictly (spec/README.md "Strictness"), and
 * checks that the generated borsh schema encodes the result back to the same
 * bytes. Fixed and variable byte arrays come back as Uint8Array, u64 as
 * bigint, enums as their values.
 */
export function decode(type: string, bytes: Uint8Array): unknown {
  const v = decodeStrict(type, bytes);
  if (!equalBytes(encode(type, v), bytes)) {
    throw new Error(`orama: ${type}: the generated schema does not re-encode the decoded value to the same bytes`);
  }
  return v;
}

/**
 * The signing payload of a signed type: the Borsh encoding of every field
 * before its signature field, or the whole encoding when the type has none.
 */
export function signingPayload(type: string, value: unknown): Uint8Array {
  const { signatureField } = signingRuleOf(type);
  if (signatureField === null) return encode(type, value);
  const fields = structFields(type, schemaOf(type));
  const keys = Object.keys(fields);
  const sigKey = keys.find((k) => k === signatureField || snakeToCamel(k) === snakeToCamel(signatureField));
  if (sigKey === undefined || keys[keys.length - 1] !== sigKey) {
    throw new Error(`orama: ${type}: signature field ${signatureField} is not its last field`);
  }
  const head: Record<string, Schema> = {};
  for (const k of keys.slice(0, -1)) head[k] = fields[k];
  return serialize({ struct: head }, alignStruct(head, value as Record<string, unknown>));
}

/**
 * The signing preimage: Borsh(SigningPreimage{domain, chain_id, payload}),
 * with the generated SigningPreimage schema.
 */
export function signingPreimage(domain: number, chainId: bigint | number | string, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(domain) || domain < 1 || domain > 255) throw new Error(`orama: signing domain ${domain} is not valid`);
  const max = param("MaxSigningPayloadBytes");
  if (BigInt(payload.length) > max) {
    throw new Error(`orama: signing payload is ${payload.length} bytes, max ${max}`);
  }
  const fields = structFields("SigningPreimage", schemaOf("SigningPreimage"));
  const keys = Object.keys(fields);
  if (keys.length !== 3) throw new Error("orama: SigningPreimage: want three fields (domain, chain id, payload)");
  const values = [domain, u64(chainId, "chain id"), payload];
  const v: Record<string, unknown> = {};
  keys.forEach((k, i) => (v[k] = values[i]));
  return serialize(schemaOf("SigningPreimage"), v);
}

/** SHA-256 of the signing preimage: the 32-byte digest ECDSA signs. */
export function signingHash(domain: number, chainId: bigint | number | string, payload: Uint8Array): Uint8Array {
  return sha256(signingPreimage(domain, chainId, payload));
}

/** Why a signature is refused, as the conformance vectors name it. */
export class SignatureError extends OramaError {
  constructor(
    override readonly code: "invalid_length" | "invalid_recovery_id" | "invalid_signature_values" | "high_s" | "recovery_failed",
    message: string,
  ) {
    super(message);
    this.name = "SignatureError";
  }
}

const N = secp256k1.Point.CURVE().n;

function scalar(b: Uint8Array): bigint {
  return BigInt(toHex0x(b));
}

/** Checks the canonical form R||S||V: V in {0,1}, R and S in [1, N-1], S <= N/2. */
export function checkSignature(sig: Uint8Array): void {
  if (sig.length !== SIGNATURE_LENGTH) throw new SignatureError("invalid_length", `orama: signature is ${sig.length} bytes, want 65`);
  const v = sig[64];
  if (v > 1) throw new SignatureError("invalid_recovery_id", `orama: signature V = ${v}, want 0 or 1`);
  const r = scalar(sig.subarray(0, 32));
  const s = scalar(sig.subarray(32, 64));
  if (r === 0n || r >= N) throw new SignatureError("invalid_signature_values", "orama: signature R not in [1, N-1]");
  if (s === 0n || s >= N) throw new SignatureError("invalid_signature_values", "orama: signature S not in [1, N-1]");
  if (s > N >> 1n) throw new SignatureError("high_s", "orama: signature S > N/2");
}

/**
 * Signs a 32-byte digest: RFC 6979 deterministic nonce, low S, and returns
 * R||S||V with V in {0,1}.
 */
export function signDigest(secretKey: Uint8Array, digest: Uint8Array): Uint8Array {
  if (digest.length !== HASH_LENGTH) throw new Error(`orama: digest is ${digest.length} bytes, want 32`);
  const rec = secp256k1.sign(digest, secretKey, { prehash: false, lowS: true, format: "recovered" });
  // noble's recovered form is V||R||S.
  const out = new Uint8Array(SIGNATURE_LENGTH);
  out.set(rec.subarray(1, 65), 0);
  out[64] = rec[0];
  checkSignature(out);
  return out;
}

/** The address that made sig over digest; throws for a non-canonical signature. */
export function recoverAddress(digest: Uint8Array, sig: Uint8Array): Uint8Array {
  checkSignature(sig);
  if (digest.length !== HASH_LENGTH) throw new Error(`orama: digest is ${digest.length} bytes, want 32`);
  const rec = new Uint8Array(SIGNATURE_LENGTH);
  rec[0] = sig[64];
  rec.set(sig.subarray(0, 64), 1);
  let pub: Uint8Array;
  try {
    pub = secp256k1.Signature.fromBytes(rec, "recovered").recoverPublicKey(digest).toBytes(false);
  } catch (e) {
    throw new SignatureError("recovery_failed", `orama: recover: ${(e as Error).message}`);
  }
  return addressFromPublicKey(pub);
}
