package smt

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// DropStaleAbove deletes the stale records of every commit at a version
// above v, and returns how many it deleted. It deletes no nodes.
//
// A node calls it at start-up with its head height. A commit whose block
// never became the head (the process died between writing the state and
// writing the block) leaves a stale record for a root the chain never
// adopted; when that version is committed again on the real chain, the old
// record would make Prune delete nodes the real tree still uses. The nodes
// such a commit wrote are unreachable and harmless.
func DropStaleAbove(store Store, v uint64) (int, error) {
	if v == ^uint64(0) {
		return 0, nil
	}
	from := binary.BigEndian.AppendUint64([]byte{prefixStale}, v+1)
	var keys [][]byte
	err := store.Scan([]byte{prefixStale}, func(k, _ []byte) (bool, error) {
		if bytes.Compare(k, from) >= 0 {
			if _, _, ok := parseStaleKey(k); !ok {
				return false, fmt.Errorf("smt: malformed stale record key %x", k)
			}
			keys = append(keys, bytes.Clone(k))
		}
		return true, nil
	})
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	b := store.NewBatch()
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			b.Discard()
			return 0, err
		}
	}
	if err := b.Write(); err != nil {
		return 0, err
	}
	return len(keys), nil
}
