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
// # Namespaces
//
// The namespace endpoints (namespaces.go; spec/namespaces.md 10) read the
// chain's namespace records from the Backend's state and index, and serve
// the namespaces this node runs through Config.Namespaces (runtime/ns's
// Manager): signed requests are decoded and handed to the engine, whose
// refusals map to 4xx codes and whose shutdown or engine failures are 503
// namespace_unavailable with Retry-After; a namespace the chain places on
// other nodes is 503 too, one nobody knows 404 unknown_namespace. Query rows
// are written as SQLValue JSON by sqlvalue.go. Operations marked
// x-max-body-bytes in the spec (a deploy carries up to 4 MiB of module)
// take bodies above Config.MaxBodyBytes.
//
// # Dependencies
//
// This package sits at the top of the node's dependency graph: it reads
// state, the store, the index and the mempool through Backend, and nothing
// reads it back. It must never be imported by execution, consensus or
// storage code (runtime/exec, runtime/state, runtime/smt, runtime/store,
// runtime/index, runtime/mempool, runtime/ns, consensus and p2p): only the binary that
// wires a node together (cmd/) constructs it.
package rpc
