// Package smt is the chain's state tree: a 256-level binary sparse Merkle
// tree in which the value of key lives at path SHA256(key). Its root commits
// to a set of key/value pairs and depends on nothing else: not on the order
// of updates, not on how or where nodes are stored. The same Tree holds the
// global account state and every nested tree (a contract's storage, and the
// commitment and nullifier trees later): a nested tree is a Tree whose root
// is stored in an account.
//
// The package must never depend on execution, consensus, networking or
// generated code. It knows keys, values, hashes, a key-value store and
// proofs; what a key or a value means is its callers' business.
//
// # Hashing
//
// spec/smt.md is the protocol: other implementations follow it, and the
// golden vectors in vectors_test.go are checked against it.
//
//	path        = SHA256(key)
//	valueHash   = SHA256(value)
//	leaf        = SHA256(0x00 || path || valueHash)
//	internal    = SHA256(0x01 || left || right)
//	empty       = 32 zero bytes, at every height
//
// A subtree holding one key is that key's leaf hash (a shortcut leaf, at
// whatever depth its path first differs from every other key's), and a
// subtree holding none is the empty hash, so a tree of n keys is about
// log2(n) levels deep and an internal node never has one empty child and one
// leaf child.
//
// # Usage
//
//	store := smt.NewBadgerStore(db, []byte("state/"))
//	t, err := smt.Open(store, parentRoot)
//	t.Update(addr, account)          // staged; Get sees it
//	t.Delete(other)
//	root, err := t.Commit(height)    // one pass, one write batch
//	proof, err := t.Prove(addr)      // against the committed root
//	err = smt.VerifyInclusion(root, addr, account, proof)
//	stats, err := smt.Prune(store, height-keep+1)
//
// Any earlier root can be opened for reading until it is pruned, because
// nodes are stored by hash and never changed in place.
//
// # Storage and pruning
//
// Nodes are stored content addressed, within the tree's namespace: a leaf
// under its hash with its value; internal nodes four binary levels to a page,
// under the hash of the page's top node (as in the Jellyfish Merkle tree), so
// a path through a million keys is about five reads. A page records each
// child's kind and each leaf's path, so a commit never reads a leaf. Every
// entry records the version that wrote it. Each commit records the entries
// it replaced, under its version; Prune(upto) deletes those of versions
// <= upto unless a later commit wrote them again. See Prune for the
// preconditions and spec/smt.md section 7 for the layout.
//
// # Concurrency
//
// Reads (Get, Prove) of a Tree are safe concurrently; a Tree's writes
// (Update, Delete, Commit) are single-writer. Open another Tree to read a
// committed root while one is being written. Commit itself reads the two
// halves of a large change set in parallel (up to GOMAXPROCS goroutines),
// which needs only the Store's promise of concurrent reads. The package has
// no global mutable state.
package smt
