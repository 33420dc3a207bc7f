// Package sim runs several consensus cores in one process over a simulated
// network driven by a seeded PRNG (math/rand/v2): message delay, drops,
// duplication, reordering and partitions that heal, with fake signatures and
// tick-driven logical time. It checks safety (no two honest nodes finalize
// different blocks at one height) as blocks are committed. twins.go builds
// Twins scenarios (a byzantine validator run as two nodes with one key).
//
// The simulator is test infrastructure: it performs no real I/O either, and
// the cores it drives never depend on I/O, networking, storage or clocks.
package sim
