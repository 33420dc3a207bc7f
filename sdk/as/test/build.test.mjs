// Compiles the probe contract (test/probe.ts) with the pinned AssemblyScript
// and checks the module's interface: it imports nothing but host functions of
// spec/hostfuncs.yaml (with their signatures, as declared by
// assembly/generated/host.ts) and exports the allocator and memory. The
// probe's behaviour is tested through the VM by runtime/host (go test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import asc from 'assemblyscript/asc';
import { readFileSync } from 'node:fs';

test('the probe contract compiles to a module importing only host functions', async () => {
  let wasm;
  const { error, stderr } = await asc.main(
    ['test/probe.ts', '-o', 'probe.wasm', '-O3', '--runtime', 'stub', '--use', 'abort='],
    { writeFile: (name, contents) => { if (name.endsWith('.wasm')) wasm = contents; } },
  );
  assert.equal(error, null, stderr.toString());
  const mod = new WebAssembly.Module(wasm);
  const imports = WebAssembly.Module.imports(mod);
  assert.ok(imports.length >= 27, `only ${imports.length} imports`);
  for (const im of imports) {
    assert.equal(im.kind, 'function', `${im.module}.${im.name}`);
    assert.match(im.module, /^orama(\.(db|cache|storage|state|ctx|log|crypto))?$/, `${im.module}.${im.name}`);
  }
  // Every function the generated declarations declare is imported: the probe calls each.
  const declared = [...readFileSync(new URL('../assembly/generated/host.ts', import.meta.url), 'utf8')
    .matchAll(/@external\("([^"]+)", "([^"]+)"\)/g)].map((m) => `${m[1]}.${m[2]}`);
  const imported = new Set(imports.map((im) => `${im.module}.${im.name}`));
  assert.ok(declared.length >= 27, `only ${declared.length} declarations`);
  for (const fn of declared) assert.ok(imported.has(fn), `the probe does not call ${fn}`);
  const exports = WebAssembly.Module.exports(mod).map((e) => `${e.name}:${e.kind}`);
  for (const want of ['orama_alloc:function', 'memory:memory', 'db:function', 'state:function', 'crypto:function']) {
    assert.ok(exports.includes(want), `exports ${exports} lack ${want}`);
  }
});
