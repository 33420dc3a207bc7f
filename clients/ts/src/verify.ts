// Light-client verification of an account proof: GET /v1/accounts/{id}
// ?proof=true checked against a validator set the caller trusts, so a
// balance needs no trust in the node that served it. The rules are the
// AccountProof description of spec/openapi.yaml: the header hashes to
// block_hash, the commit proof (and the headers up to it) show it final
// under consensus.md's commit rule with valid signatures of a quorum of the
// set, and the Sparse Merkle proof (smt.md) puts the account's value, or
// its absence, under the header's state root. Every layout, domain and
// limit comes from the generated schema.

import { sha256 } from "@noble/hashes/sha2.js";
import { ADDRESS_LENGTH, formatAddress, parseAddress } from "./address.js";
import { equalBytes, fromHex, toHex, toHex0x, u64 } from "./bytes.js";
import type { components } from "./generated/api.js";
import { decode, encode, recoverAddress, signingHash, signingPayload } from "./codec.js";
import { OramaError } from "./errors.js";
import { fromJSONForm } from "./jsonform.js";
import { param, signingRuleOf, types } from "./schema.js";
import { decodeSmtProof, SmtProofError, verifySmtInclusion, verifySmtNonExistence, type SmtProofErrorCode } from "./smt.js";

type AccountResponse = components["schemas"]["AccountResponse"];
type Account = components["schemas"]["Account"];
type ApiBlockHeader = components["schemas"]["BlockHeader"];
type ApiValidator = components["schemas"]["Validator"];

/** Why an account proof is refused. */
export type ProofErrorCode =
  | "no_proof" // the response has no proof (ask with proof=true)
  | "malformed" // a field is missing or not its JSON form
  | "header_mismatch" // a header's `borsh` is not the encoding of its fields
  | "block_hash_mismatch" // the header does not hash to block_hash
  | "height_mismatch" // the header is not at the response's height
  | "no_finality" // the node sent no commit proof (see FinalityProof)
  | "broken_chain" // a header does not extend the one below it
  | "qc_not_for_block" // a QC names another block (or is the genesis QC)
  | "unsorted_signers" // votes not strictly ascending by validator: a duplicate signer
  | "unknown_signer" // a voter outside the trusted set
  | "bad_signature" // a vote signature that is not the voter's over the vote, for this chain
  | "no_quorum" // the voters hold at most 2/3 of the power
  | "views_not_consecutive" // the commit rule's three views are not consecutive
  | "key_mismatch" // the proof's key is not the account's address
  | "proof_fields_mismatch" // proof_fields is not the decoding of proof
  | "account_mismatch" // the account shown is not the proven value
  | "invalid_validator_set" // the trusted set itself is unusable
  | SmtProofErrorCode; // the Sparse Merkle proof fails (smt.md's reasons)

export class ProofVerificationError extends OramaError {
  constructor(
    override readonly code: ProofErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ProofVerificationError";
  }
}

function fail(code: ProofErrorCode, message: string, cause?: unknown): never {
  throw new ProofVerificationError(code, `orama: account proof: ${message}`, cause === undefined ? undefined : { cause });
}

/** A validator as the caller trusts it: its address and Effective Power. */
export interface TrustedValidator {
  /** "orama:" + hex, 0x + hex, bare hex, or 20 bytes. */
  address: string | Uint8Array;
  /** Effective Power (GET /v1/validators reports it as `power`). */
  power: bigint | string | number;
}

export interface TrustedValidatorSet {
  chainId: bigint | string | number;
  validators: readonly TrustedValidator[];
}

/**
 * A validator set and chain id to check certificates against. Build it from
 * a source you trust (a genesis file, a pinned copy); taking it from the
 * node you are checking (OramaClient.validatorSet) is trust on first use.
 */
export class ValidatorSet {
  readonly chainId: bigint;
  readonly totalPower: bigint;
  readonly #power = new Map<string, bigint>();

  /** Throws ProofVerificationError("invalid_validator_set") for an empty set, a repeated address or zero power. */
  constructor(set: TrustedValidatorSet) {
    let total = 0n;
    try {
      this.chainId = u64(set.chainId, "chain id");
      for (const v of set.validators) {
        const a = typeof v.address === "string" ? parseAddress(v.address) : Uint8Array.from(v.address);
        if (a.length !== ADDRESS_LENGTH) throw new Error(`address of ${a.length} bytes`);
        const p = u64(v.power, "power");
        if (p === 0n) throw new Error(`${formatAddress(a)} has zero power`);
        const k = toHex(a);
        if (this.#power.has(k)) throw new Error(`${formatAddress(a)} is listed twice`);
        this.#power.set(k, p);
        total += p;
      }
      if (this.#power.size === 0) throw new Error("no validators");
      u64(total, "total power");
    } catch (e) {
      throw new ProofVerificationError("invalid_validator_set", `orama: validator set: ${(e as Error).message}`, { cause: e });
    }
    this.totalPower = total;
  }

  /** The set GET /v1/validators lists, under chainId. */
  static fromApi(validators: readonly ApiValidator[], chainId: bigint | string | number): ValidatorSet {
    return new ValidatorSet({ chainId, validators: validators.map((v) => ({ address: v.address, power: v.power })) });
  }

  get size(): number {
    return this.#power.size;
  }

  /** The power of a member, or undefined for an address outside the set. */
  power(address: Uint8Array): bigint | undefined {
    return this.#power.get(toHex(address));
  }

  /** More than 2/3 of the total: power*3 > total*2 (consensus.md "Quorum"). */
  isQuorum(power: bigint): boolean {
    return power * 3n > this.totalPower * 2n;
  }
}

/** What a verified proof established. */
export interface VerifiedAccount {
  /** The account as the node showed it, now proven: its encoding is the proven value. */
  account: Account;
  /** false: the address has no leaf (zero balances, proven absent). */
  exists: boolean;
  /** The 20-byte address. */
  address: Uint8Array;
  /** The Borsh Account proven at the leaf; empty when absent. */
  value: Uint8Array;
  /** The height and hash of the block the state is of. */
  height: bigint;
  blockHash: string;
  stateRoot: string;
  /** The block the commit proof is for: height, or up to 16 above it. */
  finalHeight: bigint;
}

// Decoded values, in the shape fromJSONForm and decode return.
interface QC {
  view: bigint;
  height: bigint;
  block_hash: Uint8Array;
  votes: { validator: Uint8Array; signature: Uint8Array }[];
}
interface Header {
  height: bigint;
  parent_hash: Uint8Array;
  state_root: Uint8Array;
  view: bigint;
  qc: QC;
}

/** The JSON form of type as its value; anything else is "malformed". */
function parse<T>(type: string, json: unknown, what: string): T {
  if (json === undefined || json === null) fail("malformed", `${what} is missing`);
  try {
    return fromJSONForm(type, json) as T;
  } catch (e) {
    fail("malformed", `${what}: ${(e as Error).message}`, e);
  }
}

/** The encoding of a parsed value; a value the schema cannot write is "malformed". */
function enc(type: string, v: unknown, what: string): Uint8Array {
  try {
    return encode(type, v);
  } catch (e) {
    fail("malformed", `${what}: ${(e as Error).message}`, e);
  }
}

function hexField(s: unknown, what: string): Uint8Array {
  if (typeof s !== "string" || !/^0x([0-9a-f]{2})*$/.test(s)) fail("malformed", `${what} is not 0x + lowercase hex`);
  return fromHex(s);
}

/** A header from its JSON fields, its encoding and hash; `borsh`, when sent, must be that encoding. */
function header(json: ApiBlockHeader | undefined, what: string): { h: Header; hash: Uint8Array } {
  const h = parse<Header>("BlockHeader", json, what);
  const b = enc("BlockHeader", h, what);
  if (json!.borsh !== undefined && !equalBytes(hexField(json!.borsh, `${what}.borsh`), b)) {
    fail("header_mismatch", `${what}: borsh is not the encoding of its fields`);
  }
  return { h, hash: sha256(b) };
}

function lessBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i];
  return a.length < b.length;
}

const VOTE_DOMAIN = () => signingRuleOf("Vote").domain;

/** Checks that qc certifies the header h whose hash is hash, with a quorum of set. */
function checkQC(set: ValidatorSet, qc: QC, h: Header, hash: Uint8Array, what: string): void {
  if (qc.view === 0n && qc.height === 0n && qc.votes.length === 0 && equalBytes(qc.block_hash, new Uint8Array(32))) {
    fail("qc_not_for_block", `${what} is the genesis QC, which certifies no header`);
  }
  if (!equalBytes(qc.block_hash, hash) || qc.view !== h.view || qc.height !== h.height) {
    fail("qc_not_for_block", `${what} is for view ${qc.view} height ${qc.height} ${toHex0x(qc.block_hash)}, not the block of view ${h.view} height ${h.height} ${toHex0x(hash)}`);
  }
  let power = 0n;
  qc.votes.forEach((v, i) => {
    if (i > 0 && !lessBytes(qc.votes[i - 1].validator, v.validator)) {
      fail("unsorted_signers", `${what}: vote ${i} is not above the one before (each validator counts once, in ascending order)`);
    }
    const p = set.power(v.validator);
    if (p === undefined) fail("unknown_signer", `${what}: ${formatAddress(v.validator)} is not in the validator set`);
    const payload = signingPayload("Vote", { view: qc.view, height: qc.height, block_hash: qc.block_hash, voter: v.validator, signature: v.signature });
    let signer: Uint8Array;
    try {
      signer = recoverAddress(signingHash(VOTE_DOMAIN(), set.chainId, payload), v.signature);
    } catch (e) {
      fail("bad_signature", `${what}: the vote of ${formatAddress(v.validator)}: ${(e as Error).message}`, e);
    }
    if (!equalBytes(signer, v.validator)) {
      fail("bad_signature", `${what}: the vote of ${formatAddress(v.validator)} is signed by ${formatAddress(signer)} (another key, block or chain)`);
    }
    power += p;
  });
  if (!set.isQuorum(power)) fail("no_quorum", `${what}: voters hold ${power} of ${set.totalPower}, not more than 2/3`);
}

/** The zero value of a spec type (an address with no leaf reads as this Account). */
function zeroValue(type: string): unknown {
  switch (type) {
    case "u8":
    case "u16":
    case "u32":
      return 0;
    case "u64":
      return 0n;
    case "bool":
      return false;
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
  }
  if (type.startsWith("vec<")) return [];
  if (type.startsWith("option<")) return null;
  const info = types[type];
  if (info === undefined) throw new Error(`orama: unknown type ${type}`);
  switch (info.kind) {
    case "fixed":
      return new Uint8Array(info.size);
    case "enum":
      throw new Error(`orama: ${type}: an enum has no zero value`);
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of info.fields) out[f.name] = zeroValue(f.type);
      return out;
    }
  }
}

/**
 * Verifies an account response fetched with proof=true against a trusted
 * validator set and chain id, end to end: header hash, finality (commit
 * proof signatures and power), and the Sparse Merkle proof of the account.
 * Throws ProofVerificationError, whose code says which check failed.
 */
export function verifyAccountProof(resp: AccountResponse, trusted: ValidatorSet | TrustedValidatorSet): VerifiedAccount {
  const set = trusted instanceof ValidatorSet ? trusted : new ValidatorSet(trusted);
  const p = resp?.proof;
  if (p === undefined || p === null) fail("no_proof", "the response carries no proof (ask with proof=true)");
  const height = parse<bigint>("u64", resp.height, "height");

  // 1. The header is the block the node names.
  const hdr = header(p.header, "header");
  if (!equalBytes(hdr.hash, parse<Uint8Array>("Hash", p.block_hash, "block_hash"))) {
    fail("block_hash_mismatch", `the header hashes to ${toHex0x(hdr.hash)}, not block_hash ${p.block_hash}`);
  }
  if (hdr.h.height !== height) fail("height_mismatch", `the header is at height ${hdr.h.height}, the response at ${height}`);

  // 2. It is final: the headers up to a block the commit proof proves final.
  const fin = p.finality;
  if (fin === undefined || fin === null) fail("no_finality", `the node sent no commit proof for height ${height}`);
  if (!Array.isArray(fin.headers)) fail("malformed", "finality.headers is not a list");
  if (BigInt(fin.headers.length) > param("MaxSyncBlocks")) {
    fail("malformed", `finality.headers holds ${fin.headers.length} headers, at most ${param("MaxSyncBlocks")}`);
  }
  let last = hdr;
  fin.headers.forEach((j, i) => {
    const next = header(j, `finality.headers[${i}]`);
    if (!equalBytes(next.h.parent_hash, last.hash) || next.h.height !== last.h.height + 1n) {
      fail("broken_chain", `finality.headers[${i}] does not extend height ${last.h.height}`);
    }
    last = next;
  });
  const cp = fin.commit_proof;
  if (cp === undefined || cp === null) fail("malformed", "finality.commit_proof is missing");
  const child = header(cp.child, "commit_proof.child");
  const grand = header(cp.grandchild, "commit_proof.grandchild");
  const qc = parse<QC>("QuorumCert", cp.qc, "commit_proof.qc");
  if (!equalBytes(child.h.parent_hash, last.hash)) fail("broken_chain", `the commit proof's child does not extend height ${last.h.height}`);
  if (!equalBytes(grand.h.parent_hash, child.hash)) fail("broken_chain", "the commit proof's grandchild does not extend its child");
  checkQC(set, child.h.qc, last.h, last.hash, "the child's QC");
  checkQC(set, grand.h.qc, child.h, child.hash, "the grandchild's QC");
  checkQC(set, qc, grand.h, grand.hash, "the commit proof's QC");
  if (child.h.view !== last.h.view + 1n || grand.h.view !== child.h.view + 1n) {
    fail("views_not_consecutive", `views ${last.h.view}, ${child.h.view}, ${grand.h.view} are not consecutive: no commit`);
  }

  // 3. The account's value, or its absence, under the header's state root.
  const address = parse<Uint8Array>("Address", resp.account?.address, "account.address");
  const key = hexField(p.key, "key");
  if (!equalBytes(key, address)) fail("key_mismatch", `the proof is for key ${p.key}, not ${resp.account.address}`);
  const proofBytes = hexField(p.proof, "proof");
  let proof;
  try {
    proof = decodeSmtProof(proofBytes);
  } catch (e) {
    if (e instanceof SmtProofError) fail(e.code, e.message, e);
    throw e;
  }
  const shown = enc("Account", parse("Account", resp.account, "account"), "account");
  const value = hexField(p.value, "value");
  if (typeof p.exists !== "boolean") fail("malformed", "exists is not a boolean");
  try {
    if (p.exists) verifySmtInclusion(hdr.h.state_root, key, value, proof);
    else verifySmtNonExistence(hdr.h.state_root, key, proof);
  } catch (e) {
    if (e instanceof SmtProofError) fail(e.code, e.message, e);
    throw e;
  }
  // The readable form must say what the checked bytes say.
  if (!equalBytes(enc("SMTProof", parse("SMTProof", p.proof_fields, "proof_fields"), "proof_fields"), proofBytes)) {
    fail("proof_fields_mismatch", "proof_fields is not the decoding of proof");
  }
  if (p.exists) {
    if (!equalBytes(value, shown)) fail("account_mismatch", "the account shown is not the proven value");
    decode("Account", value); // strict: the proven value is a canonical Account
  } else {
    const zero = { ...(zeroValue("Account") as Record<string, unknown>), address };
    if (value.length !== 0 || !equalBytes(shown, encode("Account", zero))) {
      fail("account_mismatch", "an account proven absent must be shown with zero balances, nonce and roots");
    }
  }
  return {
    account: resp.account,
    exists: p.exists,
    address,
    value,
    height,
    blockHash: toHex0x(hdr.hash),
    stateRoot: toHex0x(hdr.h.state_root),
    finalHeight: last.h.height,
  };
}
