// Transactions (spec/transactions.yaml): building, Borsh encoding with the
// generated schema, signing and hashing (DECISIONS.md D3-D5).

import { sha256 } from "@noble/hashes/sha2.js";
import { ADDRESS_LENGTH, formatAddress, parseAddress, validateUsername } from "./address.js";
import { unitOf } from "./amount.js";
import { toHex0x, u64, U64_MAX, equalBytes } from "./bytes.js";
import { decode, encode, recoverAddress, SIGNATURE_LENGTH, signingHash, signingPayload } from "./codec.js";
import { fromJSONForm, toJSONForm } from "./jsonform.js";
import type { PrivateKey } from "./keys.js";
import { enumName, enumValue, param, signingRuleOf } from "./schema.js";

/** A transaction as Borsh encodes it; field names as in the spec. */
export interface Transaction {
  /** A TxType value (see TxType). */
  type: number;
  from: Uint8Array;
  to: Uint8Array;
  amount: bigint;
  /** An Asset value. */
  asset: number;
  nonce: bigint;
  gas_limit: bigint;
  gas_tip_cap: bigint;
  gas_fee_cap: bigint;
  data: Uint8Array;
  /** 65 bytes R||S||V; zero until signed. */
  signature: Uint8Array;
}

/** A transaction in the JSON form of the API and the vectors (D12). */
export interface TransactionJSON {
  hash?: string;
  type: string;
  from: string;
  to: string;
  amount: string;
  asset: string;
  nonce: string;
  gas_limit: string;
  gas_tip_cap: string;
  gas_fee_cap: string;
  data: string;
  signature: string;
}

/** The TxType variants by name, from the generated enums. */
export function txType(name: string): number {
  return enumValue("TxType", name);
}

/** The zero address (no recipient). */
export function zeroAddress(): Uint8Array {
  return new Uint8Array(ADDRESS_LENGTH);
}

function checkTransaction(tx: Transaction): void {
  enumName("TxType", tx.type);
  enumName("Asset", tx.asset);
  if (tx.from.length !== ADDRESS_LENGTH) throw new Error("orama: transaction from: want 20 bytes");
  if (tx.to.length !== ADDRESS_LENGTH) throw new Error("orama: transaction to: want 20 bytes");
  if (tx.signature.length !== SIGNATURE_LENGTH) throw new Error("orama: transaction signature: want 65 bytes");
  for (const k of ["amount", "nonce", "gas_limit", "gas_tip_cap", "gas_fee_cap"] as const) u64(tx[k], k);
  const max = param("MaxTxDataBytes");
  if (BigInt(tx.data.length) > max) throw new Error(`orama: transaction data is ${tx.data.length} bytes, max ${max}`);
}

/** The Borsh encoding of a transaction, signature included. */
export function encodeTransaction(tx: Transaction): Uint8Array {
  checkTransaction(tx);
  return encode("Transaction", tx);
}

/** Decodes a Borsh transaction strictly (canonical, known enum values, limits). */
export function decodeTransaction(bytes: Uint8Array): Transaction {
  const tx = decode("Transaction", bytes) as Transaction;
  checkTransaction(tx);
  return tx;
}

/** The Borsh encoding of every field before the signature. */
export function transactionSigningPayload(tx: Transaction): Uint8Array {
  checkTransaction(tx);
  return signingPayload("Transaction", tx);
}

/** The digest the sender signs: SHA-256 of the preimage under domain Transaction and chainId. */
export function transactionSigningHash(tx: Transaction, chainId: bigint | number | string): Uint8Array {
  return signingHash(signingRuleOf("Transaction").domain, chainId, transactionSigningPayload(tx));
}

/** The transaction id: SHA-256 of the whole Borsh encoding (D5). */
export function transactionHash(tx: Transaction): Uint8Array {
  return sha256(encodeTransaction(tx));
}

/** The id as the API writes it: "0x" + 64 lowercase hex digits. */
export function transactionHashHex(tx: Transaction): string {
  return toHex0x(transactionHash(tx));
}

/**
 * Signs tx with key for chainId and returns the signed copy. From is set to
 * the key's address; any other non-zero From is an error.
 */
export function signTransaction(tx: Transaction, key: PrivateKey, chainId: bigint | number | string): Transaction {
  const addr = key.address;
  if (!tx.from.every((b) => b === 0) && !equalBytes(tx.from, addr)) {
    throw new Error(`orama: transaction from ${formatAddress(tx.from)} is not the key's address ${formatAddress(addr)}`);
  }
  const unsigned: Transaction = { ...tx, from: addr, signature: new Uint8Array(SIGNATURE_LENGTH) };
  const signature = key.signDigest(transactionSigningHash(unsigned, chainId));
  return { ...unsigned, signature };
}

/** The address that signed tx for chainId; throws for a malformed signature. */
export function recoverTransactionSigner(tx: Transaction, chainId: bigint | number | string): Uint8Array {
  return recoverAddress(transactionSigningHash(tx, chainId), tx.signature);
}

/** Checks tx is signed by its From for chainId. */
export function verifyTransaction(tx: Transaction, chainId: bigint | number | string): boolean {
  try {
    return equalBytes(recoverTransactionSigner(tx, chainId), tx.from);
  } catch {
    return false;
  }
}

/** The gas parameter that prices each type (runtime/txrules baseGas). */
const gasParamOf: Record<string, [string, string?]> = {
  Transfer: ["GasTransfer"],
  ClaimUsername: ["GasClaimUsername"],
  Stake: ["GasStake"],
  Unstake: ["GasStake"],
  DEXOrder: ["GasDEXTrade"],
  DEXCancel: ["GasDEXTrade"],
  BridgeDeposit: ["GasBridge"],
  BridgeWithdraw: ["GasBridge"],
  NamespaceCommit: ["GasNamespaceCommit"],
  NamespaceCreate: ["GasNamespaceCreate"],
  NamespaceDelete: ["GasNamespaceDelete"],
  GovernancePropose: ["GasGovernance"],
  GovernanceVote: ["GasGovernance"],
  ReportEquivocation: ["GasReportEquivocation"],
  Shield: ["GasTransfer", "PrivateGasMultiplier"],
  Unshield: ["GasTransfer", "PrivateGasMultiplier"],
  PrivateTransfer: ["GasTransfer", "PrivateGasMultiplier"],
};

/** The gas a transaction uses: its type's gas plus GasPerDataByte per byte of data. */
export function intrinsicGas(type: number, dataLength: number): bigint {
  const g = gasParamOf[enumName("TxType", type)];
  const base = g === undefined ? 0n : g[1] === undefined ? param(g[0]) : param(g[0]) * param(g[1]);
  return base + BigInt(dataLength) * param("GasPerDataByte");
}

/**
 * The fee cap orama send uses by default: min(2 x base fee, MaxBaseFee),
 * at least MinBaseFee, plus the tip.
 */
export function defaultFeeCap(baseFee: bigint, tip: bigint): bigint {
  const maxBase = param("MaxBaseFee");
  let c = maxBase;
  if (baseFee <= maxBase / 2n) {
    c = 2n * baseFee;
    if (c < param("MinBaseFee")) c = param("MinBaseFee");
  }
  c += tip;
  if (c > U64_MAX) throw new Error(`orama: tip ${tip}: too large`);
  return c;
}

/** The Data of a ClaimUsername transaction. */
export function encodeClaimUsernamePayload(username: string): Uint8Array {
  const name = username.startsWith("@") ? username.slice(1) : username;
  validateUsername(name);
  return encode("ClaimUsernamePayload", { username: name });
}

/** The fields a caller chooses; the rest is filled in before signing. */
export interface UnsignedTransactionInit {
  type: number | string;
  to?: Uint8Array | string;
  amount?: bigint;
  asset?: number | string;
  data?: Uint8Array;
  nonce?: bigint;
  gasLimit?: bigint;
  gasTipCap?: bigint;
  gasFeeCap?: bigint;
  from?: Uint8Array;
}

/** Builds an unsigned transaction; the gas limit defaults to the intrinsic gas. */
export function buildTransaction(init: UnsignedTransactionInit): Transaction {
  const type = typeof init.type === "number" ? init.type : txType(init.type);
  const data = init.data ?? new Uint8Array();
  const asset = init.asset === undefined ? enumValue("Asset", "Orama") : typeof init.asset === "number" ? init.asset : unitOf(init.asset).asset;
  const tx: Transaction = {
    type,
    from: init.from ?? zeroAddress(),
    to: init.to === undefined ? zeroAddress() : typeof init.to === "string" ? parseAddress(init.to) : init.to,
    amount: init.amount ?? 0n,
    asset,
    nonce: init.nonce ?? 0n,
    gas_limit: init.gasLimit ?? intrinsicGas(type, data.length),
    gas_tip_cap: init.gasTipCap ?? 0n,
    gas_fee_cap: init.gasFeeCap ?? 0n,
    data,
    signature: new Uint8Array(SIGNATURE_LENGTH),
  };
  checkTransaction(tx);
  return tx;
}

/** The Asset value of "ORAMA"/"Orama"/"BTC" in any case. */
export function assetValue(name: string): number {
  return unitOf(name).asset;
}

/** Parses the JSON form (vectors, API); addresses in any accepted form. */
export function transactionFromJSON(j: TransactionJSON): Transaction {
  const tx = fromJSONForm("Transaction", j) as Transaction;
  checkTransaction(tx);
  return tx;
}

/** The API's JSON form, hash included. */
export function transactionToJSON(tx: Transaction): Required<TransactionJSON> {
  const hash = transactionHashHex(tx); // validates tx first
  return { hash, ...(toJSONForm("Transaction", tx, { displayAddresses: true }) as Omit<TransactionJSON, "hash">) };
}
