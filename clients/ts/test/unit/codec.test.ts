// Every codec and decode-error vector, through the generated schemas.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { DecodeError, decode, decodeStrict, encode, fromHex, fromJSONForm, schemas, toHex0x, toJSONForm } from "@oramanetwork/orama-client";
import { repoRoot, vector } from "../helpers.js";

const dir = (sub: string) => readdirSync(path.join(repoRoot(), "conformance", "vectors", sub)).filter((f) => f.endsWith(".json"));

test("codec vectors: JSON form -> Borsh -> strict decode -> JSON form, for every type", () => {
  const files = dir("codec");
  assert.ok(files.length >= 50);
  let n = 0;
  for (const f of files) {
    const v = vector(`codec/${f}`);
    assert.ok(v.type in schemas, `no generated schema for ${v.type}`);
    for (const c of v.cases) {
      const value = fromJSONForm(v.type, c.value);
      assert.equal(toHex0x(encode(v.type, value)), c.borsh, `${v.type}/${c.name}`);
      const back = decode(v.type, fromHex(c.borsh));
      assert.deepEqual(toJSONForm(v.type, back), c.value, `${v.type}/${c.name}`);
      n++;
    }
  }
  assert.ok(n >= 100, `${n} cases`);
});

test("decode-error vectors: the strict decoder refuses each with the vector's reason", () => {
  const files = dir("decode_errors");
  let n = 0;
  for (const f of files) {
    const v = vector(`decode_errors/${f}`);
    for (const c of v.cases) {
      assert.throws(
        () => decodeStrict(v.type, fromHex(c.borsh)),
        (e: unknown) => e instanceof DecodeError && e.code === c.error,
        `${v.type}/${c.name}: want ${c.error} (${c.why})`,
      );
      assert.throws(() => decode(v.type, fromHex(c.borsh)), `${v.type}/${c.name}`);
      n++;
    }
  }
  assert.ok(n >= 200, `${n} cases`);
});
