// The runner must fail when a vector is wrong, a case goes unread or a file
// is not in the manifest: corrupt vectors in memory and check it notices.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import * as borsh from 'borsh';
import { sha256 } from '@noble/hashes/sha2.js';
import { DecodeError, decode, encodeJSON, schemas } from '../lib/codec.js';
import { runTree } from '../lib/manifest.js';
import { merkleRoot } from '../lib/smt.js';
import { STATE_DIR, runStateVectors } from '../lib/state.js';
import { VECTORS_DIR, runVectors, vectorRunners } from '../lib/vectors.js';
import { hex, unhex } from '../lib/util.js';

/** A readFile that changes one file's text with edit before the runner sees it. */
function corrupting(suffix, edit) {
  let hits = 0;
  const readFile = (p) => {
    const raw = readFileSync(p);
    if (!p.replaceAll('\\', '/').endsWith(suffix)) return raw;
    hits++;
    const out = edit(raw.toString('utf8'));
    assert.notEqual(out, raw.toString('utf8'), 'the edit changed nothing');
    return new TextEncoder().encode(out);
  };
  return { readFile, hits: () => hits };
}

/** Flips one hex digit (one byte) of the string value after the nth `"key": "0x`. */
function flipHexByte(key, nth = 0, offset = 10) {
  return (text) => {
    const marker = `"${key}": "0x`;
    let at = -1;
    for (let i = 0; i <= nth; i++) at = text.indexOf(marker, at + 1);
    assert.ok(at >= 0, `no ${marker}`);
    const i = at + marker.length + offset;
    const c = text[i];
    return text.slice(0, i) + (c === '0' ? '1' : '0') + text.slice(i + 1);
  };
}

/** An edit that parses the file, changes the case named `name` with fn, and writes it back. */
function editCase(name, fn) {
  return (text) => {
    const v = JSON.parse(text);
    const c = v.cases.find((x) => x.name === name);
    assert.ok(c, `no case ${name}`);
    fn(c);
    return JSON.stringify(v, null, 2);
  };
}

/** Re-encodes {value, borsh, hash} after value changed, so the entry stays self-consistent. */
function reencode(T, entry) {
  const b = encodeJSON(T, entry.value);
  entry.borsh = hex(b);
  if ('hash' in entry) entry.hash = hex(sha256(b));
}

const failuresOf = (r) => r.failures.map((f) => `${f.where}: ${f.message}`);

test('one corrupted byte in a codec vector is caught, by sha256 and by the case check alone', () => {
  const c = corrupting('codec/Transaction.json', flipHexByte('borsh', 1));
  const withSha = runVectors({ readFile: c.readFile });
  assert.equal(c.hits(), 1);
  const f = failuresOf(withSha);
  assert.ok(f.some((x) => x.startsWith('codec/Transaction.json: sha256 differs')), f.join('\n'));
  // Without the sha256 check the case itself fails, and only that case.
  const r = runVectors({ readFile: c.readFile, checkSha: false });
  assert.equal(r.failures.length, 1, failuresOf(r).join('\n'));
  assert.match(r.failures[0].where, /^codec\/Transaction\.json \[1\]/);
  assert.equal(r.checked, r.total, 'a failing case still counts as read');
});

test('a corrupted signature, signing hash or decode_error reason is caught', () => {
  for (const [file, edit, where] of [
    ['signatures.json', flipHexByte('signature', 0, 20), /signatures\.json \[0\]/],
    ['signatures.json', flipHexByte('signing_hash', 3), /signatures\.json \[0\]/],
    ['decode_errors/Validator.json', (t) => t.replace('"error": "invalid_bool"', '"error": "invalid_option_tag"'), /decode_errors\/Validator\.json/],
    ['keys.json', flipHexByte('public_key', 2, 40), /keys\.json \[2\]/],
    ['params.json', (t) => t.replace('"value": "1000000"', '"value": "1000001"'), /params\.json/],
  ]) {
    const r = runVectors({ readFile: corrupting(file, edit).readFile, checkSha: false });
    assert.equal(r.failures.length, 1, `${file}: ${failuresOf(r).join('\n')}`);
    assert.match(r.failures[0].where, where);
  }
});

test('a corrupted SMT proof byte or state root is caught', () => {
  for (const [file, edit] of [
    ['smt/smt.json', flipHexByte('proof', 5, 80)],
    ['state_transition/transfers.json', flipHexByte('proof', 7, 90)],
    ['state_transition/transfers.json', editCase('transfer_orama', (c) => (c.post.state_root = c.post.state_root.replace(/.$/, (d) => (d === '0' ? '1' : '0'))))],
  ]) {
    const r = runStateVectors({ readFile: corrupting(file, edit).readFile, checkSha: false });
    assert.equal(r.failures.length, 1, `${file}: ${failuresOf(r).join('\n')}`);
  }
});

// Each edit below leaves the vector well formed and self-consistent (hashes,
// roots and proofs still agree), so only the runner's own executor, genesis
// block builder or base fee formula can notice it.
test('a wrong execution, refusal, genesis block or base fee is caught by the runner\'s own computation', () => {
  const cases = [
    // The block environment changes what execution gives.
    ['state_transition/transfers.json', editCase('transfer_orama', (c) => (c.env.base_fee = '11')), /transfers\.json \[0\] transfer_orama: receipt 0/],
    ['state_transition/transfers.json', editCase('transfer_orama', (c) => (c.env.proposer = c.addresses.find((a) => a.name === 'bob').address)), /transfers\.json \[0\] transfer_orama: state_root/],
    // A receipt whose status is changed and re-encoded, with receipts_root rebuilt.
    [
      'state_transition/rejections.json',
      editCase('all_failed', (c) => {
        const r = c.post.receipts[0];
        r.value.status = 'Success';
        reencode('Receipt', r);
        c.post.receipts_root = hex(merkleRoot(c.post.receipts.map((x) => unhex(x.hash))));
      }),
      /rejections\.json \[\d+\] all_failed: receipt 0: executor gives/,
    ],
    // Refused blocks: another reason, another index, a block that is valid.
    ['state_transition/rejections.json', editCase('refused_nonce_ahead', (c) => (c.refused.reason = 'InsufficientBalance')), /refused_nonce_ahead: refused at transaction 0 \(BadNonce\), want 0 \(InsufficientBalance\)/],
    ['state_transition/rejections.json', editCase('refused_same_bytes_twice', (c) => (c.refused.index = 0)), /refused_same_bytes_twice: refused at transaction 1 \(BadNonce\), want 0/],
    ['state_transition/rejections.json', editCase('refused_fee_cap_below_base_fee', (c) => (c.env.base_fee = '10')), /refused_fee_cap_below_base_fee: the block should be refused/],
    ['state_transition/block_gas.json', editCase('refused_block_gas_exceeded', (c) => (c.refused.reason = 'GasLimitTooLow')), /refused_block_gas_exceeded: refused at transaction 999 \(BlockGasExceeded\)/],
    // A valid block presented as refused (post dropped).
    [
      'state_transition/rejections.json',
      editCase('max_fee_exactly_balance', (c) => {
        c.refused = { index: 0, reason: 'InsufficientBalance' };
        c.post = null;
      }),
      /max_fee_exactly_balance: the block should be refused/,
    ],
    // Block 0 re-encoded with view 1, and with another base fee: self-consistent, not what the genesis builds.
    [
      'state_transition/usernames.json',
      editCase('claim_username', (c) => {
        c.genesis_block.value.view = '1';
        c.genesis_block.value.qc.votes = [];
        reencode('BlockHeader', c.genesis_block);
      }),
      /claim_username: genesis_block: built from the genesis/,
    ],
    [
      'state_transition/usernames.json',
      editCase('claim_username', (c) => {
        c.genesis_block.value.base_fee = '9';
        c.genesis_block.value.qc.votes = [];
        reencode('BlockHeader', c.genesis_block);
      }),
      /claim_username: genesis_block: built from the genesis/,
    ],
    // Namespaces: created_height follows the block height; a Tier 1 delete
    // is refused whatever the vector says.
    ['state_transition/namespaces.json', editCase('namespace_create_default_nodes', (c) => (c.env.height = '6')), /namespace_create_default_nodes: state_root/],
    [
      'state_transition/namespaces.json',
      editCase('namespace_delete_tier1_refused', (c) => {
        const r = c.post.receipts[2];
        r.value.status = 'Success';
        reencode('Receipt', r);
        c.post.receipts_root = hex(merkleRoot(c.post.receipts.map((x) => unhex(x.hash))));
      }),
      /namespace_delete_tier1_refused: receipt 2: executor gives/,
    ],
    // NextBaseFee: one ray off, and the floor case.
    ['base_fee/base_fee.json', editCase('full_from_initial', (c) => (c.next_base_fee = '12')), /base_fee\.json \[1\] full_from_initial: NextBaseFee\(10, 100000\) = 11/],
    ['base_fee/base_fee.json', editCase('empty_7_minimum_step', (c) => (c.next_base_fee = '7')), /base_fee\.json \[5\] empty_7_minimum_step/],
  ];
  for (const [file, edit, where] of cases) {
    const c = corrupting(file, edit);
    const r = runStateVectors({ readFile: c.readFile, checkSha: false });
    assert.equal(c.hits(), 1);
    const f = failuresOf(r);
    assert.equal(f.length, 1, `${file}: ${f.join('\n')}`);
    assert.match(f[0], where);
    assert.equal(r.checked, r.total);
  }
});

test('a dropped case, an unknown kind, an unread case and an unlisted file are failures', () => {
  const drop = corrupting('codec/Vote.json', (t) => {
    const v = JSON.parse(t);
    v.cases.pop();
    return JSON.stringify(v);
  });
  assert.ok(failuresOf(runVectors({ readFile: drop.readFile, checkSha: false })).some((f) => /1 cases, manifest says 2/.test(f)));

  const kind = corrupting('usernames.json', (t) => t.replace('"kind": "usernames"', '"kind": "nicknames"'));
  assert.ok(failuresOf(runVectors({ readFile: kind.readFile, checkSha: false })).some((f) => /no runner for kind "nicknames"/.test(f)));

  // Leader schedules read with every TC dropped: the failed leaders are drawn.
  const noTC = corrupting('leader_schedule.json', (t) => {
    const v = JSON.parse(t);
    for (const c of v.cases) for (const h of c.history) h.timeout_view = null;
    return JSON.stringify(v);
  });
  const lf = failuresOf(runVectors({ readFile: noTC.readFile, checkSha: false }));
  for (const name of ['withholding_leader_passed_over', 'failure_then_recovery', 'failure_blamed_through_an_earlier_one', 'everyone_failed_all_drawn']) {
    assert.ok(lf.some((f) => f.includes(`${name}: leader of view`)), `${name} passed without its TCs:\n${lf.join('\n')}`);
  }

  const lazy = { ...vectorRunners, keys: (vf, ctx) => ctx.case(0, 'only the first', () => {}) };
  const r = runTree({ dir: VECTORS_DIR, formatVersion: 2, runners: lazy });
  assert.ok(failuresOf(r).some((f) => /keys\.json: case 1 was not checked/.test(f)), failuresOf(r).join('\n'));
  assert.ok(r.checked < r.total);

  const tmp = mkdtempSync(join(tmpdir(), 'orama-vectors-'));
  try {
    cpSync(VECTORS_DIR, tmp, { recursive: true });
    writeFileSync(join(tmp, 'codec', 'Extra.json'), '{}');
    const u = runTree({ dir: tmp, formatVersion: 2, runners: vectorRunners });
    assert.deepEqual(failuresOf(u), ['codec/Extra.json: not in the manifest, so no runner reads it']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // Each tree has its own format version (2 for vectors since failed leaders,
  // 3 for vectors-state since the namespace leaves): a runner of an older
  // format refuses it.
  assert.deepEqual(failuresOf(runTree({ dir: STATE_DIR, formatVersion: 1, runners: {} })), ['manifest.json: format_version 3, runner knows 1']);
  assert.deepEqual(failuresOf(runTree({ dir: VECTORS_DIR, formatVersion: 1, runners: vectorRunners })), ['manifest.json: format_version 2, runner knows 1']);
  assert.throws(() => runTree({ dir: VECTORS_DIR, runners: vectorRunners }), /formatVersion/);
  // The state tree's README is the only file allowed outside its manifest.
  assert.deepEqual(runStateVectors().failures, []);
  assert.ok(STATE_DIR.endsWith('vectors-state/') || STATE_DIR.endsWith('vectors-state\\'));
});

test('what plain borsh-js accepts, the strict decoder rejects for the spec reason', () => {
  const zeroValidator = '0x' + '00'.repeat(20) + '00'.repeat(8) + '00' + '00000000';
  const good = unhex(zeroValidator);
  assert.deepEqual(decode('Validator', good).trusted_os, false);
  const cases = [
    ['Validator', zeroValidator.slice(0, 2 + 2 * 28) + '02' + '00000000', 'invalid_bool'],
    ['Validator', zeroValidator + '00', 'trailing_bytes'],
    ['Asset', '0x07', 'unknown_variant'],
    ['ClaimUsernamePayload', '0x21000000' + '61'.repeat(33), 'length_limit'],
    ['ClaimUsernamePayload', '0x02000000c080', 'invalid_utf8'],
    ['ClaimUsernamePayload', '0x03000000eda080', 'invalid_utf8'],
  ];
  for (const [T, h, kind] of cases) {
    const b = unhex(h);
    assert.doesNotThrow(() => borsh.deserialize(schemas[T], b), `${T} ${h}: plain borsh-js should accept it`);
    assert.throws(() => decode(T, b), (e) => e instanceof DecodeError && e.kind === kind, `${T} ${h}: want ${kind}`);
  }
  assert.equal(hex(borsh.serialize(schemas.Validator, decode('Validator', good))), zeroValidator);
});
