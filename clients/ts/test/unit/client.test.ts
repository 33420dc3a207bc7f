// The client's typed errors against a fake node: the error codes are the
// spec's (generated) union, anything else is "unexpected_response"; and
// verifiedAccount refuses a valid proof of another account than asked for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OramaApiError, OramaClient, ProofVerificationError, errorCodes, type ApiErrorCode, type ErrorCode } from "@oramanetwork/orama-client";
import { members, proofResponse, testKey, trusted } from "../chain.js";

const answering = (status: number, body: string, type = "application/json") =>
  new OramaClient({ baseUrl: "http://node.invalid", fetch: async () => new Response(body, { status, headers: { "Content-Type": type } }) });

const apiError = (status: number, code: ApiErrorCode) => (e: unknown) => {
  assert.ok(e instanceof OramaApiError, String(e));
  assert.equal(e.status, status);
  assert.equal(e.code, code, e.message);
  return true;
};

test("client: the node's error codes come through typed; anything else is unexpected_response", async () => {
  // The generated list is the spec's enum (runtime/rpc tests it against the node's constants).
  assert.equal(errorCodes.length, new Set(errorCodes).size);
  for (const c of ["not_found", "unknown_username", "state_pruned", "internal", "pool_full"]) assert.ok(errorCodes.includes(c as ErrorCode), c);
  const typed: ErrorCode = "nonce_gap";
  // @ts-expect-error: not a code of the spec
  const untyped: ErrorCode = "no_such_code";
  assert.notEqual(typed, untyped);

  const body = (code: string) => JSON.stringify({ error: { code, message: "m" } });
  await assert.rejects(answering(404, body("unknown_username")).account("@bob"), apiError(404, "unknown_username"));
  await assert.rejects(answering(410, body("state_pruned")).account("@bob", { height: 1n }), apiError(410, "state_pruned"));
  await assert.rejects(answering(400, body("brand_new_code")).account("@bob"), apiError(400, "unexpected_response"));
  await assert.rejects(answering(502, "<html>bad gateway</html>", "text/html").account("@bob"), apiError(502, "unexpected_response"));
  await assert.rejects(answering(500, "{}").chainStatus(), apiError(500, "unexpected_response"));
});

test("client: verifiedAccount checks the proven account is the one asked for", async () => {
  const ms = members("c", [1n, 1n, 1n, 1n]);
  const resp = proofResponse(ms);
  const c = answering(200, JSON.stringify(resp));
  const alice = testKey("alice");
  assert.equal((await c.verifiedAccount(alice.address, trusted(ms))).account.username, "alice");
  assert.equal((await c.verifiedAccount("@alice", trusted(ms))).exists, true);
  const mismatch = (e: unknown) => e instanceof ProofVerificationError && e.code === "account_mismatch";
  await assert.rejects(c.verifiedAccount("@bob", trusted(ms)), mismatch);
  await assert.rejects(c.verifiedAccount(testKey("other-1").addressString, trusted(ms)), mismatch);
  // A proof of the right account signed by another set.
  await assert.rejects(c.verifiedAccount("@alice", trusted(members("d", [1n, 1n, 1n, 1n]))), (e: unknown) => e instanceof ProofVerificationError && e.code === "unknown_signer");
});
