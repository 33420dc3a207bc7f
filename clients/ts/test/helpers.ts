// Shared test helpers: the repository root and the conformance vectors.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest directory above this file with go.mod and spec/. */
export function repoRoot(): string {
  let d = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(d, "go.mod")) && existsSync(path.join(d, "spec"))) return d;
    const up = path.dirname(d);
    if (up === d) throw new Error("repository root (go.mod + spec/) not found above " + fileURLToPath(import.meta.url));
    d = up;
  }
}

/** The client package directory (clients/ts). */
export function packageDir(): string {
  return path.join(repoRoot(), "clients", "ts");
}

/** A conformance vector file, parsed. */
export function vector<T = any>(rel: string): T {
  return JSON.parse(readFileSync(path.join(repoRoot(), "conformance", "vectors", rel), "utf8")) as T;
}

/** A test fixture of this package, parsed. */
export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(path.join(packageDir(), "test", "fixtures", name), "utf8")) as T;
}

/** A state conformance vector file (conformance/vectors-state), parsed. */
export function stateVector<T = any>(rel: string): T {
  return JSON.parse(readFileSync(path.join(repoRoot(), "conformance", "vectors-state", rel), "utf8")) as T;
}
