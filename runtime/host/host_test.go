package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
)

func newEnv(t *testing.T) *Env {
	t.Helper()
	env, err := NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	return env
}

// TestSQLiteDenies checks every refusal of spec/contracts.md "SQL": each
// statement must give ErrSQLDenied, and its allowed twin must run.
func TestSQLiteDenies(t *testing.T) {
	env := newEnv(t)
	if err := env.DB().Exec("CREATE TABLE t(n, s)"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db := env.DB()
	for fn := range deniedFunctions {
		q := "SELECT " + fn + "()"
		want := hostabi.ErrSQLDenied
		switch fn {
		case "sqlite_compileoption_get", "sqlite_compileoption_used", "randomblob":
			q = "SELECT " + fn + "(1)"
		case "timediff":
			q = "SELECT timediff('2024-01-02', '2024-01-01')"
		case "load_extension", "sqlite_offset":
			// Both are in modernc's build (the previous SQLite build had neither).
			q = "SELECT " + fn + "(1)"
		}
		if _, err := db.Query(ctx, q, nil); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", q, err, want)
		}
		// Upper case is the same function.
		if _, err := db.Query(ctx, strings.ToUpper(q), nil); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", strings.ToUpper(q), err, want)
		}
	}
	for _, q := range []string{
		"PRAGMA user_version", "ATTACH ':memory:' AS x", "BEGIN", "COMMIT", "SAVEPOINT a", "RELEASE a",
		"CREATE TEMP TABLE x(a)", "CREATE VIRTUAL TABLE v USING rtree(id, a, b)",
		"CREATE TABLE d(a DEFAULT CURRENT_TIME)", "SELECT * FROM t WHERE n < julianday('now')",
	} {
		if _, err := db.Execute(ctx, q, nil); !errors.Is(err, hostabi.ErrSQLDenied) {
			t.Errorf("%s: %v, want ErrSQLDenied", q, err)
		}
	}
	// Views and triggers are checked where they run: in the statement that
	// uses them.
	for _, setup := range []string{"CREATE VIEW v2 AS SELECT random() AS r", "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET s = random(); END"} {
		if _, err := db.Execute(ctx, setup, nil); err != nil {
			t.Fatalf("%s: %v", setup, err)
		}
	}
	if _, err := db.Query(ctx, "SELECT r FROM v2", nil); !errors.Is(err, hostabi.ErrSQLDenied) {
		t.Errorf("a view calling random(): %v", err)
	}
	if _, err := db.Execute(ctx, "INSERT INTO t(n) VALUES (1)", nil); !errors.Is(err, hostabi.ErrSQLDenied) {
		t.Errorf("a trigger calling random(): %v", err)
	}
	for _, q := range []string{"SELECT abs(-1), length('x'), upper('a'), printf('%d', 5), hex(x'01')", "SELECT count(*) FROM t"} {
		if _, err := db.Query(ctx, q, nil); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestSQLiteStatements(t *testing.T) {
	env := newEnv(t)
	db := env.DB()
	ctx := context.Background()
	if _, err := db.Execute(ctx, "CREATE TABLE t(id INTEGER PRIMARY KEY, n)", nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q      string
		params []abi.Value
		want   error
	}{
		{"", nil, hostabi.ErrSQLError},
		{"   -- only a comment", nil, hostabi.ErrSQLError},
		{"INSERT INTO t(n) VALUES (1); INSERT INTO t(n) VALUES (2)", nil, hostabi.ErrSQLError},
		{"INSERT INTO t(n) VALUES (1); /* c */ ;", nil, nil},
		{"INSERT INTO t(n) VALUES (?1)", nil, hostabi.ErrSQLError},
		{"INSERT INTO t(n) VALUES (?1)", []abi.Value{abi.Integer(1), abi.Integer(2)}, hostabi.ErrSQLError},
		{"INSERT INTO t(n) VALUES (?2)", []abi.Value{abi.Integer(1), abi.Integer(2)}, nil},
		{"INSERT INTO t(id) VALUES (1)", nil, hostabi.ErrSQLConstraint},
		{"SELECT * FROM missing", nil, hostabi.ErrSQLError},
	} {
		_, err := db.Execute(ctx, c.q, c.params)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%q: %v, want %v", c.q, err, c.want)
		}
	}
	// rows_affected counts this statement only; DDL after DML reports 0.
	res, err := db.Execute(ctx, "UPDATE t SET n = 0", nil)
	if err != nil || res.RowsAffected != 2 || res.LastInsertID != 0 {
		t.Fatalf("update: %+v %v", res, err)
	}
	res, err = db.Execute(ctx, "CREATE TABLE u(a)", nil)
	if err != nil || res.RowsAffected != 0 {
		t.Fatalf("create after update: %+v %v", res, err)
	}
	if _, err := db.Query(ctx, "INSERT INTO u VALUES (1)", nil); !errors.Is(err, hostabi.ErrSQLReadOnly) {
		t.Fatalf("query of a write: %v", err)
	}
	// A value declared DATETIME reads back as stored: no driver rewrites it.
	db.Exec("CREATE TABLE d(at DATETIME, ok BOOLEAN)")
	db.Execute(ctx, "INSERT INTO d VALUES (?1, ?2)", []abi.Value{abi.Text("2024-01-01"), abi.Integer(5)})
	rows, err := db.Query(ctx, "SELECT at, ok FROM d", nil)
	if err != nil || !rows.Equal(abi.Rows{Columns: []string{"at", "ok"}, Rows: [][]abi.Value{{abi.Text("2024-01-01"), abi.Integer(5)}}}) {
		t.Fatalf("declared types changed values: %+v %v", rows, err)
	}
	// Invalid UTF-8 stored as TEXT comes back byte for byte.
	db.Exec("CREATE TABLE b(x)")
	db.Execute(ctx, "INSERT INTO b VALUES (?1)", []abi.Value{{Kind: abi.KindText, Bytes: []byte{0xff, 0x00, 0x41}}})
	rows, _ = db.QueryOne(ctx, "SELECT x FROM b", nil)
	if len(rows.Rows) != 1 || string(rows.Rows[0][0].Bytes) != "\xff\x00A" || rows.Rows[0][0].Kind != abi.KindText {
		t.Fatalf("text bytes: %+v", rows)
	}
}

// TestCallRollback: a rolled-back call leaves the database, cache, storage
// and balances as they were; a committed one keeps its writes.
func TestCallRollback(t *testing.T) {
	env := newEnv(t)
	env.DB().Exec("CREATE TABLE t(n)")
	env.SetBalance(Balance{Address: fill(1), Orama: 10})
	ctx := context.Background()
	for _, commit := range []bool{false, true} {
		call, err := env.Begin(CallContext{Contract: fill(1), BlockTimestamp: 100})
		if err != nil {
			t.Fatal(err)
		}
		imp := call.Imports
		imp.DB.Execute(ctx, "INSERT INTO t VALUES (1)", nil)
		imp.Cache.Set(ctx, []byte("k"), []byte("v"), 0)
		imp.Storage.Put(ctx, []byte("obj"))
		if err := imp.Token.TransferOrama(ctx, fill(2), 4); err != nil {
			t.Fatal(err)
		}
		// The call sees its own writes.
		if v, err := imp.Cache.Get(ctx, []byte("k")); err != nil || string(v) != "v" {
			t.Fatalf("own cache write: %q %v", v, err)
		}
		if b, _ := imp.Token.Balance(ctx, fill(1), types.AssetOrama); b != 6 {
			t.Fatalf("own transfer: balance %d", b)
		}
		if commit {
			if err := call.Commit(); err != nil {
				t.Fatal(err)
			}
		} else {
			call.Rollback()
		}
		rows, _ := env.DB().QueryHost("SELECT count(*) FROM t")
		n := rows.Rows[0][0].Int
		if commit != (n == 1) || commit != (len(env.CacheEntries()) == 1) || commit != (len(env.Objects()) == 1) {
			t.Fatalf("commit=%v: rows %d, cache %d, objects %d", commit, n, len(env.CacheEntries()), len(env.Objects()))
		}
		if b := env.Balances()[0]; commit != (b.Orama == 6) {
			t.Fatalf("commit=%v: balance %d", commit, b.Orama)
		}
	}
}

// TestBeginWaits: calls run one at a time.
func TestBeginWaits(t *testing.T) {
	env := newEnv(t)
	first, _ := env.Begin(CallContext{})
	started := make(chan struct{})
	go func() {
		second, _ := env.Begin(CallContext{})
		close(started)
		second.Rollback()
	}()
	select {
	case <-started:
		t.Fatal("a second call began while the first was open")
	case <-time.After(50 * time.Millisecond):
	}
	first.Rollback()
	<-started
}

func TestCacheExpiry(t *testing.T) {
	env := newEnv(t)
	env.SetCache(CacheEntry{Key: []byte("a"), Value: []byte("1"), Expires: 100})
	ctx := context.Background()
	for ts, live := range map[uint64]bool{99: true, 100: false, 101: false} {
		call, _ := env.Begin(CallContext{BlockTimestamp: ts})
		_, err := call.Imports.Cache.Get(ctx, []byte("a"))
		if live != (err == nil) || (!live && !errors.Is(err, hostabi.ErrNotFound)) {
			t.Errorf("at %d: %v, live %v", ts, err, live)
		}
		call.Rollback()
	}
	call, _ := env.Begin(CallContext{BlockTimestamp: math.MaxUint64 - 5})
	if err := call.Imports.Cache.Set(ctx, []byte("b"), nil, 10); err == nil || errors.Is(err, hostabi.ErrNotFound) {
		t.Errorf("an expiry past 2^64 must be a host failure, got %v", err)
	}
	call.Rollback()
}

func TestLimits(t *testing.T) {
	env := newEnv(t)
	call, _ := env.Begin(CallContext{})
	defer call.Rollback()
	ctx := context.Background()
	for i := 0; i < hostabi.MaxEventsPerReceipt; i++ {
		if err := call.Imports.Events.Emit(ctx, "t", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := call.Imports.Events.Emit(ctx, "t", nil); !errors.Is(err, hostabi.ErrLimitExceeded) {
		t.Fatalf("event %d: %v", hostabi.MaxEventsPerReceipt+1, err)
	}
	for i := 0; i < hostabi.MaxLogsPerCall; i++ {
		call.Imports.Log.Info(ctx, "x")
	}
	if err := call.Imports.Log.Error(ctx, "x"); !errors.Is(err, hostabi.ErrLimitExceeded) {
		t.Fatalf("log line %d: %v", hostabi.MaxLogsPerCall+1, err)
	}
}

// TestContractState: each contract sees only its own keys; a call sees its
// own writes and deletes; a rolled-back call writes nothing, a committed one
// keeps its writes, and StateEntries lists them by contract and key.
func TestContractState(t *testing.T) {
	env := newEnv(t)
	env.SetState(StateEntry{Contract: fill(2), Key: []byte("k"), Value: []byte("theirs")})
	env.SetState(StateEntry{Contract: fill(1), Key: []byte("gone"), Value: []byte("x")})
	ctx := context.Background()
	for _, commit := range []bool{false, true} {
		call, err := env.Begin(CallContext{Contract: fill(1)})
		if err != nil {
			t.Fatal(err)
		}
		st := call.Imports.State
		if _, err := st.Get(ctx, []byte("k")); !errors.Is(err, hostabi.ErrNotFound) {
			t.Fatalf("another contract's key is visible: %v", err)
		}
		if err := st.Delete(ctx, []byte("k")); !errors.Is(err, hostabi.ErrNotFound) {
			t.Fatalf("delete of another contract's key: %v", err)
		}
		if err := st.Set(ctx, []byte("k"), []byte("mine")); err != nil {
			t.Fatal(err)
		}
		if err := st.Set(ctx, []byte("empty"), nil); err != nil {
			t.Fatal(err)
		}
		if v, err := st.Get(ctx, []byte("k")); err != nil || string(v) != "mine" {
			t.Fatalf("own write: %q %v", v, err)
		}
		if v, err := st.Get(ctx, []byte("empty")); err != nil || len(v) != 0 {
			t.Fatalf("an empty value must be present: %q %v", v, err)
		}
		if err := st.Delete(ctx, []byte("gone")); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Get(ctx, []byte("gone")); !errors.Is(err, hostabi.ErrNotFound) {
			t.Fatalf("own delete: %v", err)
		}
		if err := st.Delete(ctx, []byte("gone")); !errors.Is(err, hostabi.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if commit {
			if err := call.Commit(); err != nil {
				t.Fatal(err)
			}
		} else {
			call.Rollback()
		}
		var got []string
		for _, e := range env.StateEntries() {
			got = append(got, fmt.Sprintf("%x/%s=%s", e.Contract[:1], e.Key, e.Value))
		}
		want := "[01/gone=x 02/k=theirs]"
		if commit {
			want = "[01/empty= 01/k=mine 02/k=theirs]"
		}
		if fmtList(got) != want {
			t.Fatalf("commit=%v: state %v, want %s", commit, got, want)
		}
	}
	// The other contract still reads its own value.
	call, _ := env.Begin(CallContext{Contract: fill(2)})
	defer call.Rollback()
	if v, err := call.Imports.State.Get(ctx, []byte("k")); err != nil || string(v) != "theirs" {
		t.Fatalf("contract 2 reads %q %v", v, err)
	}
}

// TestCallInput: the input and the contract's address as the call sees
// them; empty input is absent (result 0); more than MaxInputBytes is refused.
func TestCallInput(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	in := []byte{1, 2, 3}
	call, err := env.Begin(CallContext{Contract: fill(9), Caller: fill(8), Input: in})
	if err != nil {
		t.Fatal(err)
	}
	in[0] = 7 // the call keeps its own copy
	if got, err := call.Imports.Context.Input(ctx); err != nil || !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Fatalf("input %x %v", got, err)
	}
	if a, err := call.Imports.Context.Self(ctx); err != nil || a != fill(9) {
		t.Fatalf("self %x %v", a, err)
	}
	call.Rollback()
	call, err = env.Begin(CallContext{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := call.Imports.Context.Input(ctx); !errors.Is(err, hostabi.ErrNotFound) {
		t.Fatalf("empty input: %v", err)
	}
	call.Rollback()
	if _, err := env.Begin(CallContext{Input: make([]byte, hostabi.MaxInputBytes+1)}); err == nil {
		t.Fatal("an input over MaxInputBytes was accepted")
	}
	call, err = env.Begin(CallContext{Input: make([]byte, hostabi.MaxInputBytes)})
	if err != nil {
		t.Fatalf("an input at the limit: %v", err)
	}
	call.Rollback()
}
