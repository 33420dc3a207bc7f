// @orama/contract-sdk: AssemblyScript library for Orama contracts.
//
// Compile contracts with `asc contract.ts --runtime stub --use abort=` and
// export the allocator from the entry file:
//
//   export { orama_alloc } from "@orama/contract-sdk";
//
// generated/host.ts declares every host function of spec/hostfuncs.yaml with
// a typed wrapper (dbExecute, cacheGet, transferOrama, sha256, ...), the
// status codes (Status) and the limits (Limits); sql.ts, events.ts and
// borsh.ts are the encodings around them.
export * from "./generated/host";
export { orama_alloc, takeResult, requireLength } from "./runtime";
export { BorshReader, BorshWriter } from "./borsh";
export { Kind, SqlValue, encodeParams, ExecResult, Rows, exec, query, queryOne } from "./sql";
export { encodeEvent, emitEvent } from "./events";
