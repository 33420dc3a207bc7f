// The evidence verifier (lib/evidence.js) reaches every verdict of
// spec/consensus.md, and the evidence runner fails when a vector is wrong.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { EVIDENCE_REASONS, evidenceVerdict, runEvidence } from '../lib/evidence.js';
import { VECTORS_DIR } from '../lib/vectors.js';
import { parseU64, unhex } from '../lib/util.js';

const file = () => JSON.parse(readFileSync(new URL('evidence.json', `file://${VECTORS_DIR}`), 'utf8'));

/** Runs runEvidence on vf in memory; returns the failures by case name. */
function run(vf) {
  const failures = [];
  let checked = 0;
  runEvidence(vf, {
    case(i, name, fn) {
      checked++;
      try {
        fn();
      } catch (e) {
        failures.push(`${name}: ${e.message}`);
      }
    },
    count() {},
  });
  assert.equal(checked, vf.cases.length);
  return failures;
}

test('the reasons are the table of spec/consensus.md, in order', () => {
  const doc = readFileSync(new URL('../../../spec/consensus.md', import.meta.url), 'utf8');
  const sec = doc.split('\n## Equivocation evidence\n')[1].split('\n## ')[0];
  const names = [...sec.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(names, [...EVIDENCE_REASONS]);
});

test('every verdict is reached: each reason, and valid evidence of each kind', () => {
  const vf = file();
  assert.deepEqual(run(vf), []);
  const seen = new Set(vf.cases.map((c) => (c.verdict === 'valid' ? `valid ${c.value.kind}` : c.verdict)));
  for (const r of EVIDENCE_REASONS) assert.ok(seen.has(r), `no case rejected as ${r}`);
  for (const k of ['DoubleVote', 'DoubleTimeout', 'DoubleProposal']) assert.ok(seen.has(`valid ${k}`), `no valid ${k}`);
});

test('any other verdict stated for any case is a failure of that case alone', () => {
  const vf = file();
  let flips = 0;
  for (const c of vf.cases) {
    for (const v of ['valid', ...EVIDENCE_REASONS]) {
      if (v === c.verdict) continue;
      const f = run({ kind: vf.kind, cases: [{ ...c, verdict: v }] });
      assert.equal(f.length, 1, `${c.name} as ${v}: ${f.join('\n')}`);
      assert.ok(f[0].startsWith(`${c.name}: verdict `), f[0]);
      flips++;
    }
  }
  assert.equal(flips, vf.cases.length * EVIDENCE_REASONS.length);
});

test('a changed signature byte, chain id or validator set changes the verdict', () => {
  const c = file().cases.find((x) => x.name === 'double_vote_other_block');
  const set = new Set(c.validators.map((v) => v.address));
  const chain = parseU64(c.chain_id);
  const bytes = unhex(c.evidence);
  assert.equal(evidenceVerdict(set, chain, bytes), 'valid');
  const sig = bytes.slice();
  sig[sig.length - 10] ^= 1; // inside the second vote's S
  assert.equal(evidenceVerdict(set, chain, sig), 'bad_signature');
  assert.equal(evidenceVerdict(set, chain + 1n, bytes), 'bad_signature');
  const others = new Set([...set].filter((a) => a !== c.value.validator));
  assert.equal(others.size, set.size - 1);
  assert.equal(evidenceVerdict(others, chain, bytes), 'unknown_validator');
  // A value that disagrees with the evidence bytes is caught too.
  const f = run({ kind: 'evidence', cases: [{ ...c, value: { ...c.value, view: '10' } }] });
  assert.equal(f.length, 1);
  assert.match(f[0], /value/);
});
