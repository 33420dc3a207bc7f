// Package meter rewrites a WebAssembly module at deploy so that running it
// costs gas and cannot exceed the VM's limits: it checks the module against
// static limits, charges each metered segment of straight-line code before it
// runs, charges memory and table growth and bulk copies by size before they
// happen, bounds the call stack by a frame-weighted depth counter, and
// canonicalises the NaNs that floating-point arithmetic produces.
//
// The rules it implements are spec/vm.md's; gas is defined on the original
// instruction sequence, so a second implementation that follows that file
// charges exactly the same amounts at exactly the same points.
//
// The rewrite is a pure function of the input bytes and the Limits: it must
// never depend on map iteration order, the clock, randomness, floating-point
// arithmetic or the engine that later runs the module. Bad input gets an
// error wrapping one of the sentinel errors below; it never panics and never
// allocates in proportion to a count the module declares before checking it.
//
// Sections the rewrite does not need to change are copied byte for byte;
// custom sections are dropped. The result still has to be validated (the VM
// compiles it with wazero, which validates every function).
package meter
