package smt

import (
	"bytes"
	"fmt"
)

// PruneStats reports what Prune did.
type PruneStats struct {
	Records int // stale records processed and deleted
	Deleted int // pages and leaves deleted
	Kept    int // stale-listed entries kept because a later commit wrote them again
}

// pruneChunk is how many stale records Prune reads before deleting.
const pruneChunk = 16

// Prune deletes, in every namespace of store, the pages and leaves that
// commits at versions <= upto recorded as stale, and those records.
// Afterwards every root committed at version >= upto is still readable in
// full; roots of earlier versions may not be. To keep the last K versions of a chain whose
// latest commit is version v, call Prune(store, v-K+1).
//
// An entry is listed as stale by the commit that removed it from its tree.
// The same entry (same hash, same namespace) can be created again by a later
// commit, for instance when a key is set back to its old value; that commit
// stores the entry with its own, higher version, and Prune keeps an entry
// whose stored version is above the record's.
//
// Preconditions, which the caller guarantees:
//   - In each namespace, commits form one chain with increasing versions and
//     at most one commit per version. A commit on an abandoned fork must not
//     leave stale records behind (commit only final state, open the
//     speculative tree WithoutStaleRecords, or remove them with
//     DropStaleAbove), or Prune would delete nodes the chain still uses.
//   - Prune does not run concurrently with a Commit on the same store.
//
// Prune is idempotent and may be interrupted: work done stays done.
func Prune(store Store, upto uint64) (PruneStats, error) {
	var st PruneStats
	type record struct {
		key, hashes []byte
		version     uint64
		ns          []byte
	}
	for {
		var recs []record
		err := store.Scan([]byte{prefixStale}, func(k, v []byte) (bool, error) {
			k = bytes.Clone(k) // the store may reuse k after fn returns
			version, ns, ok := parseStaleKey(k)
			if !ok || len(v)%HashSize != 0 {
				return false, fmt.Errorf("%w: stale record %x", ErrCorruptNode, k)
			}
			if version > upto {
				return false, nil
			}
			recs = append(recs, record{key: k, hashes: bytes.Clone(v), version: version, ns: ns})
			return len(recs) < pruneChunk, nil
		})
		if err != nil || len(recs) == 0 {
			return st, err
		}
		batch := store.NewBatch()
		for _, r := range recs {
			for h := r.hashes; len(h) > 0; h = h[HashSize:] {
				key := nodeKey(r.ns, (*[HashSize]byte)(h[:HashSize]))
				enc, ok, err := store.Get(key)
				if err != nil {
					batch.Discard()
					return st, err
				}
				if !ok {
					continue // already pruned by an interrupted run
				}
				v, err := nodeVersion(enc)
				if err != nil {
					batch.Discard()
					return st, fmt.Errorf("node %x: %w", h[:HashSize], err)
				}
				if v > r.version {
					st.Kept++
					continue
				}
				if err := batch.Delete(key); err != nil {
					batch.Discard()
					return st, err
				}
				st.Deleted++
			}
			if err := batch.Delete(r.key); err != nil {
				batch.Discard()
				return st, err
			}
			st.Records++
		}
		if err := batch.Write(); err != nil {
			return st, err
		}
	}
}
