// Runs a single-validator node built from this tree, for the end-to-end
// tests: `go build ./cmd/orama` (or $ORAMA_BIN), `orama init` with the given
// allocations, and `orama node` on a free loopback port.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { OramaClient } from "@oramanetwork/orama-client";
import { repoRoot } from "./helpers.js";

export const run = promisify(execFile);

/** Set ORAMA_E2E=0 to skip the tests that need Go and a node. */
export const skipE2E = process.env.ORAMA_E2E === "0" ? "ORAMA_E2E=0" : false;

/** The orama binary: $ORAMA_BIN, or built from this tree into dir. */
export async function oramaBinary(dir: string): Promise<string> {
  if (process.env.ORAMA_BIN) return process.env.ORAMA_BIN;
  const bin = path.join(dir, "orama");
  await run("go", ["build", "-o", bin, "./cmd/orama"], { cwd: repoRoot(), timeout: 300_000 });
  return bin;
}

/** Runs the orama CLI; a failure throws with its stderr. */
export async function orama(bin: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(bin, args, { env: { ...process.env, ...env }, timeout: 30_000 });
    return stdout;
  } catch (e) {
    const x = e as { stderr?: string; message: string };
    throw new Error(`orama ${args.join(" ")}: ${x.message}\n${x.stderr ?? ""}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

export interface RunningNode {
  url: string;
  client: OramaClient;
  /** Everything the node wrote so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Initialises dataDir with alloc ("address=ORAMA:BTC" each) and runs a node
 * on it with 300 ms blocks until it has made block 1.
 */
export async function startNode(bin: string, dataDir: string, alloc: string[]): Promise<RunningNode> {
  await orama(bin, ["init", "--data-dir", dataDir, ...alloc.flatMap((a) => ["--alloc", a])]);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = "";
  const child: ChildProcess = spawn(bin, ["node", "--data-dir", dataDir, "--block-time", "300ms", "--api-listen", `127.0.0.1:${port}`, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (b) => (log += b));
  child.stderr!.on("data", (b) => (log += b));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(t);
  };
  const client = new OramaClient(url);
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      if (BigInt((await client.chainStatus()).height) >= 1n) break;
    } catch (e) {
      if (Date.now() > end) {
        await stop();
        throw new Error(`node did not come up: ${(e as Error).message}\n${log}`);
      }
    }
    if (child.exitCode !== null) throw new Error(`node exited with ${child.exitCode}\n${log}`);
    if (Date.now() > end) {
      await stop();
      throw new Error(`node produced no block\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, client, log: () => log, stop };
}
