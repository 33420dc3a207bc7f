package ns

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
)

// TestIsolation: namespaces alpha and beta run on the same node. alpha's
// contract and alpha's query endpoint try to reach beta's tables, cache
// keys, objects and state, and to escape SQLite's main schema, through SQL
// tricks; everything is denied or absent, and neither namespace changes.
func TestIsolation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ns")
	self := mustKey(t, 50).Address()
	auth := mustKey(t, 200)
	alice := mustKey(t, 1)
	chain := &fixedChain{height: 10, ts: 1_000_000}
	pl := &fakePlacement{recs: map[string]types.NamespaceRecord{}, slots: map[types.Address][]types.NamespaceSlot{}}
	pl.place("alpha", types.NamespaceTierTier1, alice.Address(), self)
	pl.place("beta", types.NamespaceTierTier1, alice.Address(), self)
	m := newManager(t, dir, auth.Address(), chain)
	defer m.Close()
	if err := m.Sync(self, pl, 10); err != nil {
		t.Fatal(err)
	}
	ns := func(name string) *testNS {
		n, _ := m.Namespace(name)
		return &testNS{Namespace: n, chain: chain, authority: auth, meta: n.Status().Meta, nonces: map[types.Address]uint64{}}
	}
	alpha, beta := ns("alpha"), ns("beta")
	probe := module(t, "sqlprobe")
	// beta: a table, a cache entry, an object and state.
	beta.deploy(t, alice, module(t, "guestbook"), "init")
	bp := beta.deploy(t, alice, probe, "")
	secret := []byte("beta's secret")
	if r := beta.submit(t, alice, &types.NsCall{Contract: bp, Function: "put_input", Input: secret, GasLimit: 10_000_000}, nil); r.Entry.Outcome.Status != types.NsStatusOk || r.Entry.Outcome.Results[0] != 0 {
		t.Fatalf("beta put: %+v", r.Entry.Outcome)
	}
	betaBefore := beta.Status()
	ap := alpha.deploy(t, alice, probe, "")
	call := func(fn, input string) uint64 {
		t.Helper()
		r := alpha.submit(t, alice, &types.NsCall{Contract: ap, Function: fn, Input: []byte(input), GasLimit: 10_000_000}, nil)
		if r.Entry.Outcome.Status != types.NsStatusOk {
			t.Fatalf("%s(%q): %s %s", fn, input, r.Entry.Outcome.Status, r.Entry.Outcome.Trap)
		}
		return r.Entry.Outcome.Results[0]
	}
	betaFile := filepath.Join(dir, "beta", "sql.db")
	execs := []string{
		"ATTACH DATABASE '" + betaFile + "' AS b",
		"ATTACH DATABASE 'file:" + betaFile + "?mode=ro' AS b",
		"PRAGMA writable_schema = 1",
		"PRAGMA database_list",
		"CREATE TEMP TABLE t (x)",
		"CREATE TABLE temp.t (x)",
		"INSERT INTO guestbook (author, height, at, message) VALUES (x'00', 1, 1, 'm')", // beta's table: not here
		"INSERT INTO _orama_txlog (pos, call_id, signer, nonce, entry) VALUES (99, x'00', x'00', 0, x'00')",
		"DELETE FROM _orama_events",
		"UPDATE sqlite_schema SET sql = '' WHERE name = 'x'",
		"VACUUM INTO '" + filepath.Join(t.TempDir(), "copy.db") + "'",
		"VACUUM",
		"REINDEX",
		"ANALYZE",
		"CREATE TABLE w (k INTEGER PRIMARY KEY) WITHOUT ROWID",
		"SELECT 1; DROP TABLE x",
		"SELECT load_extension('/tmp/x.so')",
		"WITH d AS (SELECT 1) DELETE FROM _orama_contracts",
	}
	for _, q := range execs {
		if st := call("exec_input", q); st == uint64(hostabi.StatusOK) {
			t.Errorf("exec %q: OK", q)
		}
	}
	queries := []string{
		"SELECT * FROM sqlite_master",
		"SELECT * FROM sqlite_schema",
		"SELECT * FROM main.sqlite_master",
		"SELECT * FROM temp.sqlite_master",
		"SELECT * FROM pragma_database_list",
		"SELECT name FROM pragma_table_list",
		"SELECT * FROM guestbook",
		"SELECT * FROM _orama_txlog",
		"SELECT * FROM _orama_events",
	}
	for _, q := range queries {
		if n := int64(call("query_input", q)); n >= 0 {
			t.Errorf("query %q: %d rows", q, n)
		}
	}
	cid := abi.RawCID(secret)
	for fn, key := range map[string]string{"cache_get_input": "probe", "storage_get_input": string(cid), "state_get_input": "probe"} {
		if call(fn, key) != 0 {
			t.Errorf("%s found beta's %q", fn, key)
		}
	}
	// The query endpoint: a read-only connection with the same authorizer.
	ctx := context.Background()
	for _, q := range append(queries, "ATTACH DATABASE '"+betaFile+"' AS b", "PRAGMA database_list", "DELETE FROM guestbook",
		"CREATE TABLE x (a)", "SELECT 1; SELECT 2") {
		if res, err := alpha.Query(ctx, q, nil); err == nil {
			t.Errorf("query endpoint %q: %d rows", q, len(res.Rows))
		}
	}
	if beta.Status() != betaBefore {
		t.Fatalf("beta changed: %+v, was %+v", beta.Status(), betaBefore)
	}
	if rows, err := beta.Query(ctx, "SELECT count(*) FROM guestbook", nil); err != nil || rows.Rows[0][0].Int != 0 {
		t.Fatalf("beta's guestbook: %+v %v", rows, err)
	}
	// alpha still has no tables: every attempt failed.
	if rows, err := alpha.Read2(func(db Replica) (abi.Rows, error) {
		return db.HostQuery("SELECT name FROM sqlite_schema WHERE tbl_name NOT LIKE '\\_orama\\_%' ESCAPE '\\'")
	}); err != nil || len(rows.Rows) != 0 {
		var names []string
		for _, r := range rows.Rows {
			names = append(names, string(r[0].Bytes))
		}
		t.Fatalf("alpha's schema: %s %v", strings.Join(names, ","), err)
	}
}
