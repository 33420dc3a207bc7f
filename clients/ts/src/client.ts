// A typed client of the node's REST API (spec/openapi.yaml) built on
// openapi-fetch, with the steps a wallet needs: resolve @username, read the
// nonce, chain id and base fee, sign locally, send, and wait for inclusion.

import createClient, { type Client } from "openapi-fetch";
import { formatAccountRef, formatAddress, parseAccountRef, parseAddress } from "./address.js";
import { equalBytes, toHex0x, u64 } from "./bytes.js";
import { OramaError } from "./errors.js";
import type { PrivateKey } from "./keys.js";
import { errorErrorCodeValues, type components, type paths } from "./generated/api.js";
import { ProofVerificationError, ValidatorSet, verifyAccountProof, type TrustedValidatorSet, type VerifiedAccount } from "./verify.js";
import { parseAmount, unitOf } from "./amount.js";
import {
  buildTransaction,
  defaultFeeCap,
  encodeClaimUsernamePayload,
  encodeTransaction,
  signTransaction,
  transactionHashHex,
  txType,
  type Transaction,
} from "./transaction.js";

export type Schemas = components["schemas"];
export type ChainStatus = Schemas["ChainStatus"];
export type AccountResponse = Schemas["AccountResponse"];
export type Account = Schemas["Account"];
export type Balance = Schemas["Balance"];
export type TransactionStatus = Schemas["TransactionStatus"];
export type Block = Schemas["Block"];
export type ApiTransaction = Schemas["Transaction"];
export type Receipt = Schemas["Receipt"];
export type Validator = Schemas["Validator"];

/** The error codes of the API: the enum of spec/openapi.yaml's Error schema, generated. */
export type ErrorCode = Schemas["Error"]["error"]["code"];

/** Every ErrorCode, in the spec's order (generated). */
export const errorCodes: readonly ErrorCode[] = errorErrorCodeValues;

/**
 * The code of an OramaApiError: one of the node's codes, or
 * "unexpected_response" when the answer is not the API's error shape with
 * a listed code (a proxy's page, a newer node's new code; see the message).
 */
export type ApiErrorCode = ErrorCode | "unexpected_response";

const isErrorCode = (c: string): c is ErrorCode => (errorCodes as readonly string[]).includes(c);

/** A failure the node reported: its HTTP status and stable error code. */
export class OramaApiError extends OramaError {
  constructor(
    readonly status: number,
    override readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "OramaApiError";
  }
}

/** A transaction that made it into a block with a failing receipt status. */
export class TransactionRejectedError extends OramaError {
  override readonly code = "transaction_rejected";
  constructor(
    readonly hash: string,
    readonly reason: string,
    readonly status: TransactionStatus,
  ) {
    super(`orama: transaction ${hash} was rejected: ${reason}`);
    this.name = "TransactionRejectedError";
  }
}

/** Why the client gave up on something the node did (or failed to do). */
export type ClientErrorCode =
  | "timeout" // a wait ran out of time
  | "dropped" // the node stopped knowing a transaction
  | "inconsistent_node" // the node contradicted itself or this client's computation
  | "invalid_fee"; // fee options that cannot work (tip above the fee cap)

export class OramaClientError extends OramaError {
  constructor(
    override readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "OramaClientError";
  }
}

export interface ClientOptions {
  /** The node's API URL, e.g. http://127.0.0.1:8545. */
  baseUrl: string;
  /** A fetch implementation (default: the global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export interface WaitOptions {
  /** How long to wait in all (default 120 s). */
  timeoutMs?: number;
  /** Time between polls (default 250 ms). */
  pollMs?: number;
  /** Wait for finalization, not just inclusion. */
  finalized?: boolean;
  /** How long an unknown hash is tolerated (default 5 s): between mempool and index it may be neither. */
  notFoundGraceMs?: number;
}

export interface FeeOptions {
  /** Priority fee per gas in rays (default 0). */
  tip?: bigint;
  /** Most rays per gas (default: min(2 x base fee, MaxBaseFee) + tip, as orama send). */
  feeCap?: bigint;
  /** The nonce (default: the account's nonce at the latest block). */
  nonce?: bigint;
  /** The gas limit (default: the intrinsic gas). */
  gasLimit?: bigint;
}

export interface SubmitOptions extends FeeOptions {
  /** Wait until the transaction is in a block (or finalized, with wait.finalized). */
  wait?: boolean | WaitOptions;
}

export interface SubmitResult {
  hash: string;
  transaction: Transaction;
  /** With wait: the status once included. */
  status?: TransactionStatus;
}

export interface TransferParams extends SubmitOptions {
  /** @username or an address in any form, or 20 bytes. */
  to: string | Uint8Array;
  /** Base units (rays or sats) as a bigint, or an exact decimal of whole units ("1.5"). */
  amount: bigint | string;
  /** ORAMA (default) or BTC. */
  asset?: "ORAMA" | "BTC" | "Orama";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class OramaClient {
  /** The typed openapi-fetch client, for anything the helpers below do not cover. */
  readonly api: Client<paths>;
  #chainId?: bigint;

  constructor(opts: ClientOptions | string) {
    const o = typeof opts === "string" ? { baseUrl: opts } : opts;
    this.api = createClient<paths>({
      baseUrl: o.baseUrl.replace(/\/+$/, ""),
      fetch: o.fetch,
      headers: o.headers,
    });
  }

  #fail(response: Response, error: unknown): never {
    const e = (error as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof e?.code === "string" ? e.code : undefined;
    if (code !== undefined && isErrorCode(code)) throw new OramaApiError(response.status, code, `orama node: ${String(e?.message)} (${code})`);
    const what = code !== undefined ? `unlisted error code ${JSON.stringify(code)}: ${String(e?.message)}` : `HTTP ${response.status} ${response.statusText}`;
    throw new OramaApiError(response.status, "unexpected_response", `orama node: ${what}`);
  }

  /** GET /v1/chain/status. */
  async chainStatus(): Promise<ChainStatus> {
    const { data, error, response } = await this.api.GET("/v1/chain/status");
    if (data === undefined) this.#fail(response, error);
    return data;
  }

  /** The chain id, read once from the node's status. */
  async chainId(): Promise<bigint> {
    this.#chainId ??= u64((await this.chainStatus()).chain_id, "chain id");
    return this.#chainId;
  }

  /** The base fee per gas the next block charges, in rays. */
  async baseFee(): Promise<bigint> {
    return u64((await this.chainStatus()).base_fee, "base fee");
  }

  /** GET /v1/accounts/{id}: "@name" or an address in any form. */
  async account(id: string | Uint8Array, opts: { proof?: boolean; height?: bigint } = {}): Promise<AccountResponse> {
    const ref = typeof id === "string" ? formatAccountRef(parseAccountRef(id)) : formatAddress(id);
    const query: { proof?: boolean; height?: string } = {};
    if (opts.proof) query.proof = true;
    if (opts.height !== undefined) query.height = opts.height.toString();
    const { data, error, response } = await this.api.GET("/v1/accounts/{id}", {
      params: { path: { id: ref }, query },
    });
    if (data === undefined) this.#fail(response, error);
    return data;
  }

  /** GET /v1/validators: the validator set with each member's Effective Power. */
  async validators(): Promise<Validator[]> {
    const { data, error, response } = await this.api.GET("/v1/validators");
    if (data === undefined) this.#fail(response, error);
    return data.validators;
  }

  /**
   * The validator set and chain id as this node reports them, to verify
   * proofs with. Taking them from the node being checked is trust on first
   * use: pin the result (or build a ValidatorSet from the genesis file) and
   * reuse it for later proofs.
   */
  async validatorSet(): Promise<ValidatorSet> {
    const [validators, chainId] = await Promise.all([this.validators(), this.chainId()]);
    return ValidatorSet.fromApi(validators, chainId);
  }

  /**
   * The account with its proof, verified against trusted (verifyAccountProof):
   * the answer is proven final and correct, or this throws
   * ProofVerificationError. Also checks that the proven account is the one
   * asked for: the address, or for "@name" an account holding that username.
   */
  async verifiedAccount(
    id: string | Uint8Array,
    trusted: ValidatorSet | TrustedValidatorSet,
    opts: { height?: bigint } = {},
  ): Promise<VerifiedAccount> {
    const ref = typeof id === "string" ? parseAccountRef(id) : { address: Uint8Array.from(id) };
    const v = verifyAccountProof(await this.account(id, { proof: true, height: opts.height }), trusted);
    if (ref.address !== undefined ? !equalBytes(v.address, ref.address) : !v.exists || v.account.username !== ref.username) {
      throw new ProofVerificationError(
        "account_mismatch",
        `orama: account proof: asked for ${formatAccountRef(ref)}, the node proved ${v.account.address} (username ${JSON.stringify(v.account.username)})`,
      );
    }
    return v;
  }

  /** GET /v1/accounts/{id}/balance. */
  async balance(id: string | Uint8Array): Promise<Balance> {
    const ref = typeof id === "string" ? formatAccountRef(parseAccountRef(id)) : formatAddress(id);
    const { data, error, response } = await this.api.GET("/v1/accounts/{id}/balance", { params: { path: { id: ref } } });
    if (data === undefined) this.#fail(response, error);
    return data;
  }

  /**
   * The 20-byte address of "@name" (asked of the node) or of an address in
   * any form (parsed locally). An unknown username throws OramaApiError
   * with code unknown_username.
   */
  async resolve(ref: string): Promise<Uint8Array> {
    const r = parseAccountRef(ref);
    if (r.address !== undefined) return r.address;
    const acct = await this.account(ref);
    const addr = parseAddress(acct.account.address);
    if (acct.account.username !== r.username) {
      throw new OramaClientError(
        "inconsistent_node",
        `orama: node resolved @${r.username} to ${acct.account.address}, whose username is ${JSON.stringify(acct.account.username)}`,
      );
    }
    return addr;
  }

  /** The account's nonce at the latest block. */
  async nonce(id: string | Uint8Array): Promise<bigint> {
    return u64((await this.account(id)).account.nonce, "nonce");
  }

  /** POST /v1/transactions/send with a signed transaction; returns the node's hash. */
  async sendRaw(tx: Transaction | Uint8Array): Promise<string> {
    const raw = tx instanceof Uint8Array ? tx : encodeTransaction(tx);
    const { data, error, response } = await this.api.POST("/v1/transactions/send", {
      body: { transaction: toHex0x(raw) },
    });
    if (data === undefined) this.#fail(response, error);
    return data.hash;
  }

  /** GET /v1/transactions/{hash}. */
  async transaction(hash: string): Promise<TransactionStatus> {
    const h = hash.toLowerCase();
    const { data, error, response } = await this.api.GET("/v1/transactions/{hash}", { params: { path: { hash: h } } });
    if (data === undefined) this.#fail(response, error);
    return data;
  }

  /**
   * Polls until the transaction is included (or finalized). A rejected
   * transaction throws TransactionRejectedError; a timeout or a hash the
   * node stops knowing throws OramaClientError ("timeout", "dropped").
   */
  async waitForTransaction(hash: string, opts: WaitOptions = {}): Promise<TransactionStatus> {
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    const grace = opts.notFoundGraceMs ?? 5_000;
    let notFoundSince: number | undefined;
    let last: TransactionStatus | undefined;
    for (;;) {
      try {
        const st = await this.transaction(hash);
        notFoundSince = undefined;
        last = st;
        if (st.status === "rejected") {
          throw new TransactionRejectedError(hash, st.reason ?? st.receipt?.status ?? "rejected", st);
        }
        if (st.status === "finalized" || (st.status === "included" && !opts.finalized)) return st;
      } catch (e) {
        if (!(e instanceof OramaApiError && e.code === "not_found")) throw e;
        notFoundSince ??= Date.now();
        if (Date.now() - notFoundSince > grace) {
          throw new OramaClientError("dropped", `orama: transaction ${hash}: the node no longer knows it (dropped from the mempool?)`);
        }
      }
      if (Date.now() >= deadline) {
        throw new OramaClientError("timeout", `orama: transaction ${hash}: still ${last?.status ?? "not found"} after waiting ${opts.timeoutMs ?? 120_000} ms`);
      }
      await sleep(opts.pollMs ?? 250);
    }
  }

  /**
   * Fills in From, the nonce, the gas limit and the fees of tx from the
   * node (as orama send does) and signs it with key for the node's chain id.
   */
  async prepare(key: PrivateKey, tx: Transaction, opts: FeeOptions = {}): Promise<Transaction> {
    const chainId = await this.chainId();
    const tip = opts.tip ?? 0n;
    let feeCap = opts.feeCap;
    if (feeCap !== undefined && tip > feeCap) throw new OramaClientError("invalid_fee", `orama: tip ${tip} is above the fee cap ${feeCap}`);
    feeCap ??= defaultFeeCap(await this.baseFee(), tip);
    const nonce = opts.nonce ?? (await this.nonce(key.address));
    const filled: Transaction = {
      ...tx,
      from: key.address,
      nonce: u64(nonce, "nonce"),
      gas_limit: opts.gasLimit ?? tx.gas_limit,
      gas_tip_cap: u64(tip, "tip"),
      gas_fee_cap: u64(feeCap, "fee cap"),
    };
    return signTransaction(filled, key, chainId);
  }

  /** Sends a signed transaction and, with opts.wait, waits for it. */
  async submit(signed: Transaction, opts: SubmitOptions = {}): Promise<SubmitResult> {
    const hash = transactionHashHex(signed);
    const got = await this.sendRaw(signed);
    if (got.toLowerCase() !== hash) {
      throw new OramaClientError("inconsistent_node", `orama: the node reports hash ${got}, this client computed ${hash}`);
    }
    const out: SubmitResult = { hash, transaction: signed };
    if (opts.wait) out.status = await this.waitForTransaction(hash, opts.wait === true ? {} : opts.wait);
    return out;
  }

  /** Signs and sends a transfer; the recipient may be @username. */
  async transfer(key: PrivateKey, p: TransferParams): Promise<SubmitResult> {
    const unit = unitOf(p.asset ?? "ORAMA");
    const amount = typeof p.amount === "string" ? parseAmount(p.amount, unit) : u64(p.amount, "amount");
    const to = typeof p.to === "string" ? await this.resolve(p.to) : p.to;
    const tx = buildTransaction({ type: txType("Transfer"), to, amount, asset: unit.asset });
    return this.submit(await this.prepare(key, tx, p), p);
  }

  /** Signs and sends a ClaimUsername for the key's account. */
  async claimUsername(key: PrivateKey, username: string, opts: SubmitOptions = {}): Promise<SubmitResult> {
    const tx = buildTransaction({ type: txType("ClaimUsername"), data: encodeClaimUsernamePayload(username) });
    return this.submit(await this.prepare(key, tx, opts), opts);
  }
}

