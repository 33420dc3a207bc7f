// Package sim runs the production consensus driver (runtime/driver, the
// type Node.Run uses) for several nodes in one process, over a simulated
// network driven by a seeded PRNG (math/rand/v2): message delay, drops,
// duplication, reordering and partitions that heal, with fake signatures
// and a simulated clock. Each node has real execution and a real mempool
// over an in-memory chain (chain.go); what a restart keeps is exactly that
// chain. The simulator plays the production loop: a message due at a tick
// waits in the receiving driver's inbound queue (Deliver, the production
// queue with its priorities), the node takes it with HandleQueued, and the
// simulator ticks every node and fires its proposal timer (Run).
//
// It checks safety as blocks are committed: no two honest nodes finalize
// different blocks at one height, every commit extends the node's chain and
// carries a valid commit proof, no honest node signs two different votes or
// timeouts in a view, and no honest node's driver stops. twins.go builds
// Twins scenarios (a byzantine validator run as two nodes with one key; the
// second holds transactions the first does not, so the two build different
// blocks for one view). wan_bench_test.go measures the driver over a
// simulated WAN at 4 to 100 validators.
//
// The simulator is test infrastructure: it performs no real I/O, and the
// driver and core it runs never touch a clock or network but the ones it
// injects.
package sim
