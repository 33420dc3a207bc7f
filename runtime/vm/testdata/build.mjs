// Compiles the .wat test modules here to .wasm with WABT (the npm package
// pinned in package.json). The .wasm files are committed so that `go test`
// needs no Node; run `npm ci && node build.mjs` here after editing a .wat.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import wabtInit from 'wabt';

const wabt = await wabtInit();
const features = { bulk_memory: true, multi_value: true, reference_types: true,
  sign_extension: true, sat_float_to_int: true, mutable_globals: true };
for (const f of readdirSync('.').filter((f) => f.endsWith('.wat')).sort()) {
  const mod = wabt.parseWat(f, readFileSync(f, 'utf8'), features);
  mod.resolveNames();
  mod.validate(features);
  const { buffer } = mod.toBinary({ log: false, write_debug_names: true });
  writeFileSync(f.replace(/\.wat$/, '.wasm'), Buffer.from(buffer));
  mod.destroy();
  console.log(`${f} -> ${buffer.length} bytes`);
}
