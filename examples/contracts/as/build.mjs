// Compiles the example contracts with the AssemblyScript compiler pinned in
// package-lock.json, with the flags sdk/as/README.md gives: -O3, the stub
// runtime (a bump allocator: calls are short) and no env.abort import (a
// failed assertion traps).
//
//   node build.mjs OUTDIR [NAME...]
//
// writes OUTDIR/NAME.wasm for each NAME.ts given, or for every .ts file here.
// go test ./examples/contracts runs it through examples/contracts.Build.
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import asc from 'assemblyscript/asc';

const out = resolve(process.argv[2] ?? 'build');
let names = process.argv.slice(3);
if (names.length === 0) names = readdirSync('.').filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
mkdirSync(out, { recursive: true });
for (const name of names) {
  const { error, stderr } = await asc.main([
    `${name}.ts`, '-o', join(out, `${name}.wasm`), '-O3', '--runtime', 'stub', '--use', 'abort=',
  ]);
  if (error) {
    console.error(`${name}.ts: ${error.message}\n${stderr.toString()}`);
    process.exit(1);
  }
}
