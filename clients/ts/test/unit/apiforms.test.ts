// The REST types (src/generated/api.ts, from generated/api/openapi.yaml) hold
// every field of each protocol type they show: checked against the Borsh
// layouts of generated/js/schema.js, which come from the same spec/*.yaml by
// another generator target. A field the OpenAPI target dropped fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { types } from "@oramanetwork/orama-client";
import type { components } from "@oramanetwork/orama-client";
import { packageDir } from "../helpers.js";

type S = components["schemas"];

// Compile-time: fields that were missing or hand-shaped before generation.
const _tc: S["BlockHeader"]["timeout_cert"] = null;
const _votes: S["QuorumCert"]["votes"] = [{ validator: "orama:00", signature: "0x" }];
const _hash: S["Transaction"]["hash"] = "0x";
void _tc;
void _votes;
void _hash;

/** The property names of components.schemas[name] in api.ts, or undefined. */
function apiProperties(src: string, name: string): string[] | undefined {
  const start = src.indexOf(`\n        ${name}: {\n`);
  if (start < 0) return undefined;
  const end = src.indexOf("\n        };\n", start);
  const block = src.slice(start, end + 1);
  return [...block.matchAll(/\n            ([a-z][a-z0-9_]*)\??: /g)].map((m) => m[1]);
}

test("every protocol type in the REST types has all its spec fields", () => {
  const src = readFileSync(path.join(packageDir(), "src", "generated", "api.ts"), "utf8");
  const shown: string[] = [];
  for (const [name, info] of Object.entries(types)) {
    if (info.kind !== "struct") continue;
    const props = apiProperties(src, name);
    if (!props) continue; // not shown by the API
    shown.push(name);
    for (const f of info.fields) {
      assert.ok(props.includes(f.name), `api.ts ${name} lacks spec field ${f.name} (has ${props.join(", ")})`);
    }
  }
  for (const want of ["Account", "Transaction", "Receipt", "Event", "BlockHeader", "QuorumCert", "Block", "Validator", "TimeoutCert", "SMTProof"]) {
    assert.ok(shown.includes(want), `api.ts shows no ${want}`);
  }
});
