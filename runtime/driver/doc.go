// Package driver runs the consensus core (runtime/consensus) for a node:
// it moves events into the core and carries out the actions the core
// returns, builds this node's proposals, executes proposed blocks
// speculatively and commits the final ones.
//
// The data path, one direction:
//
//	network ──Deliver──▶ inbound queue ──▶ loop (Run) ──Step──▶ core
//	                                         ▲                   │ actions
//	                             follow-up   │                   ▼
//	                             event ──────┴── act: producer · blocks · exec · Network.Publish
//	                                                              │
//	                                               CommitBlocks ──▶ Chain.Commit
//
// It is split the way flow-go splits its event loop, event handler and
// block producer, and the way etcd keeps raft's node thin:
//
//	driver.go    Driver: feeds the core one event at a time; each action
//	             may return one follow-up event, queued, never re-entered
//	loop.go      Run: the production loop (a ticker, the inbound queue)
//	inbound.go   the one queue between the network and the loop, its bound
//	             and its drop rule
//	producer.go  this node's proposals: pacing and building (fill)
//	blocks.go    proposed blocks above the head and their speculative
//	             execution; the one execute-and-commit path
//	sync.go      range sync of final blocks from peers
//	import.go    a chain file's records through sync's checks and commit
//
// Everything the driver touches outside itself is an injected interface:
// Chain (the final chain and its storage), Pool (the mempool), Network and
// Clock. The seeded simulator (runtime/consensus/sim) runs this same
// Driver, with real execution over an in-memory Chain, by calling Tick and
// Handle itself; production runs Run. The driver starts no goroutines: a
// block fetch is a request to the Network, whose answer comes back as an
// Incoming.
//
// It must never depend on runtime/node, runtime/p2p, runtime/store, the
// REST API or a wall clock other than Clock.
package driver
