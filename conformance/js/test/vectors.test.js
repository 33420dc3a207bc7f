// Every vector file and case under conformance/vectors/ and
// conformance/vectors-state/, checked with the generated schemas, borsh 2.x
// and @noble. Fails on any failure, unread file or unchecked case.
import assert from 'node:assert/strict';
import test from 'node:test';
import { checkGenerated, types } from '../lib/codec.js';
import { summary } from '../lib/manifest.js';
import { runStateVectors } from '../lib/state.js';
import { runVectors } from '../lib/vectors.js';

test('generated/js/schema.js exports agree with each other', () => {
  assert.ok(checkGenerated() >= 60);
});

test('conformance/vectors: every file and case', (t) => {
  const r = runVectors();
  for (const line of summary('conformance/vectors', r).split('\n')) t.diagnostic(line);
  assert.deepEqual(r.failures, []);
  assert.equal(r.checked, r.total);
  assert.ok(r.total >= 500, `only ${r.total} cases`);
  for (const kind of ['codec', 'decode_error', 'keys', 'signatures', 'usernames', 'addresses', 'account_refs', 'params', 'leader_schedule', 'evidence']) {
    assert.ok(r.kinds[kind]?.checked > 0, `no ${kind} cases`);
  }
  // Every spec type has codec and decode_error vectors, and nothing else does.
  const byKind = (k) => r.files.filter((f) => f.kind === k).map((f) => f.path.replace(/^.*\/|\.json$/g, '')).sort();
  const all = Object.keys(types).sort();
  assert.deepEqual(byKind('codec'), all);
  assert.deepEqual(byKind('decode_error'), all);
});

test('conformance/vectors-state: every file and case, execution re-run', (t) => {
  const r = runStateVectors();
  for (const line of summary('conformance/vectors-state', r).split('\n')) t.diagnostic(line);
  assert.deepEqual(r.failures, []);
  assert.equal(r.checked, r.total);
  assert.ok(r.kinds.smt?.checked >= 5 && r.kinds.state_transition?.checked >= 15 && r.kinds.base_fee?.checked >= 10, JSON.stringify(r.kinds));
  // Every state_transition case was either executed to its post-state or
  // refused at its transaction, and every case's block 0 was rebuilt.
  const n = (label) => r.counters[`state_transition: ${label}`] ?? 0;
  assert.equal(n('blocks executed') + n('refused blocks refused at the same transaction for the same reason'), r.kinds.state_transition.checked);
  assert.equal(n('post state roots equal to the executor\'s'), n('blocks executed'));
  assert.ok(n('refused blocks refused at the same transaction for the same reason') > 0);
  assert.equal(n('genesis blocks built and hashed'), r.kinds.state_transition.checked);
  assert.equal(r.counters['base_fee: NextBaseFee recomputed'], r.kinds.base_fee.checked);
});
