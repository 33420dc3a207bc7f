// Package host holds the in-memory reference implementations of the host
// interfaces of generated/host (spec/hostfuncs.yaml): SQL on a real SQLite
// (runtime/sqlite, the node's one SQLite: modernc.org/sqlite's C API; the
// same SQLite type also opens a namespace replica on a file, tracks the rows
// contract statements change and opens the read-only query connection,
// spec/namespaces.md 2.1 and 5.2), a cache whose entries expire by block
// time, content-addressed storage with real CIDv1 raw SHA2-256 names, a
// ledger of ORAMA and BTC balances, events, logs and the chain's hashes and
// signature checks.
//
// Env is a namespace's state; Env.Begin starts a call, whose Imports go to
// vm.CallOptions.Imports and which is itself the call's vm.Tx: the VM
// commits it when the call succeeds and rolls it back when it fails, so a
// failed call changes nothing. Until namespaces exist (RQLite, Olric, IPFS
// and the global chain behind the same interfaces), devnets, tests, the ABI
// vectors and the example contracts run on these.
//
// Everything here is deterministic: results depend only on the state and
// the call's inputs, never on the clock, map order or randomness. It must
// never depend on runtime/vm: the VM reaches it only through generated/host.
package host
