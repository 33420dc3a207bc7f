// Package mempool admits, orders and bounds the transactions a node holds
// before they are included in a block.
//
// Transactions arrive in batches from the REST API or gossip. Add checks
// everything that needs no lock first (size, the stateless rules of
// runtime/txrules, the minimum fee cap, encoding and hash), verifies the
// signatures in parallel on all cores and refuses a claim of a username the
// committed state holds; only then does it take the pool's lock to apply
// the rules that read the pool and the committed account state:
// duplicates, nonces, pending username claims (one per name and per
// sender), balances (counting the sender's other pending transactions),
// replacement and capacity. A correctly signed transaction refused by a
// state rule is looked up in the chain (Config.Included), so resending an
// included transaction is always ErrAlreadyKnown. Admission refuses what
// would only fail in a block (spec/state.md "Admission").
//
// The pool keeps each sender's transactions in nonce order. A sender may
// queue at most Config.MaxTxsPerSender transactions ahead of its account
// nonce, and only as many as its balance pays for. A transaction with the
// same sender and nonce as a pooled one replaces it only when both its tip
// cap and its fee cap are Config.PriceBumpPercent higher. The pool is
// bounded by a transaction count and an encoded byte size; when full, a new
// transaction must outbid the cheapest evictable transaction, and only the
// highest-nonce transaction of a sender is evictable, so an eviction never
// leaves a nonce gap in front of a transaction still in the pool.
//
// Select proposes the transactions of the next block: per sender in nonce
// order starting at the account nonce, across senders by effective tip,
// with ties broken by transaction hash. Update, called after each commit,
// removes what the block included and whatever the new state makes stale or
// unaffordable. Every order the pool exposes is a total order on
// transaction contents, so two pools holding the same transactions select
// the same blocks whatever order the transactions arrived in.
//
// The package reads committed state only through the State interface and
// applies only the shared rules of runtime/txrules and runtime/crypto. It
// must never depend on storage, networking, consensus or execution
// internals: those layers call into it, not the other way round. It keeps
// no global mutable state; every Pool is independent and safe for
// concurrent use.
package mempool
