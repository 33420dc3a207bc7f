package ns

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

func TestRunAll(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	for _, parallel := range []bool{false, true} {
		var ran atomic.Int32
		var order []int
		task := func(i int, err error) func() error {
			return func() error {
				ran.Add(1)
				if !parallel {
					order = append(order, i)
				}
				return err
			}
		}
		if err := runAll([]func() error{task(0, nil), task(1, nil), task(2, nil)}, parallel); err != nil || ran.Load() != 3 {
			t.Fatalf("parallel=%v: err %v, %d of 3 ran", parallel, err, ran.Load())
		}
		if !parallel && (len(order) != 3 || order[0] != 0 || order[1] != 1 || order[2] != 2) {
			t.Fatalf("sequential order %v", order)
		}
		// The first error in task order, whichever finishes first.
		if err := runAll([]func() error{task(0, nil), task(1, errA), task(2, errB)}, parallel); err != errA {
			t.Fatalf("parallel=%v: %v, want the first error in task order", parallel, err)
		}
	}
	if err := runAll(nil, true); err != nil {
		t.Fatal(err)
	}
}

// TestAlterAfterRowImages: a table whose rows were read for the SQL tree
// (an insert) is altered (ADD COLUMN) and written again. The host's cached
// statement that read its rows must not be reused with the old column
// count (that failed the ALTER's entry as a host failure): every entry
// commits, and the log replays to the same root.
func TestAlterAfterRowImages(t *testing.T) {
	n := newTestNS(t, types.NamespaceTierTier1)
	alice := mustKey(t, 1)
	probe := n.deploy(t, alice, module(t, "sqlprobe"), "")
	for _, sql := range []string{
		"CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)",
		"INSERT INTO kv VALUES (1, 'one')",
		"ALTER TABLE kv ADD COLUMN extra INTEGER DEFAULT 7",
		"INSERT INTO kv (k, v) VALUES (2, 'two')",
		"ALTER TABLE kv DROP COLUMN v",
		"UPDATE kv SET extra = 8 WHERE k = 1",
	} {
		r := n.submit(t, alice, &types.NsCall{Contract: probe, Function: "exec_input", Input: []byte(sql), GasLimit: 10_000_000}, nil)
		if r.Entry.Outcome.Status != types.NsStatusOk || r.Entry.Outcome.Results[0] != 0 {
			t.Fatalf("%s: %s %q %v", sql, r.Entry.Outcome.Status, r.Entry.Outcome.Trap, r.Entry.Outcome.Results)
		}
	}
	cfg := VerifyConfig{Meta: n.meta, ChainID: testChainID, Authority: n.authority.Address(), VM: testVM(t)}
	if _, err := Verify(context.Background(), cfg, &SliceSource{Entries: n.entries(t)}); err != nil {
		t.Fatal(err)
	}
}
