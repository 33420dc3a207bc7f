// Package vm runs Orama contracts: WebAssembly modules on wazero, metered
// with gas.
//
// Deploy checks a module against the static limits of spec/vm.md, instruments
// it (package meter) and compiles it once, with wazero's compilation cache on
// disk. Call runs one exported function of a deployed contract in a fresh
// instance with a gas limit: out of gas, a stack overflow or a trap end the
// call with an error wrapping ErrOutOfGas, ErrStackOverflow or ErrTrap, and
// the caller's transaction (CallOptions.Tx) is rolled back, so a failed call
// writes nothing.
//
// Host functions (generated/host, from spec/hostfuncs.yaml) reach the running
// call through the context they are given:
//
//   - Charge takes gas before the function works; too little left ends the
//     call with ErrOutOfGas.
//   - Read copies guest memory out (bounded by a maximum), Write copies into
//     it; out of bounds ends the call with ErrTrap.
//   - Return hands bytes back as a result_ptr, in memory the guest allocates
//     through its export orama_alloc (metered guest code).
//   - Trap ends the call with ErrTrap; Imports returns CallOptions.Imports
//     (generated/host's *host.Imports).
//
// The node wires the two: vm.New(ctx, vm.Config{HostModules:
// host.Instantiate}); this package never imports generated/host. It provides
// its own deterministic wasi_snapshot_preview1 module for WASI toolchains
// (Go wasip1), so HostModules must not define that module.
//
// Nothing that feeds gas, results or writes may depend on map iteration order,
// the clock, randomness, floating point in the host, the engine (compiler or
// interpreter) or the machine: gas is charged by instructions the meter
// inserts, never by wall-clock time or wazero's context cancellation.
package vm
