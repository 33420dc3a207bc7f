// conformance/vectors-chain: every fixture imported by this runner's own
// importer and executor; and the self-tests showing it notices a fixture,
// a chain file or a manifest that is wrong.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { CHAIN_DIR, importChain, readChainFile, runChainVectors, runFixture } from '../lib/chain.js';
import { encodeJSON, fromJSON } from '../lib/codec.js';
import { summary } from '../lib/manifest.js';
import { hex, unhex } from '../lib/util.js';

const REASONS = [
  'decode_error', 'wrong_parent', 'wrong_transactions_root', 'bad_certificate', 'bad_commit_proof', 'no_commit_proof',
  'bad_header', 'non_includable_transaction', 'wrong_state_root', 'wrong_receipts_root', 'wrong_gas_used',
];

test('conformance/vectors-chain: every fixture imported, every root reached', (t) => {
  const r = runChainVectors();
  for (const line of summary('conformance/vectors-chain', r).split('\n')) t.diagnostic(line);
  assert.deepEqual(r.failures, []);
  assert.equal(r.checked, r.total);
  assert.ok(r.total >= 15, `only ${r.total} fixtures`);
  const n = (label) => r.counters[`chain: ${label}`] ?? 0;
  assert.equal(n('imported to the end') + n('refused for the stated reason'), r.total);
  assert.ok(n('blocks executed') >= 30 && n('QCs verified') >= 100 && n('transaction signatures recovered') >= 1000, JSON.stringify(r.counters));
  // Every reason a single file can show is refused by some fixture.
  const seen = new Set();
  for (const name of JSON.parse(readFileSync(join(CHAIN_DIR, 'manifest.json'))).fixtures.map((f) => f.name)) {
    const e = JSON.parse(readFileSync(join(CHAIN_DIR, name, 'expected.json')));
    if (e.refused) seen.add(e.refused.reason);
  }
  assert.deepEqual([...seen].sort(), [...REASONS].sort());
});

const ctx = { count() {} };
const load = (name) => ({
  genesis: readFileSync(join(CHAIN_DIR, name, 'genesis.json')),
  chain: Uint8Array.from(readFileSync(join(CHAIN_DIR, name, 'chain.bin'))),
  expected: JSON.parse(readFileSync(join(CHAIN_DIR, name, 'expected.json'))),
});

/** Flips one byte of the first occurrence of needle in bytes. */
function flipIn(bytes, needle, at) {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i + needle.length <= out.length; i++) {
    let ok = true;
    for (let j = 0; j < needle.length && ok; j++) ok = out[i + j] === needle[j];
    if (ok) {
      out[i + at] ^= 1;
      return out;
    }
  }
  throw new Error('needle not found');
}

test('each fixture passes as it is (the controls below change one thing)', () => {
  for (const name of ['transactions', 'refused_wrong_state_root', 'refused_bad_nonce']) {
    const f = load(name);
    runFixture(ctx, f.genesis, f.chain, f.expected);
  }
});

// Self-consistent edits: only the runner's own import, certificate checks
// or executor can notice them.
test('a wrong import outcome, receipt, account or root in expected.json is caught', () => {
  const cases = [
    ['refused_wrong_state_root', (e) => { e.import.reason = 'wrong_receipts_root'; e.refused.reason = 'wrong_receipts_root'; }, /import gives .*wrong_state_root/],
    ['refused_bad_nonce', (e) => { e.import = { imported_height: 2 }; e.refused = null; }, /import gives/],
    ['refused_bad_nonce', (e) => { e.refused.transaction.status = 'InsufficientBalance'; }, /refused at transaction/],
    ['transactions', (e) => {
      const b = e.blocks[2];
      const r = b.receipts[0];
      r.value.status = 'Success';
      r.borsh = hex(encodeJSON('Receipt', r.value));
      r.hash = hex(sha256(unhex(r.borsh)));
    }, /receipt 0: the executor gives/],
    ['transactions', (e) => {
      const a = e.blocks[0].accounts[1];
      a.value.orama_balance = String(BigInt(a.value.orama_balance) + 1n);
      a.borsh = hex(encodeJSON('Account', a.value));
    }, /account .*: the executor's is/],
    ['transactions', (e) => { e.final.usernames[1].address = e.final.usernames[2].address; }, /username alice owned by/],
    ['transactions', (e) => { e.blocks[1].state_root = e.blocks[0].state_root; }, /block 2: roots/],
    ['view_change', (e) => { e.records[2].proof = false; }, /records/],
  ];
  for (const [name, edit, want] of cases) {
    const f = load(name);
    edit(f.expected);
    assert.throws(() => runFixture(ctx, f.genesis, f.chain, f.expected), want, `${name}: ${want}`);
  }
});

test('a forged vote, a body swapped for another or a cut file is refused by the runner\'s own checks', () => {
  // The first vote of record 1's proof QC, with one byte of R flipped.
  const f = load('transactions');
  const { records } = readChainFile(f.chain);
  const sig = Uint8Array.from(records[0].resp.proof.qc.votes[0].signature);
  const g = fromJSON('Genesis', JSON.parse(new TextDecoder().decode(f.genesis)));
  let r = importChain(ctx, g, flipIn(f.chain, sig, 5));
  assert.deepEqual(r.report, { imported_height: 0, refused_height: 1, reason: 'bad_certificate' });

  // One byte of a transaction's signature flipped: the body no longer
  // hashes to the transactions_root its certified header commits to.
  const sigTx = Uint8Array.from(records[0].resp.blocks[0].transactions[0].signature);
  r = importChain(ctx, g, flipIn(f.chain, sigTx, 40));
  assert.deepEqual(r.report, { imported_height: 0, refused_height: 1, reason: 'wrong_transactions_root' });

  r = importChain(ctx, g, f.chain.subarray(0, f.chain.length - 1));
  assert.equal(r.report.reason, 'decode_error');
  assert.equal(r.report.refused_height, r.report.imported_height + 1);
});

test('the manifest: a changed byte, an unlisted file, another format version', () => {
  // A tree holding one small fixture, so each run below is quick.
  const tmp = mkdtempSync(join(tmpdir(), 'orama-chain-'));
  try {
    cpSync(join(CHAIN_DIR, 'transactions'), join(tmp, 'transactions'), { recursive: true });
    const m = JSON.parse(readFileSync(join(CHAIN_DIR, 'manifest.json')));
    m.fixtures = m.fixtures.filter((f) => f.name === 'transactions');
    m.files = m.files.filter((f) => f.path.startsWith('transactions/'));
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(m));
    assert.deepEqual(runChainVectors({ dir: tmp }).failures, []);

    const changed = runChainVectors({
      dir: tmp,
      readFile: (p) => {
        const raw = readFileSync(p);
        return p.replaceAll('\\', '/').endsWith('transactions/chain.bin') ? Buffer.concat([raw, Buffer.from([0])]) : raw;
      },
    });
    const msgs = changed.failures.map((x) => `${x.where}: ${x.message}`);
    assert.ok(msgs.some((x) => /transactions\/chain\.bin: sha256 differs/.test(x)), msgs.join('\n'));
    assert.ok(msgs.some((x) => /^transactions: .*decode_error/.test(x)), msgs.join('\n'));

    writeFileSync(join(tmp, 'transactions', 'extra.bin'), 'x');
    assert.deepEqual(runChainVectors({ dir: tmp }).failures.map((x) => `${x.where}: ${x.message}`), ['transactions/extra.bin: not in the manifest, so no runner reads it']);
    m.format_version = 2;
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(m));
    assert.deepEqual(runChainVectors({ dir: tmp }).failures.map((x) => x.message), ['format_version 2, runner knows 1']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
