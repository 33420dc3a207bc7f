// Package ns runs a namespace on one node (spec/namespaces.md): it checks
// signed requests, executes them one TxLog entry at a time through the
// contract VM against the namespace's SQL replica and its StateDB, computes
// the write set and, in Tier 1, the namespace root after every entry, keeps
// the TxLog, and replays a TxLog to verify it (Verify).
//
// State lives in two stores that commit together by the log: the SQL replica
// (runtime/host's SQLite on a file), which also holds the TxLog when the
// namespace runs on the embedded engines, and a key-value store (Badger in a
// node, memory in Verify) holding accounts, contract state, the cache, the
// blob index, code and the SMT trees of Tier 1.
//
// Everything that feeds an entry's outcome, write set or root is
// deterministic: maps are only ever read through sorted keys, the clock is
// the entry's recorded chain timestamp, and there is no randomness.
//
// It must never depend on runtime/node, runtime/rpc, runtime/consensus or
// runtime/p2p: a node wires a namespace to the chain and the API.
package ns
