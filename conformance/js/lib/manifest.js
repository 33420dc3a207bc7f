// Runs a vector tree the way conformance/README.md asks any runner to: every
// file the manifest lists must match its sha256 and case count and have a
// runner for its kind, which must check every case; every file in the tree
// must be listed (apart from `unlisted`, e.g. a hand-written README).
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from './util.js';

/**
 * @param {object} o
 * @param {string} o.dir the tree (holding manifest.json)
 * @param {number} o.formatVersion the manifest's format_version this runner
 *   implements for that tree (conformance/vectors: 1, conformance/vectors-state: 2)
 * @param {Record<string, (vf: object, ctx: object) => void>} o.runners by kind
 * @param {string[]} [o.unlisted] files allowed without a manifest entry
 * @param {(path: string) => Uint8Array} [o.readFile] for tests that corrupt input
 * @param {boolean} [o.checkSha] default true; false lets a self-test show the case checks alone
 * @returns a report: {files, kinds, failures, total, checked, counters}
 */
export function runTree({ dir, formatVersion, runners, unlisted = [], readFile = (p) => readFileSync(p), checkSha = true }) {
  if (!Number.isInteger(formatVersion)) throw new Error('runTree: formatVersion (the format this runner implements for the tree) is required');
  const failures = [];
  const fail = (where, e) => failures.push({ where, message: e instanceof Error ? e.message : String(e) });
  const report = { dir, files: [], kinds: {}, failures, total: 0, checked: 0, counters: {} };

  const manifest = JSON.parse(new TextDecoder().decode(readFile(join(dir, 'manifest.json'))));
  if (manifest.format_version !== formatVersion) {
    fail('manifest.json', `format_version ${manifest.format_version}, runner knows ${formatVersion}`);
    return report;
  }
  const listed = new Set(['manifest.json', ...unlisted]);
  for (const f of manifest.files) {
    listed.add(f.path);
    const entry = { path: f.path, kind: null, cases: f.cases, checked: 0, failed: 0 };
    report.files.push(entry);
    report.total += f.cases;
    let raw;
    try {
      raw = readFile(join(dir, ...f.path.split('/')));
    } catch (e) {
      fail(f.path, e);
      continue;
    }
    if (checkSha && hex(sha256(raw)) !== f.sha256) fail(f.path, 'sha256 differs from the manifest');
    let vf;
    try {
      vf = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
    } catch (e) {
      fail(f.path, e);
      continue;
    }
    entry.kind = vf.kind;
    if (!Array.isArray(vf.cases)) {
      fail(f.path, 'no cases array');
      continue;
    }
    if (vf.cases.length !== f.cases) fail(f.path, `${vf.cases.length} cases, manifest says ${f.cases}`);
    const run = Object.hasOwn(runners, vf.kind) ? runners[vf.kind] : null;
    if (!run) {
      fail(f.path, `no runner for kind ${JSON.stringify(vf.kind)}`);
      continue;
    }
    const seen = new Set();
    const ctx = {
      // Runs one case; it counts as read whether it passes or fails.
      case(index, name, fn) {
        if (seen.has(index)) throw new Error(`case ${index} run twice`);
        seen.add(index);
        try {
          fn();
        } catch (e) {
          entry.failed++;
          fail(`${f.path} [${index}] ${name}`, e);
        }
      },
      count(label, n = 1) {
        report.counters[label] = (report.counters[label] ?? 0) + n;
      },
    };
    try {
      run(vf, ctx);
    } catch (e) {
      fail(f.path, e);
    }
    entry.checked = seen.size;
    for (let i = 0; i < vf.cases.length; i++) if (!seen.has(i)) fail(f.path, `case ${i} was not checked`);
    const k = (report.kinds[vf.kind] ??= { files: 0, cases: 0, checked: 0, failed: 0 });
    k.files++;
    k.cases += vf.cases.length;
    k.checked += seen.size;
    k.failed += entry.failed;
    report.checked += seen.size;
  }
  for (const p of walk(dir)) {
    const rel = relative(dir, p).split(sep).join('/');
    if (!listed.has(rel)) fail(rel, 'not in the manifest, so no runner reads it');
  }
  return report;
}

function* walk(dir) {
  for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, d.name);
    if (d.isDirectory()) yield* walk(p);
    else yield p;
  }
}

/** A few lines for people: files and cases per kind, counters, failures. */
export function summary(title, r) {
  const lines = [`${title}: ${r.files.length} files, ${r.checked}/${r.total} cases checked, ${r.failures.length} failures`];
  for (const [kind, k] of Object.entries(r.kinds).sort()) {
    lines.push(`  ${kind.padEnd(18)} ${String(k.files).padStart(3)} files ${String(k.checked).padStart(4)}/${String(k.cases).padEnd(4)} cases${k.failed ? `  ${k.failed} FAILED` : ''}`);
  }
  for (const [label, n] of Object.entries(r.counters).sort()) lines.push(`  + ${label}: ${n}`);
  for (const f of r.failures.slice(0, 20)) lines.push(`  FAIL ${f.where}: ${f.message}`);
  if (r.failures.length > 20) lines.push(`  ... and ${r.failures.length - 20} more failures`);
  return lines.join('\n');
}
