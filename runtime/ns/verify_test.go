package ns

import (
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// TestDiffEntryNamesTheField: fields behind pointers are compared by what
// they point to, and nil and empty slices are the same, so the first field
// that really differs is the one named (comparing printed pointers named
// writes.cache for every entry with a cache write).
func TestDiffEntryNamesTheField(t *testing.T) {
	mk := func() *types.TxLogEntry {
		c := types.Address{1}
		return &types.TxLogEntry{
			Outcome: types.NsOutcome{Contract: &c, Events: []types.Event{}},
			Writes: types.WriteSet{
				Cache:  []types.CacheWrite{{Key: []byte("k"), Value: &types.CacheValue{Expires: 5, Value: []byte("v")}}},
				Blobs:  []types.BlobPut{{Data: []byte("object")}},
				Supply: &types.NsSupply{OramaIn: 9},
			},
		}
	}
	for _, tc := range []struct {
		what   string
		change func(e *types.TxLogEntry)
	}{
		{"writes.blobs", func(e *types.TxLogEntry) { e.Writes.Blobs = nil }},
		{"writes.supply", func(e *types.TxLogEntry) { e.Writes.Supply.OramaIn++ }},
		{"writes.supply", func(e *types.TxLogEntry) { e.Writes.Supply = nil }},
		{"writes.cache", func(e *types.TxLogEntry) { e.Writes.Cache[0].Value.Expires++ }},
		{"writes.cache", func(e *types.TxLogEntry) { e.Writes.Cache[0].Value = nil }},
		{"outcome.contract", func(e *types.TxLogEntry) { e.Outcome.Contract[3] = 7 }},
		{"root", func(e *types.TxLogEntry) { e.Root[0] = 1 }},
		{"entry bytes", func(e *types.TxLogEntry) { e.Outcome.Events = nil }},
	} {
		rec, got := mk(), mk()
		tc.change(got)
		if m := diffEntry(4, rec, got); m.What != tc.what || m.Position != 4 {
			t.Errorf("want %s, got %v", tc.what, m)
		}
	}
}
