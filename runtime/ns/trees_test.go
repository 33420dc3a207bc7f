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

// TestOverLimitsEntryFails: a request whose entry would not fit its
// limits (here more row images than MaxTxLogEntryBytes holds) is logged as
// failed with limit_exceeded, its writes undone and its nonce used, instead
// of failing its batch; the namespace goes on, and the log verifies.
func TestOverLimitsEntryFails(t *testing.T) {
	n := newTestNS(t, types.NamespaceTierTier1)
	alice := mustKey(t, 1)
	probe := n.deploy(t, alice, module(t, "sqlprobe"), "")
	exec := func(sql string) types.NsOutcome {
		t.Helper()
		return n.submit(t, alice, &types.NsCall{Contract: probe, Function: "exec_input", Input: []byte(sql), GasLimit: 1_000_000_000}, nil).Entry.Outcome
	}
	if o := exec("CREATE TABLE big (a INTEGER, b INTEGER)"); o.Status != types.NsStatusOk {
		t.Fatalf("create: %+v", o)
	}
	// 300,000 row images of ~31 bytes: over MaxTxLogEntryBytes (8 MiB).
	o := exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) INSERT INTO big SELECT x, x FROM c")
	if o.Status != types.NsStatusTrap || o.Trap != "limit_exceeded" || o.GasUsed == 0 {
		t.Fatalf("over the limits: %s %q gas %d", o.Status, o.Trap, o.GasUsed)
	}
	if o := exec("INSERT INTO big VALUES (1, 2)"); o.Status != types.NsStatusOk || o.Results[0] != 0 {
		t.Fatalf("after: %+v", o)
	}
	var rows uint64
	if err := n.Read(func(m *Machine, db Replica) error {
		r, err := db.HostQuery("SELECT count(*) FROM big")
		if err == nil {
			rows = uint64(r.Rows[0][0].Int)
		}
		return err
	}); err != nil || rows != 1 {
		t.Fatalf("big holds %d rows (%v), want 1", rows, err)
	}
	cfg := VerifyConfig{Meta: n.meta, ChainID: testChainID, Authority: n.authority.Address(), VM: testVM(t)}
	if _, err := Verify(context.Background(), cfg, &SliceSource{Entries: n.entries(t)}); err != nil {
		t.Fatal(err)
	}
}
