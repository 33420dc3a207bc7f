package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// Bounds on the equivocation evidence kept per validator (spec/consensus.md,
// Equivocation evidence; DECISIONS.md D17). One record is enough to slash a
// validator; more show how far the fault went. The commonest cause, one key
// run by two nodes, equivocates in every view, so MaxEvidencePerValidator
// records cover well over an hour of it at the default view times; later
// ones are counted in the node's metric but not stored. A DoubleProposal
// record holds two envelopes of up to MaxEnvelopePayloadBytes (about 2 MiB
// in all) and votes and timeouts about 300 bytes, hence the lower bound on
// proposals: at most 16 x 2 MiB + 1,008 x 300 B, about 33 MiB, per validator,
// whatever the validator signs.
const (
	MaxEvidencePerValidator         = 1024
	MaxProposalEvidencePerValidator = 16
)

// ErrEvidenceLimit reports evidence that is new but was not stored: its
// validator already has its bound of records (MaxEvidencePerValidator, or
// MaxProposalEvidencePerValidator for a DoubleProposal).
var ErrEvidenceLimit = errors.New("store: evidence bound reached for this validator")

// Keys in blocks/ (the store synced on every write: evidence cannot be
// rebuilt from the chain, so it does not belong in index/).
const (
	// view | validator | kind -> Borsh Evidence. Views are big-endian, so
	// a reverse scan lists the newest view first.
	prefixEvidence = 'e'
	// validator -> the number of its stored records (u64) and how many of
	// them are DoubleProposal (u64), big-endian.
	prefixEvidenceCount = 'E'
)

const evidenceKeyLen = 1 + 8 + len(types.Address{}) + 1

// EvidenceCursor is a position in the evidence listing: that of the last
// record of a page. Listings resume strictly after it.
type EvidenceCursor struct {
	View      uint64
	Validator types.Address
	Kind      types.EvidenceKind
}

func (c EvidenceCursor) key() []byte {
	k := make([]byte, 0, evidenceKeyLen)
	k = append(k, prefixEvidence)
	k = binary.BigEndian.AppendUint64(k, c.View)
	k = append(k, c.Validator[:]...)
	return append(k, byte(c.Kind))
}

func evidenceCountKey(a types.Address) []byte {
	return append([]byte{prefixEvidenceCount}, a[:]...)
}

// PutEvidence stores ev unless evidence of the same (validator, view,
// kind) is stored already, so one equivocation is kept once whichever pair
// of its messages is reported. It reports whether ev is new: true with a nil
// error when it was stored; false with a nil error for a repeat; false with
// ErrEvidenceLimit when it is new but the validator's bound is reached
// (then nothing is written). It does not verify ev (consensus.VerifyEvidence
// does); it is safe for concurrent use, and a stored record is synced to
// disk before it returns.
func (s *Store) PutEvidence(ev *types.Evidence) (bool, error) {
	v, err := ev.MarshalBorsh()
	if err != nil {
		return false, fmt.Errorf("store: encode evidence: %w", err)
	}
	key := EvidenceCursor{View: ev.View, Validator: ev.Validator, Kind: ev.Kind}.key()
	ckey := evidenceCountKey(ev.Validator)
	// blocks/ tracks no conflicts (one writer, the commit path), so the
	// read-check-write below is serialized here.
	s.evMu.Lock()
	defer s.evMu.Unlock()
	stored := false
	err = s.Blocks.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(key); err == nil {
			return nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		total, proposals, err := evidenceCounts(txn, ckey)
		if err != nil {
			return err
		}
		isProposal := ev.Kind == types.EvidenceKindDoubleProposal
		if total >= MaxEvidencePerValidator || (isProposal && proposals >= MaxProposalEvidencePerValidator) {
			return ErrEvidenceLimit
		}
		total++
		if isProposal {
			proposals++
		}
		c := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(make([]byte, 0, 16), total), proposals)
		if err := txn.Set(key, v); err != nil {
			return err
		}
		if err := txn.Set(ckey, c); err != nil {
			return err
		}
		stored = true
		return nil
	})
	if errors.Is(err, ErrEvidenceLimit) {
		return false, err
	}
	if err != nil {
		return false, fmt.Errorf("store: put evidence: %w", err)
	}
	return stored, nil
}

func evidenceCounts(txn *badger.Txn, ckey []byte) (total, proposals uint64, err error) {
	item, err := txn.Get(ckey)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	err = item.Value(func(b []byte) error {
		if len(b) != 16 {
			return fmt.Errorf("evidence count of %d bytes, want 16", len(b))
		}
		total, proposals = binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
		return nil
	})
	return total, proposals, err
}

// EvidenceCount returns how many evidence records of validator are stored,
// and how many of them are DoubleProposal.
func (s *Store) EvidenceCount(validator types.Address) (total, proposals uint64, err error) {
	err = s.Blocks.View(func(txn *badger.Txn) error {
		var err error
		total, proposals, err = evidenceCounts(txn, evidenceCountKey(validator))
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: evidence count: %w", err)
	}
	return total, proposals, nil
}

// Evidence lists stored evidence, newest view first (then by validator and
// kind, descending), starting strictly after the cursor after (nil: from
// the newest). It returns at most limit records (limit >= 1), and stops
// early once the records' encodings reach maxBytes (0: no byte bound; at
// least one record is always returned when one remains), so one page of
// DoubleProposal records stays bounded. next is the cursor of the last
// record returned when more records follow it, and nil on the last page.
func (s *Store) Evidence(after *EvidenceCursor, limit, maxBytes int) (page []types.Evidence, next *EvidenceCursor, err error) {
	if limit < 1 {
		return nil, nil, fmt.Errorf("store: evidence: limit %d < 1", limit)
	}
	err = s.Blocks.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixEvidence}, Reverse: true, PrefetchValues: true, PrefetchSize: min(limit+1, 100)})
		defer it.Close()
		var seek, skip []byte
		if after != nil {
			seek = after.key()
			skip = seek
		} else {
			// Above every evidence key: the prefix, then 0xff past their length.
			seek = append([]byte{prefixEvidence}, bytes.Repeat([]byte{0xff}, evidenceKeyLen)...)
		}
		size := 0
		for it.Seek(seek); it.Valid(); it.Next() {
			item := it.Item()
			if skip != nil && bytes.Equal(item.Key(), skip) {
				continue
			}
			if len(page) == limit || (maxBytes > 0 && size >= maxBytes) {
				last := &page[len(page)-1]
				next = &EvidenceCursor{View: last.View, Validator: last.Validator, Kind: last.Kind}
				return nil
			}
			var ev types.Evidence
			if err := item.Value(func(v []byte) error {
				size += len(v)
				return ev.UnmarshalBorsh(v)
			}); err != nil {
				return fmt.Errorf("record %x: %w", item.Key(), err)
			}
			page = append(page, ev)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: evidence: %w", err)
	}
	return page, next, nil
}
