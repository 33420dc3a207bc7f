#!/usr/bin/env node
// Runs every vector under conformance/vectors/, conformance/vectors-state/ and conformance/vectors-chain/
// and prints a summary; exits 1 on any failure or unchecked case.
// `npm test` runs the same through node:test (test/), with self-tests.
import { runChainVectors } from './lib/chain.js';
import { checkGenerated } from './lib/codec.js';
import { summary } from './lib/manifest.js';
import { runStateVectors } from './lib/state.js';
import { runVectors } from './lib/vectors.js';

const t0 = performance.now();
const n = checkGenerated();
let ok = true;
for (const [title, run] of [
  ['conformance/vectors', runVectors],
  ['conformance/vectors-state', runStateVectors],
  ['conformance/vectors-chain', runChainVectors],
]) {
  const t = performance.now();
  const r = run();
  console.log(`${summary(title, r)}\n  (${Math.round(performance.now() - t)} ms)`);
  ok &&= r.failures.length === 0 && r.checked === r.total && r.total > 0;
}
console.log(`generated/js/schema.js: ${n} types; total ${Math.round(performance.now() - t0)} ms; ${ok ? 'PASS' : 'FAIL'}`);
process.exit(ok ? 0 : 1);
