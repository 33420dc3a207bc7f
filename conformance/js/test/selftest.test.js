// The runner must fail when a vector is wrong, a case goes unread or a file
// is not in the manifest: corrupt vectors in memory and check it notices.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import * as borsh from 'borsh';
import { DecodeError, decode, schemas } from '../lib/codec.js';
import { runTree } from '../lib/manifest.js';
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
    ['state_transition/transfers.json', flipHexByte('state_root', 0, 3)],
  ]) {
    const r = runStateVectors({ readFile: corrupting(file, edit).readFile, checkSha: false });
    assert.equal(r.failures.length, 1, `${file}: ${failuresOf(r).join('\n')}`);
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

  const lazy = { ...vectorRunners, keys: (vf, ctx) => ctx.case(0, 'only the first', () => {}) };
  const r = runTree({ dir: VECTORS_DIR, runners: lazy });
  assert.ok(failuresOf(r).some((f) => /keys\.json: case 1 was not checked/.test(f)), failuresOf(r).join('\n'));
  assert.ok(r.checked < r.total);

  const tmp = mkdtempSync(join(tmpdir(), 'orama-vectors-'));
  try {
    cpSync(VECTORS_DIR, tmp, { recursive: true });
    writeFileSync(join(tmp, 'codec', 'Extra.json'), '{}');
    const u = runTree({ dir: tmp, runners: vectorRunners });
    assert.deepEqual(failuresOf(u), ['codec/Extra.json: not in the manifest, so no runner reads it']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
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
