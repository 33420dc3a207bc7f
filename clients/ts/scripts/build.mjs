#!/usr/bin/env node
// Builds the package into dist/: tsc over src/, then the generated schema
// (src/generated/schema.js and .d.ts, plain JavaScript that tsc does not
// copy) next to the compiled code, so dist/ imports nothing outside itself.
//
//   node scripts/build.mjs          dist/ from scratch: the package and the tests (dist/test)
//   node scripts/build.mjs --lib    dist/ from scratch: the package only (npm pack's prepack)
import { copyFile, mkdir, rm } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(path.join(pkg, "package.json")).resolve("typescript/bin/tsc");
const run = (project) => execFileSync(process.execPath, [tsc, "-p", project], { cwd: pkg, stdio: "inherit" });

await rm(path.join(pkg, "dist"), { recursive: true, force: true });
run("tsconfig.json");
await mkdir(path.join(pkg, "dist/generated"), { recursive: true });
for (const f of ["schema.js", "schema.d.ts"]) {
  await copyFile(path.join(pkg, "src/generated", f), path.join(pkg, "dist/generated", f));
}
if (!process.argv.includes("--lib")) run("tsconfig.test.json");
