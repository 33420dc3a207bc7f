// A synthetic chain for the proof-verification tests: validators with
// chosen powers sign real QCs (domain Vote, a chain id) over headers that
// carry a real state root, and a GET /v1/accounts/{id}?proof=true answer is
// assembled in the API's JSON form, as the node would send it. The Sparse
// Merkle Tree here is the reference of spec/smt.md section 3 (a root and a
// proof from the whole key set), written apart from the package's verifier.

import { sha256 } from "@noble/hashes/sha2.js";
import {
  PrivateKey,
  concatBytes,
  encode,
  equalBytes,
  formatAddress,
  fromJSONForm,
  signingHash,
  signingPayload,
  signingRuleOf,
  toHex0x,
  toJSONForm,
  type AccountResponse,
} from "@oramanetwork/orama-client";

const ZERO = new Uint8Array(32);
const leafHash = (path: Uint8Array, vh: Uint8Array) => sha256(concatBytes(Uint8Array.of(0), path, vh));
const internalHash = (l: Uint8Array, r: Uint8Array) => sha256(concatBytes(Uint8Array.of(1), l, r));
const bit = (p: Uint8Array, i: number) => (p[i >> 3] >> (7 - (i & 7))) & 1;

interface Entry {
  path: Uint8Array;
  valueHash: Uint8Array;
}

function subtree(S: Entry[], d: number): Uint8Array {
  if (S.length === 0) return ZERO;
  if (S.length === 1) return leafHash(S[0].path, S[0].valueHash);
  return internalHash(subtree(S.filter((e) => bit(e.path, d) === 0), d + 1), subtree(S.filter((e) => bit(e.path, d) === 1), d + 1));
}

/** The root of key -> value, and the proof for key (inclusion when present). */
export function smtProve(entries: [Uint8Array, Uint8Array][], key: Uint8Array) {
  const all = entries.map(([k, v]) => ({ path: sha256(k), valueHash: sha256(v) }));
  const path = sha256(key);
  let S = all;
  const bitmap = new Uint8Array(32);
  const siblings: Uint8Array[] = [];
  for (let d = 0; S.length > 1; d++) {
    const sib = subtree(S.filter((e) => bit(e.path, d) !== bit(path, d)), d + 1);
    if (!equalBytes(sib, ZERO)) {
      bitmap[d >> 3] |= 0x80 >> (d & 7);
      siblings.push(sib);
    }
    S = S.filter((e) => bit(e.path, d) === bit(path, d));
  }
  const leaf = S.length === 1 && !equalBytes(S[0].path, path) ? { path: S[0].path, value_hash: S[0].valueHash } : null;
  return { root: subtree(all, 0), proof: { bitmap, siblings, leaf } };
}

/** A deterministic key. */
export function testKey(label: string): PrivateKey {
  return new PrivateKey(sha256(new TextEncoder().encode("orama client test key " + label)));
}

export const CHAIN_ID = 4242n;

export interface Member {
  key: PrivateKey;
  power: bigint;
}

/** Members with the given powers; sorted by address, as votes are. */
export function members(label: string, powers: bigint[]): Member[] {
  const ms = powers.map((power, i) => ({ key: testKey(`${label}-${i}`), power }));
  return ms.sort((a, b) => (toHex0x(a.key.address) < toHex0x(b.key.address) ? -1 : 1));
}

export const trusted = (ms: Member[], chainId = CHAIN_ID) => ({
  chainId,
  validators: ms.map((m) => ({ address: m.key.addressString, power: m.power })),
});

type Value = Record<string, unknown>;

/** A QC for the header h, signed by signers (ascending by address) under chainId. */
export function signQC(h: Value, signers: Member[], chainId = CHAIN_ID): Value {
  const hash = sha256(encode("BlockHeader", h));
  const domain = signingRuleOf("Vote").domain;
  const votes = signers.map((m) => {
    const vote = { view: h.view, height: h.height, block_hash: hash, voter: m.key.address };
    return { validator: m.key.address, signature: m.key.signDomain(domain, chainId, signingPayload("Vote", vote)) };
  });
  return { view: h.view, height: h.height, block_hash: hash, votes };
}

const genesisQC = () => ({ view: 0n, height: 0n, block_hash: new Uint8Array(32), votes: [] });

/** Headers 0..views.length-1 in those views, each certifying its parent with signers' votes. */
export function buildChain(views: bigint[], stateRoot: Uint8Array, signers: Member[], chainId = CHAIN_ID): Value[] {
  const out: Value[] = [];
  views.forEach((view, i) => {
    const parent = out[i - 1];
    out.push({
      height: BigInt(i),
      parent_hash: parent ? sha256(encode("BlockHeader", parent)) : sha256(new TextEncoder().encode("genesis")),
      // Every block keeps the same state: the proof is good at any height.
      state_root: stateRoot,
      transactions_root: new Uint8Array(32),
      receipts_root: new Uint8Array(32),
      timestamp: 1_700_000_000n + BigInt(i),
      proposer: signers[0].key.address,
      epoch: 0n,
      view,
      base_fee: 1000n,
      gas_used: 0n,
      qc: i <= 1 ? genesisQC() : signQC(parent, signers, chainId),
      timeout_cert: null,
    });
  });
  return out;
}

export const headerJSON = (h: Value) => ({
  ...(toJSONForm("BlockHeader", h, { displayAddresses: true }) as Value),
  borsh: toHex0x(encode("BlockHeader", h)),
});

/** The accounts of the test state, and the one the proofs are about. */
export function testState() {
  const who = testKey("alice");
  const accounts = [who, ...Array.from({ length: 11 }, (_, i) => testKey(`other-${i}`))].map((k, i) =>
    fromJSONForm("Account", {
      address: k.addressString,
      username: i === 0 ? "alice" : "",
      nonce: String(i + 3),
      orama_balance: String(1_000_000 * (i + 1)),
      btc_balance: String(i),
      code_hash: toHex0x(new Uint8Array(32)),
      storage_root: toHex0x(new Uint8Array(32)),
      commitment_root: toHex0x(new Uint8Array(32)),
      nullifier_root: toHex0x(new Uint8Array(32)),
    }) as Value,
  );
  const entries: [Uint8Array, Uint8Array][] = accounts.map((a) => [a.address as Uint8Array, encode("Account", a)]);
  return { who, accounts, entries };
}

export interface ProofOptions {
  /** Views of blocks 0..n (default 0..8, consecutive). */
  views?: bigint[];
  /** The block the state proof is against (default 2). */
  at?: number;
  /** The block the commit proof is for (default at). */
  provenAt?: number;
  /** Who signs every QC (default all members). */
  signers?: Member[];
  chainId?: bigint;
  /** Prove an address with no leaf. */
  absent?: boolean;
}

/** A proof response as GET /v1/accounts/{id}?proof=true returns it. */
export function proofResponse(ms: Member[], o: ProofOptions = {}): AccountResponse {
  const views = o.views ?? [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];
  const at = o.at ?? 2;
  const provenAt = o.provenAt ?? at;
  const { who, accounts, entries } = testState();
  const addr = o.absent ? testKey("nobody").address : who.address;
  const { root, proof } = smtProve(entries, addr);
  const chain = buildChain(views, root, o.signers ?? ms, o.chainId);
  const child = chain[provenAt + 1];
  const grand = chain[provenAt + 2];
  const account = o.absent
    ? { address: formatAddress(addr), username: "", nonce: "0", orama_balance: "0", btc_balance: "0", code_hash: toHex0x(new Uint8Array(32)), storage_root: toHex0x(new Uint8Array(32)), commitment_root: toHex0x(new Uint8Array(32)), nullifier_root: toHex0x(new Uint8Array(32)) }
    : toJSONForm("Account", accounts[0], { displayAddresses: true });
  const resp = {
    account,
    height: String(at),
    proof: {
      exists: !o.absent,
      key: toHex0x(addr),
      value: o.absent ? "0x" : toHex0x(encode("Account", accounts[0])),
      proof: toHex0x(encode("SMTProof", proof)),
      proof_fields: toJSONForm("SMTProof", proof),
      header: headerJSON(chain[at]),
      block_hash: toHex0x(sha256(encode("BlockHeader", chain[at]))),
      finality: {
        headers: chain.slice(at + 1, provenAt + 1).map(headerJSON),
        commit_proof: {
          child: headerJSON(child),
          grandchild: headerJSON(grand),
          qc: toJSONForm("QuorumCert", signQC(grand, o.signers ?? ms, o.chainId), { displayAddresses: true }),
        },
      },
    },
  };
  return resp as unknown as AccountResponse;
}
