// Package rpc is the node's REST API (whitepaper Appendix G section 8): an
// http.Handler that implements the contract of generated/api/openapi.yaml
// (spec/openapi.yaml with the protocol types' schemas generated from
// spec/*.yaml) through the strict server interface generated from it
// (generated/api), reading
// everything it serves from a Backend (*node.Node implements it).
//
// # Request path
//
// Every request passes, in order:
//
//  1. access log and metrics (orama_api_request_duration_seconds by route
//     and status; a debug-level slog line per request);
//  2. panic recovery: a panic in any layer below answers 500 "internal" and
//     is logged with its stack, and the server keeps serving;
//  3. the routes outside the spec: GET /metrics (Prometheus), GET
//     /v1/openapi.yaml (the embedded spec) and GET /v1/docs (an HTML page
//     rendered from the spec, with no external scripts or styles);
//  4. validation against the spec with kin-openapi, before any handler
//     runs: unknown paths (404), wrong methods (405), undeclared or repeated
//     query parameters (400 unknown_parameter / invalid_parameter), bodies
//     over Config.MaxBodyBytes (413), and parameter and body schemas (400);
//  5. the generated router and strict handler, whose methods (handlers.go)
//     map the Backend's values to the API schemas: protocol types through
//     the generated api.FromT conversions, API-only values in convert.go.
//
// Every failure has the one body {"error": {"code", "message"}}. The codes
// are the stable list in the spec's Error schema; errors.go maps backend
// errors and mempool admission errors onto them. Internal errors answer 500
// "internal" with a fixed message and are logged, never shown.
//
// # Dependencies
//
// This package sits at the top of the node's dependency graph: it reads
// state, the store, the index and the mempool through Backend, and nothing
// reads it back. It must never be imported by execution, consensus or
// storage code (runtime/exec, runtime/state, runtime/smt, runtime/store,
// runtime/index, runtime/mempool, consensus and p2p): only the binary that
// wires a node together (cmd/) constructs it.
package rpc
