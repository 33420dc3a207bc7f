// Package nsengine holds the engines a namespace stores its data in
// (spec/namespaces.md section 2, DECISIONS.md D28), each behind one small
// interface with an embedded default and a cluster backend:
//
//   - Cache: NewMemoryCache (a map per namespace) or NewOlricCache (an Olric
//     v0.7.0 member embedded in the process, one DMap "orama.ns.<name>").
//   - Storage: NewLocalStorage (one file per object, named by its base32 CID)
//     or NewKuboStorage (the Kubo HTTP API, objects kept in MFS under
//     /orama/<name>). Object names are CIDv1, codec raw, SHA2-256, of at most
//     MaxObjectBytes.
//   - RQLite: the client of an rqlited node over its HTTP API, for the TxLog
//     append (one transactional request, ErrConflict on a lost
//     compare-and-set) and the log reads of the namespace executor.
//
// The SQL replica itself (SQLite, runtime/sqlite) is not here: execution
// always runs on the node's own SQLite; rqlite is the shared copy and the
// order.
//
// The package is used by the namespace executor and must never depend on
// runtime/vm, runtime/host, runtime/consensus or runtime/node: it stores and
// moves bytes, it does not execute anything. Package enginetest starts the
// real engine processes (rqlited, Kubo) for tests.
//
// Conditions callers act on are typed sentinels (ErrTooLarge, ErrCIDMismatch,
// ErrConflict, ErrUnavailable, ErrMalformed, ...), always wrapped with
// context; test them with errors.Is.
package nsengine
