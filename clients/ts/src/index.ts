// @oramanetwork/orama-client: a TypeScript client for the Orama chain node.
// Filesystem helpers for keystore directories are in "./keystore-fs.js"
// (package export "@oramanetwork/orama-client/fs"), which needs Node.js.

export * from "./address.js";
export * from "./amount.js";
export * from "./bytes.js";
export * from "./client.js";
export * from "./codec.js";
export * from "./errors.js";
export * from "./keys.js";
export * from "./keystore.js";
export * from "./schema.js";
export * from "./smt.js";
export * from "./strict.js";
export * from "./transaction.js";
export * from "./verify.js";
export type { components, operations, paths } from "./generated/api.js";
export * from "./jsonform.js";
