// Equivocation evidence (spec/consensus.md, "Equivocation evidence";
// spec/evidence.yaml), verified from the spec text alone, not ported from
// runtime/consensus: the strict decoder of codec.js, signature recovery of
// crypto.js, and the rules in the spec's order. runEvidence checks every
// case of evidence.json (conformance/README.md) against it.
import { enums, signing } from '../../../generated/js/schema.js';
import { DecodeError, decode, encode, signingPayload, signingPreimage, toJSON, sameJSON } from './codec.js';
import { SignatureError, recover, sha256, signingHash } from './crypto.js';
import { assert, equalBytes, expectKeys, hex, parseU64, unhex } from './util.js';

/** The reason names of spec/consensus.md, in the order the rules are checked. */
export const EVIDENCE_REASONS = Object.freeze([
  'malformed_evidence',
  'unknown_validator',
  'identical_messages',
  'not_canonical',
  'undecodable_message',
  'wrong_message_type',
  'other_validator',
  'wrong_view',
  'bad_signature',
  'no_conflict',
]);

/** A rejection: kind is the reason name. */
export class EvidenceError extends Error {
  constructor(kind, detail = '') {
    super(`${kind}${detail ? ': ' + detail : ''}`);
    this.kind = kind;
  }
}

// The message type each kind holds (spec/evidence.yaml, Evidence).
const MESSAGE_TYPE = { DoubleVote: 'Vote', DoubleTimeout: 'Timeout', DoubleProposal: 'Envelope' };

const kindName = (v) => Object.keys(enums.EvidenceKind).find((k) => enums.EvidenceKind[k] === v);

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function strict(T, bytes, which) {
  try {
    return decode(T, bytes);
  } catch (e) {
    if (e instanceof DecodeError) throw new EvidenceError('undecodable_message', `${which}: ${T}: ${e.message}`);
    throw e;
  }
}

// Recovers the signer of value (type T, decoded) under T's domain and chain,
// and requires the validator; a non-canonical signature is a bad one too.
function checkSignature(T, value, chainId, validator, which) {
  const digest = signingHash(signingPreimage(signing[T].domain, chainId, signingPayload(T, value)));
  let signer;
  try {
    signer = recover(digest, Uint8Array.from(value[signing[T].signatureField]));
  } catch (e) {
    if (e instanceof SignatureError) throw new EvidenceError('bad_signature', `${which}: ${e.message}`);
    throw e;
  }
  if (!equalBytes(signer, validator)) throw new EvidenceError('bad_signature', `${which}: signed by ${hex(signer)}`);
}

// Applies the message rules to one message and returns what must differ
// between the two: (height, block_hash), high_qc_view, or the header hash.
function checkMessage(kind, bytes, validator, view, chainId, which) {
  const T = MESSAGE_TYPE[kind];
  const m = strict(T, bytes, which);
  let signer, msgView, content;
  if (T === 'Vote') {
    [signer, msgView, content] = [m.voter, m.view, `${m.height}/${hex(m.block_hash)}`];
  } else if (T === 'Timeout') {
    [signer, msgView, content] = [m.sender, m.view, `${m.high_qc_view}`];
  } else {
    if (m.type !== enums.MessageType.Proposal) throw new EvidenceError('wrong_message_type', `${which}: envelope type ${m.type}`);
    const p = strict('Proposal', Uint8Array.from(m.payload), which);
    const h = p.block.header;
    if (!equalBytes(h.proposer, validator)) throw new EvidenceError('other_validator', `${which}: block of ${hex(h.proposer)}`);
    [signer, msgView, content] = [m.sender, h.view, hex(sha256(encode('BlockHeader', h)))];
  }
  if (!equalBytes(signer, validator)) throw new EvidenceError('other_validator', `${which}: from ${hex(signer)}`);
  if (msgView !== view) throw new EvidenceError('wrong_view', `${which}: view ${msgView}, evidence ${view}`);
  checkSignature(T, m, chainId, validator, which);
  return content;
}

/**
 * Verifies Borsh-encoded evidence for a validator set (a Set of lowercase
 * 0x addresses) and a chain id (bigint). Returns normally when it proves an
 * equivocation; throws EvidenceError with the first rule broken.
 */
export function verifyEvidence(validators, chainId, bytes) {
  let ev;
  try {
    ev = decode('Evidence', bytes);
  } catch (e) {
    if (e instanceof DecodeError) throw new EvidenceError('malformed_evidence', e.message);
    throw e;
  }
  if (!validators.has(hex(ev.validator))) throw new EvidenceError('unknown_validator', hex(ev.validator));
  const first = Uint8Array.from(ev.first);
  const second = Uint8Array.from(ev.second);
  const order = compareBytes(first, second);
  if (order === 0) throw new EvidenceError('identical_messages');
  if (order > 0) throw new EvidenceError('not_canonical');
  const kind = kindName(ev.kind);
  const a = checkMessage(kind, first, ev.validator, ev.view, chainId, 'first');
  const b = checkMessage(kind, second, ev.validator, ev.view, chainId, 'second');
  if (a === b) throw new EvidenceError('no_conflict', `${kind}: ${a}`);
}

/** "valid" or the reason name. */
export function evidenceVerdict(validators, chainId, bytes) {
  try {
    verifyEvidence(validators, chainId, bytes);
    return 'valid';
  } catch (e) {
    if (e instanceof EvidenceError) return e.kind;
    throw e;
  }
}

export function runEvidence(vf, ctx) {
  expectKeys(vf, ['kind', 'cases'], [], 'file');
  vf.cases.forEach((c, i) =>
    ctx.case(i, c?.name ?? 'evidence', () => {
      expectKeys(c, ['name', 'why', 'chain_id', 'validators', 'evidence', 'value', 'verdict'], [], 'case');
      assert(c.verdict === 'valid' || EVIDENCE_REASONS.includes(c.verdict), `unknown verdict ${c.verdict}`);
      const set = new Set();
      for (const v of c.validators) {
        expectKeys(v, ['address', 'power'], [], 'validator');
        assert(unhex(v.address).length === 20 && parseU64(v.power) > 0n, `validator ${JSON.stringify(v)}`);
        set.add(v.address);
      }
      const bytes = unhex(c.evidence);
      // The value is the decoded evidence's JSON form, or null when it does not decode.
      let value = null;
      try {
        value = toJSON('Evidence', decode('Evidence', bytes));
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
      assert(sameJSON(value, c.value), `value\n got ${JSON.stringify(value)}\nwant ${JSON.stringify(c.value)}`);
      const got = evidenceVerdict(set, parseU64(c.chain_id), bytes);
      assert(got === c.verdict, `verdict ${got}, want ${c.verdict} (${c.why})`);
      ctx.count(`evidence: ${c.verdict === 'valid' ? 'accepted' : 'rejected for the stated reason'}`);
    }),
  );
}
