// The package as a user gets it: `npm pack` in a clean copy of this
// directory (so prepack builds dist/ from nothing), the tarball installed
// into an empty npm project (dependencies from the npm cache), and there:
//
//   - a plain JavaScript script that sends a transfer to a node built from
//     this tree, waits for finality, and verifies the recipient's account
//     proof against the validator set from GET /v1/validators; a tampered
//     proof byte, a tampered signature and a certificate checked against
//     another validator set are refused;
//   - the same package through require() (Node's require of ES modules);
//   - a TypeScript file type-checked against the installed types under
//     moduleResolution node10, node16, nodenext and bundler, with
//     skipLibCheck off.
//
// Needs Go and npm; set ORAMA_E2E=0 to skip.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { PrivateKey } from "@oramanetwork/orama-client";
import { packageDir } from "./helpers.js";
import { oramaBinary, run, skipE2E as skip, startNode, type RunningNode } from "./node.js";

let tmp = "";
let app = "";
let tarball = "";
let node: RunningNode | undefined;
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

before(async () => {
  if (skip) return;
  const t0 = Date.now();
  tmp = await mkdtemp(path.join(os.tmpdir(), "orama-ts-pack-"));

  // A clean copy of the package: sources only, this install's node_modules.
  const src = path.join(tmp, "checkout");
  await mkdir(src);
  for (const f of ["package.json", "package-lock.json", "tsconfig.json", "README.md", "scripts", "src"]) {
    await cp(path.join(packageDir(), f), path.join(src, f), { recursive: true });
  }
  await symlink(path.join(packageDir(), "node_modules"), path.join(src, "node_modules"), "dir");
  await run(npm, ["pack", "--pack-destination", tmp], { cwd: src, timeout: 120_000 });
  const pkg = JSON.parse(await readFile(path.join(src, "package.json"), "utf8")) as { name: string; version: string };
  tarball = path.join(tmp, `${pkg.name.replace(/^@/, "").replace("/", "-")}-${pkg.version}.tgz`);

  // An empty project that installs the tarball.
  app = path.join(tmp, "app");
  await mkdir(app);
  await writeFile(path.join(app, "package.json"), JSON.stringify({ name: "orama-app", version: "1.0.0", private: true }));
  await run(npm, ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund"], { cwd: app, timeout: 120_000 });
  console.log(`pack setup (pack, install) took ${Date.now() - t0} ms`);
});

after(async () => {
  await node?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test("pack: the tarball holds the built package and nothing else", { skip }, async () => {
  const { stdout } = await run("tar", ["-tzf", tarball]);
  const files = stdout.trim().split("\n").sort();
  for (const f of ["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/keystore-fs.js", "dist/keystore-fs.d.ts", "dist/verify.d.ts", "dist/generated/schema.js", "dist/generated/schema.d.ts", "dist/generated/api.d.ts"]) {
    assert.ok(files.includes("package/" + f), `tarball lacks ${f}`);
  }
  const stray = files.filter((f) => !/^package\/(package\.json|README\.md|dist\/[a-z-]+(\/[a-z-]+)?\.(js|d\.ts))$/.test(f) || f.startsWith("package/dist/test/"));
  assert.deepEqual(stray, []);
  // Nothing in it reaches outside the package.
  const installed = path.join(app, "node_modules", "@oramanetwork", "orama-client");
  for (const f of files.filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"))) {
    const text = await readFile(path.join(installed, f.replace(/^package\//, "")), "utf8");
    assert.doesNotMatch(text, /from\s+["']\.\.\/\.\.\//, `${f} imports from outside the package`);
  }
});

// The user's script: plain JavaScript against the installed package.
const script = `
import { OramaClient, OramaError, PrivateKey, ValidatorSet, fromHex, toHex0x, verifyAccountProof } from "@oramanetwork/orama-client";
import { listKeystore } from "@oramanetwork/orama-client/fs";

const [url, secret] = process.argv.slice(2);
const client = new OramaClient(url);
const from = PrivateKey.fromHex(secret);
const to = PrivateKey.generate();
const sent = await client.transfer(from, { to: to.addressString, amount: "2.5", wait: { finalized: true, timeoutMs: 30000 } });

const set = await client.validatorSet(); // GET /v1/validators and the chain id
const resp = await client.account(to.address, { proof: true });
const verified = verifyAccountProof(resp, set);

const refusal = (f) => {
  try {
    f();
    return "accepted";
  } catch (e) {
    return e instanceof OramaError ? e.code : String(e);
  }
};
const flipped = (hex, i) => {
  const b = fromHex(hex);
  b[i] ^= 1;
  return toHex0x(b);
};
const tamperedProof = structuredClone(resp);
tamperedProof.proof.proof = flipped(resp.proof.proof, 40);
const tamperedVote = structuredClone(resp);
const vote = tamperedVote.proof.finality.commit_proof.qc.votes[0];
vote.signature = flipped(vote.signature, 5);
const otherSet = new ValidatorSet({ chainId: set.chainId, validators: [{ address: PrivateKey.generate().address, power: 1n }] });

console.log(JSON.stringify({
  status: sent.status.status,
  balance: verified.account.orama_balance,
  exists: verified.exists,
  height: String(verified.height),
  finalHeight: String(verified.finalHeight),
  tamperedProof: refusal(() => verifyAccountProof(tamperedProof, set)),
  tamperedVote: refusal(() => verifyAccountProof(tamperedVote, set)),
  otherSet: refusal(() => verifyAccountProof(resp, otherSet)),
  keystoreHelpers: typeof listKeystore,
}));
`;

test("pack: in a fresh project, a transfer reaches finality and its account proof verifies", { skip }, async () => {
  const bin = await oramaBinary(tmp);
  const key = PrivateKey.generate();
  node = await startNode(bin, path.join(tmp, "data"), [`${key.addressString}=100:0`]);
  await writeFile(path.join(app, "transfer.mjs"), script);
  const { stdout } = await run(process.execPath, ["transfer.mjs", node.url, key.toHex()], { cwd: app, timeout: 60_000 });
  const out = JSON.parse(stdout) as Record<string, string | boolean>;
  assert.deepEqual(out, {
    status: "finalized",
    balance: "2500000",
    exists: true,
    height: out.height,
    finalHeight: out.finalHeight,
    tamperedProof: "root_mismatch",
    tamperedVote: "bad_signature",
    otherSet: "unknown_signer",
    keystoreHelpers: "function",
  });
  assert.ok(BigInt(out.height as string) >= 1n && BigInt(out.finalHeight as string) >= BigInt(out.height as string), stdout);
});

test("pack: CommonJS code can require() the package", { skip }, async () => {
  const code = `const c = require("@oramanetwork/orama-client"); const fs = require("@oramanetwork/orama-client/fs");
console.log([typeof c.verifyAccountProof, typeof c.OramaClient, c.errorCodes.includes("not_found"), typeof fs.loadKey].join(" "));`;
  await writeFile(path.join(app, "require.cjs"), code);
  const { stdout } = await run(process.execPath, ["require.cjs"], { cwd: app });
  assert.equal(stdout.trim(), "function function true function");
});

// Uses the installed types: a code outside the generated union must fail
// to compile (the directive below is itself an error if it does not).
const typed = `import { OramaApiError, OramaClient, ProofVerificationError, ValidatorSet, verifyAccountProof, type ErrorCode, type ProofErrorCode, type VerifiedAccount } from "@oramanetwork/orama-client";
import { loadKey } from "@oramanetwork/orama-client/fs";
const code: ErrorCode = "state_pruned";
// @ts-expect-error: not an error code of the spec
const bad: ErrorCode = "no_such_code";
const proofCode: ProofErrorCode = "no_quorum";
async function height(c: OramaClient, s: ValidatorSet): Promise<bigint> {
  const v: VerifiedAccount = await c.verifiedAccount("@alice", s);
  return v.height;
}
function explain(e: unknown): string {
  if (e instanceof OramaApiError) return e.code;
  if (e instanceof ProofVerificationError) return e.code;
  return "other";
}
export { code, bad, proofCode, height, explain, loadKey, verifyAccountProof };
`;

test("pack: the installed types resolve under node10, node16, nodenext and bundler", { skip }, async () => {
  await writeFile(path.join(app, "check.ts"), typed);
  await writeFile(path.join(app, "check.mts"), typed);
  const tsc = createRequire(path.join(packageDir(), "package.json")).resolve("typescript/bin/tsc");
  for (const [resolution, mod, file] of [
    ["node10", "commonjs", "check.ts"],
    ["node16", "node16", "check.mts"],
    ["nodenext", "nodenext", "check.mts"],
    ["nodenext", "nodenext", "check.ts"], // CommonJS that imports the package (require of ESM)
    ["bundler", "esnext", "check.ts"],
  ]) {
    const options = { noEmit: true, strict: true, skipLibCheck: false, target: "es2022", lib: ["es2022", "dom"], types: [], moduleResolution: resolution, module: mod };
    const config = `tsconfig.${resolution}.${file}.json`;
    await writeFile(path.join(app, config), JSON.stringify({ compilerOptions: options, files: [file] }));
    try {
      await run(process.execPath, [tsc, "-p", config], { cwd: app, timeout: 60_000 });
    } catch (e) {
      assert.fail(`tsc, ${resolution} ${mod} ${file}: ${(e as { stdout?: string }).stdout ?? e}`);
    }
  }
});
