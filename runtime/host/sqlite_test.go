package host

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/gen/hostgen/wasm"
	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/sqlite"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

func newDB(t *testing.T) *SQLite {
	t.Helper()
	db, err := NewSQLite()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSQLiteNamespaceDenies checks namespaces.md 2.1's additions to the
// deny list, each beside an allowed twin, and that SQLite's own work for
// DDL (schema writes, ALTER TABLE's nested statements, sqlite_sequence,
// constraint indexes) is not refused with it.
func TestSQLiteNamespaceDenies(t *testing.T) {
	db := newDB(t)
	if err := db.Exec(`CREATE TABLE _orama_txlog(pos INTEGER PRIMARY KEY, entry BLOB);
		CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, n);
		INSERT INTO t(name, n) VALUES ('a', 1), ('b', 2)`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		q    string
		want error // nil: allowed
	}{
		// The host's tables, whatever the case of the name.
		{"SELECT * FROM _orama_txlog", hostabi.ErrSQLDenied},
		{"SELECT pos FROM _ORAMA_TXLOG", hostabi.ErrSQLDenied},
		{"INSERT INTO _orama_txlog VALUES (1, x'')", hostabi.ErrSQLDenied},
		{"UPDATE _orama_txlog SET entry = NULL", hostabi.ErrSQLDenied},
		{"DELETE FROM _orama_txlog", hostabi.ErrSQLDenied},
		{"DROP TABLE _orama_txlog", hostabi.ErrSQLDenied},
		{"CREATE TABLE _orama_x(a)", hostabi.ErrSQLDenied},
		{"CREATE INDEX i ON _orama_txlog(entry)", hostabi.ErrSQLDenied},
		{"CREATE TRIGGER tr AFTER INSERT ON _orama_txlog BEGIN SELECT 1; END", hostabi.ErrSQLDenied},
		{"ALTER TABLE _orama_txlog ADD COLUMN z", hostabi.ErrSQLDenied},
		{"ALTER TABLE t RENAME TO _orama_t", hostabi.ErrSQLDenied},
		{"CREATE VIEW _orama_v AS SELECT 1", hostabi.ErrSQLDenied},
		{"SELECT * FROM t WHERE id IN (SELECT pos FROM _orama_txlog)", hostabi.ErrSQLDenied},
		// SQLite's.
		{"SELECT name FROM sqlite_master", hostabi.ErrSQLDenied},
		{"SELECT name FROM sqlite_schema", hostabi.ErrSQLDenied},
		{"SELECT * FROM sqlite_sequence", hostabi.ErrSQLDenied},
		{"SELECT * FROM sqlite_temp_master", hostabi.ErrSQLDenied},
		{"CREATE TABLE x AS SELECT sql FROM sqlite_master", hostabi.ErrSQLDenied},
		{"CREATE TABLE x AS SELECT rowid FROM sqlite_master", hostabi.ErrSQLDenied},
		{"UPDATE sqlite_sequence SET seq = 0", hostabi.ErrSQLDenied},
		{"SELECT * FROM dbstat", hostabi.ErrSQLDenied},
		{"SELECT * FROM sqlite_dbpage", hostabi.ErrSQLDenied},
		{"SELECT * FROM pragma_table_list", hostabi.ErrSQLDenied},
		// Schemas other than main, and what SQLite does not let differ.
		{"SELECT * FROM temp.t", hostabi.ErrSQLError}, // no such table: temp is empty
		{"SELECT * FROM main.t", nil},
		{"VACUUM", hostabi.ErrSQLDenied},
		{"REINDEX", hostabi.ErrSQLDenied},
		{"REINDEX t", hostabi.ErrSQLDenied},
		{"ANALYZE", hostabi.ErrSQLDenied},
		{"ATTACH ':memory:' AS x", hostabi.ErrSQLDenied},
		// Tables whose rows have no rowid to key them by.
		{"CREATE TABLE w(a PRIMARY KEY) WITHOUT ROWID", hostabi.ErrSQLDenied},
		{"CREATE TABLE h(rowid, oid, _rowid_)", hostabi.ErrSQLDenied},
		{"CREATE TABLE h2(rowid, oid)", nil},
		{"ALTER TABLE h2 ADD COLUMN z", nil},
		{"ALTER TABLE h2 RENAME COLUMN z TO _ROWID_", hostabi.ErrSQLError}, // SQLite's own refusal
		// Everything ordinary still works, with SQLite's own schema work.
		{"CREATE TABLE u(id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT UNIQUE, v DEFAULT 1)", nil},
		{"CREATE TABLE u2(a, b, UNIQUE (a, b), CHECK (a IS NOT b))", nil},
		{"CREATE INDEX ui ON u(v)", nil},
		{"CREATE UNIQUE INDEX ui2 ON u(v, k) WHERE v > 0", nil},
		{"CREATE VIEW uv AS SELECT k, v FROM u", nil},
		{"CREATE TRIGGER ut AFTER INSERT ON u BEGIN UPDATE t SET n = n + 1; END", nil},
		{"INSERT INTO u(k, v) VALUES ('x', 1)", nil},
		{"SELECT k FROM uv", nil},
		{"ALTER TABLE u ADD COLUMN w DEFAULT 0", nil},
		{"ALTER TABLE u RENAME COLUMN w TO w2", nil},
		{"ALTER TABLE u DROP COLUMN w2", nil},
		{"ALTER TABLE u RENAME TO u3", nil},
		{"CREATE TABLE c AS SELECT * FROM t", nil},
		{"DROP TRIGGER ut", nil},
		{"DROP VIEW uv", nil},
		{"DROP INDEX ui", nil},
		{"DROP TABLE u3", nil},
		{"DROP TABLE IF EXISTS nowhere", nil},
		{"SELECT json_extract('[1]', '$[0]'), * FROM json_each('[1, 2]')", nil},
	} {
		_, err := db.Execute(ctx, c.q, nil)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", c.q, err, c.want)
		}
	}
	// Refused DDL left nothing behind; the host's table is untouched.
	rows, err := db.QueryHost("SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rows.Rows[0][0].Bytes); got != "_orama_txlog c h2 sqlite_sequence t u2" {
		t.Fatalf("tables: %s", got)
	}
	// A view or trigger reaching a protected table is refused where it runs.
	if err := db.Exec("CREATE VIEW peek AS SELECT * FROM _orama_txlog"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Query(ctx, "SELECT * FROM peek", nil); !errors.Is(err, hostabi.ErrSQLDenied) {
		t.Fatalf("a view over the host's table: %v", err)
	}
	// The host itself is not bound by any of it.
	if _, err := db.QueryHost("SELECT * FROM _orama_txlog JOIN sqlite_master"); err != nil {
		t.Fatal(err)
	}
}

// TestSQLiteRowsChanged: the rows a statement pays SQLRowGas for.
func TestSQLiteRowsChanged(t *testing.T) {
	db := newDB(t)
	if err := db.Exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE, n);
		CREATE TABLE log(x);
		CREATE TABLE child(p REFERENCES t(id) ON DELETE CASCADE);
		CREATE TRIGGER tr AFTER UPDATE OF n ON t BEGIN INSERT INTO log VALUES (new.n); END`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		q              string
		changed, rowsN uint64 // RowsChanged, RowsAffected
	}{
		{"INSERT INTO t(name, n) VALUES ('a', 1), ('b', 2), ('c', 3)", 3, 3},
		{"UPDATE t SET name = name || '!' WHERE n >= 2", 2, 2},
		{"UPDATE t SET n = n * 10 WHERE id = 1", 2, 1}, // and the trigger's insert
		{"UPDATE t SET id = 100 WHERE id = 3", 1, 1},
		{"INSERT OR REPLACE INTO t(id, name, n) VALUES (1, 'b!', 5)", 3, 1}, // two deletes, one insert
		{"INSERT INTO child VALUES (1), (1), (100)", 3, 3},
		{"DELETE FROM t WHERE id = 1", 3, 1}, // and the cascade
		{"DELETE FROM log", 1, 1},
		{"SELECT * FROM t", 0, 0},
		{"UPDATE t SET n = 0 WHERE 0", 0, 0},
		{"ALTER TABLE t ADD COLUMN m DEFAULT 'x'", 1, 0}, // every row of t
		{"CREATE TABLE copy AS SELECT * FROM child", 1, 0},
		{"CREATE TABLE empty(a)", 0, 0},
		{"DELETE FROM child", 1, 1},
		{"DROP TABLE copy", 0, 0},
	} {
		res, err := db.Execute(ctx, c.q, nil)
		if err != nil || res.RowsChanged != c.changed || res.RowsAffected != c.rowsN {
			t.Errorf("%s: changed %d, affected %d, %v; want %d, %d", c.q, res.RowsChanged, res.RowsAffected, err, c.changed, c.rowsN)
		}
	}
	// A failed statement changed nothing.
	if res, err := db.Execute(ctx, "INSERT INTO t(name) VALUES ('new'), ('c!')", nil); !errors.Is(err, hostabi.ErrSQLConstraint) || res.RowsChanged != 0 {
		t.Fatalf("failed insert: %+v %v", res, err)
	}
}

// showWrites renders a write set compactly.
func showWrites(ws []SQLWrite) string {
	var b strings.Builder
	for _, w := range ws {
		if w.Kind == SQLWriteDDL {
			fmt.Fprintf(&b, "DDL %q\n", w.DDL)
			continue
		}
		b.WriteString("Rows")
		for _, r := range w.Rows {
			fmt.Fprintf(&b, " %s/%d", r.Table, r.RowID)
			if !r.Present {
				b.WriteString("=gone")
				continue
			}
			var vs []string
			for _, v := range r.Values {
				vs = append(vs, v.String())
			}
			b.WriteString("=" + strings.Join(vs, ","))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestSQLiteWrites: the write set of a call (namespaces.md 5.2): rows
// touched between DDL statements, read once each in (table, rowid) order
// as they are at the end of the group, deleted ones absent, generated
// columns left out, AUTOINCREMENT's counter included, DDL verbatim.
func TestSQLiteWrites(t *testing.T) {
	env := newEnv(t)
	if err := env.DB().Exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE, n, twice GENERATED ALWAYS AS (n * 2), at DATETIME);
		CREATE TABLE "Log"(x);
		CREATE TABLE seq(id INTEGER PRIMARY KEY AUTOINCREMENT, v);
		CREATE TRIGGER tr AFTER DELETE ON t BEGIN INSERT INTO "Log" VALUES (old.name); END;
		INSERT INTO t(id, name, n) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	call, err := env.Begin(CallContext{})
	if err != nil {
		t.Fatal(err)
	}
	defer call.Rollback()
	db := call.Imports.DB
	for _, q := range []string{
		"UPDATE t SET n = -0.0, at = '2024-01-01 00:00:00' WHERE id = 1",
		"UPDATE t SET id = 10 WHERE id = 2",      // rowid 2 gone, 10 present
		"DELETE FROM t WHERE id = 3",             // and the trigger's insert into Log
		"INSERT INTO t(name, n) VALUES ('d', 4)", // rowid 11
		"UPDATE t SET n = 5 WHERE id = 11",       // read once, as it ends
		"INSERT INTO seq(v) VALUES (x'00ff')",
		"DELETE FROM seq",
		"INSERT INTO t(name, n) VALUES ('x', 1), ('x', 2)", // fails: nothing of it
		"CREATE TABLE later(a);",
		"INSERT INTO later VALUES (1), (2)",
		"DROP TABLE later",
		"INSERT INTO seq(v) VALUES (NULL)",
	} {
		db.Execute(ctx, q, nil)
	}
	ws, err := env.DB().TakeWrites()
	if err != nil {
		t.Fatal(err)
	}
	want := `Rows log/1=TEXT("c") seq/1=gone sqlite_sequence/1=TEXT("seq"),INTEGER(1) t/1=INTEGER(1),TEXT("a"),REAL(-0),TEXT("2024-01-01 00:00:00") t/2=gone t/3=gone t/10=INTEGER(10),TEXT("b"),INTEGER(2),NULL() t/11=INTEGER(11),TEXT("d"),INTEGER(5),NULL()
DDL "CREATE TABLE later(a);"
Rows later/1=INTEGER(1) later/2=INTEGER(2)
DDL "DROP TABLE later"
Rows seq/2=INTEGER(2),NULL() sqlite_sequence/1=TEXT("seq"),INTEGER(2)
`
	if got := showWrites(ws); got != want {
		t.Fatalf("write set:\n%s\nwant:\n%s", got, want)
	}
	// -0.0 kept its sign in the image.
	if v := ws[0].Rows[3].Values[2]; v.Kind != abi.KindReal || !math.Signbit(v.Real) {
		t.Fatalf("-0.0 in the image: %v", v)
	}
	// Taken means forgotten; a rolled-back call forgets too.
	if ws, _ := env.DB().TakeWrites(); len(ws) != 0 {
		t.Fatalf("a second TakeWrites: %s", showWrites(ws))
	}
	db.Execute(ctx, "DELETE FROM t", nil)
	call.Rollback()
	call, _ = env.Begin(CallContext{})
	if ws, _ := env.DB().TakeWrites(); len(ws) != 0 {
		t.Fatalf("after a rollback: %s", showWrites(ws))
	}
	call.Rollback()
	// TableRows reads a whole table; a missing table has no rows.
	imgs, err := env.DB().TableRows("T")
	if err != nil || len(imgs) != 3 || imgs[0].RowID != 1 || imgs[2].RowID != 3 || len(imgs[0].Values) != 4 {
		t.Fatalf("TableRows: %+v %v", imgs, err)
	}
	if imgs, err := env.DB().TableRows("nowhere"); err != nil || len(imgs) != 0 {
		t.Fatalf("TableRows of nothing: %+v %v", imgs, err)
	}
}

// TestSQLiteFileAndQuery: a replica on a file in WAL mode, and its
// read-only query connection: the engine refuses writes, non-deterministic
// functions are allowed, the host's tables are not, a deadline interrupts.
func TestSQLiteFileAndQuery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sql.db")
	db, err := NewSQLiteFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if rows, err := db.QueryHost("SELECT * FROM pragma_journal_mode"); err != nil || string(rows.Rows[0][0].Bytes) != "wal" {
		t.Fatalf("journal_mode: %+v %v", rows, err)
	}
	if rows, err := db.QueryHost("SELECT * FROM pragma_synchronous"); err != nil || rows.Rows[0][0].Int != 1 {
		t.Fatalf("synchronous: %+v %v", rows, err)
	}
	ctx := context.Background()
	if err := db.Exec("CREATE TABLE _orama_meta(pos); CREATE TABLE t(n)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecHost("INSERT INTO _orama_meta VALUES (?1)", abi.Integer(7)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Execute(ctx, "INSERT INTO t VALUES (1), (2)", nil); err != nil {
		t.Fatal(err)
	}
	q, err := NewSQLiteQuery(path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	collect := func(query string) ([][]abi.Value, error) {
		var out [][]abi.Value
		err := q.QueryEach(ctx, query, nil, func(_ []string, row []abi.Value) error {
			out = append(out, row)
			return nil
		})
		return out, err
	}
	if rows, err := collect("SELECT n, random() IS NOT NULL, typeof(datetime('now')) FROM t ORDER BY n"); err != nil || len(rows) != 2 ||
		rows[1][0].Int != 2 || rows[1][1].Int != 1 || string(rows[1][2].Bytes) != "text" {
		t.Fatalf("query: %v %v", rows, err)
	}
	for _, w := range []string{"INSERT INTO t VALUES (3)", "DELETE FROM t", "CREATE TABLE u(a)", "DROP TABLE t"} {
		if _, err := collect(w); !errors.Is(err, hostabi.ErrSQLReadOnly) || !errors.Is(err, sqlite.ErrReadOnly) {
			t.Errorf("%s on the query connection: %v", w, err)
		}
		if _, err := q.Execute(ctx, w, nil); !errors.Is(err, hostabi.ErrSQLReadOnly) {
			t.Errorf("Execute %s on the query connection: %v", w, err)
		}
	}
	for _, d := range []string{"SELECT * FROM _orama_meta", "SELECT * FROM sqlite_master", "PRAGMA user_version", "ATTACH 'x' AS x"} {
		if _, err := collect(d); !errors.Is(err, hostabi.ErrSQLDenied) {
			t.Errorf("%s on the query connection: %v", d, err)
		}
	}
	// The writer's later commits are seen, also after a schema change.
	if _, err := db.Execute(ctx, "CREATE TABLE later(a)", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Execute(ctx, "INSERT INTO later VALUES ('z')", nil); err != nil {
		t.Fatal(err)
	}
	if rows, err := collect("SELECT a FROM later"); err != nil || len(rows) != 1 {
		t.Fatalf("after a schema change: %v %v", rows, err)
	}
	// fn's error stops the rows and comes back as it is.
	stop := errors.New("enough")
	n := 0
	err = q.QueryEach(ctx, "SELECT n FROM t", nil, func(cols []string, _ []abi.Value) error {
		if n++; cols[0] != "n" || n == 1 {
			return stop
		}
		return nil
	})
	if err != stop || n != 1 {
		t.Fatalf("stopping: %v after %d rows", err, n)
	}
	// A deadline interrupts a runaway statement.
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = q.QueryEach(dctx, "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r", nil,
		func([]string, []abi.Value) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, sqlite.ErrInterrupt) {
		t.Fatalf("deadline: %v", err)
	}
	if rows, err := collect("SELECT count(*) FROM t"); err != nil || rows[0][0].Int != 2 {
		t.Fatalf("after the deadline: %v %v", rows, err)
	}
	// A query connection to no file fails to open.
	if _, err := NewSQLiteQuery(filepath.Join(t.TempDir(), "none.db")); err == nil {
		t.Fatal("opened a missing file read-only")
	}
}

// TestExecuteRowGas: db.execute pays SQLRowGas per changed row after the
// statement; with too little gas for it the call ends out_of_gas and the
// statement's rows are gone with the rest of the call.
func TestExecuteRowGas(t *testing.T) {
	ctx := context.Background()
	v := newVM(t)
	query := []byte("INSERT INTO t SELECT value FROM json_each('[1, 2, 3, 4]')")
	p := wasm.Probe{Module: "orama.db", Name: "execute", Params: []byte{wasm.I32, wasm.I32, wasm.I32, wasm.I32}, Result: wasm.I32,
		Args: []uint64{1024, uint64(len(query)), 0, 0}, Pages: 1, Data: []wasm.Data{{Offset: 1024, Bytes: query}}, AllocBase: 8192}
	code, err := v.Deploy(ctx, p.Build().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	run := func(gas uint64) (*vm.Result, []uint64, error, *Env) {
		env := newEnv(t)
		env.DB().Exec("CREATE TABLE t(n); CREATE TABLE log(n); CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.n); END")
		call, _ := env.Begin(CallContext{})
		var charges []uint64
		call.Imports.OnCharge = func(_ string, g uint64) { charges = append(charges, g) }
		res, err := v.Call(ctx, code, "run", vm.CallOptions{Gas: gas, Imports: call.Imports, Tx: call})
		return res, charges, err, env
	}
	res, charges, err, env := run(10_000_000)
	if err != nil {
		t.Fatal(err)
	}
	// base + input, 8 rows (4 inserts, 4 by the trigger), the output.
	if len(charges) != 3 || charges[1] != 8*500 || hostabi.Functions[0].Gas.PerRow != 500 {
		t.Fatalf("charges %v", charges)
	}
	if rows, _ := env.DB().QueryHost("SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM log)"); rows.Rows[0][0].Int != 4 || rows.Rows[0][1].Int != 4 {
		t.Fatalf("rows %v", rows.Rows)
	}
	// Gas for everything but the last row: out of gas after the statement ran.
	_, charges, err, env = run(res.GasUsed - 500 - charges[2])
	if reason := hostabi.TrapReason(err); reason != "out_of_gas" || len(charges) != 2 {
		t.Fatalf("short of one row: %q (%v), charges %v", reason, err, charges)
	}
	if rows, _ := env.DB().QueryHost("SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM log)"); rows.Rows[0][0].Int != 0 || rows.Rows[0][1].Int != 0 {
		t.Fatalf("an out-of-gas statement left rows: %v", rows.Rows)
	}
}

// TestSQLiteColumnsAfterRollback: row images use the table's columns as
// they are, though the host caches them by schema cookie. A rolled-back
// ALTER TABLE returns the cookie to its old value, and the next ALTER TABLE
// moves it to the same value the abandoned schema had: the image must
// still leave out the generated column of the schema that is live.
func TestSQLiteColumnsAfterRollback(t *testing.T) {
	env := newEnv(t)
	db := env.DB()
	if err := db.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, a)"); err != nil {
		t.Fatal(err)
	}
	cookie := func() int64 {
		r, err := db.QueryHost("PRAGMA main.schema_version")
		if err != nil {
			t.Fatal(err)
		}
		return r.Rows[0][0].Int
	}
	ctx := context.Background()
	step := func(q string) {
		t.Helper()
		if _, err := db.Execute(ctx, q, nil); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Exec("BEGIN; SAVEPOINT s"); err != nil {
		t.Fatal(err)
	}
	before := cookie()
	step("ALTER TABLE t ADD COLUMN b")
	step("INSERT INTO t(id, a, b) VALUES (1, 1, 2)")
	ws, err := db.TakeWrites()
	if err != nil || showWrites(ws) != "DDL \"ALTER TABLE t ADD COLUMN b\"\nRows t/1=INTEGER(1),INTEGER(1),INTEGER(2)\n" {
		t.Fatalf("first schema: %s %v", showWrites(ws), err)
	}
	abandoned := cookie()
	if err := db.Exec("ROLLBACK TO s"); err != nil {
		t.Fatal(err)
	}
	if cookie() != before {
		t.Fatalf("cookie after the rollback %d, want %d", cookie(), before)
	}
	step("ALTER TABLE t ADD COLUMN g AS (a * 2) VIRTUAL")
	if cookie() != abandoned {
		t.Fatalf("cookie %d, the abandoned schema's %d: the case this test is for no longer arises", cookie(), abandoned)
	}
	step("INSERT INTO t(id, a) VALUES (2, 5)")
	ws, err = db.TakeWrites()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := showWrites(ws), "DDL \"ALTER TABLE t ADD COLUMN g AS (a * 2) VIRTUAL\"\nRows t/2=INTEGER(2),INTEGER(5)\n"; got != want {
		t.Fatalf("live schema:\n%s\nwant:\n%s", got, want)
	}
	if err := db.Exec("ROLLBACK"); err != nil {
		t.Fatal(err)
	}
}

// TestSQLiteStatementCache: a contract's DML and queries are prepared once
// and reused while the schema stays; a schema change or any rollback drops
// them, so a statement always reads the schema that is live; DDL and
// refused statements are never kept.
func TestSQLiteStatementCache(t *testing.T) {
	env := newEnv(t)
	db := env.DB()
	if err := db.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, a)"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const q = "SELECT * FROM t ORDER BY id"
	cols := func() int {
		t.Helper()
		r, err := db.Query(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		return len(r.Columns)
	}
	if err := db.Exec("BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Execute(ctx, "INSERT INTO t(a) VALUES (?1)", []abi.Value{abi.Integer(1)}); err != nil {
		t.Fatal(err)
	}
	if n := cols(); n != 2 {
		t.Fatalf("%d columns", n)
	}
	first := db.contractStmts[q]
	if first == nil {
		t.Fatal("the query was not kept")
	}
	if cols(); db.contractStmts[q] != first {
		t.Fatal("the query was prepared again with the schema unchanged")
	}
	if err := db.Exec("SAVEPOINT s"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Execute(ctx, "ALTER TABLE t ADD COLUMN b", nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := db.contractStmts["ALTER TABLE t ADD COLUMN b"]; ok {
		t.Fatal("DDL was kept")
	}
	if n := cols(); n != 3 {
		t.Fatalf("after ALTER TABLE: %d columns", n)
	}
	if db.contractStmts[q] == first {
		t.Fatal("the statement of the old schema was used")
	}
	if err := db.Exec("ROLLBACK TO s"); err != nil {
		t.Fatal(err)
	}
	if len(db.contractStmts) != 0 {
		t.Fatalf("%d statements kept across a rollback", len(db.contractStmts))
	}
	if n := cols(); n != 2 {
		t.Fatalf("after the rollback: %d columns", n)
	}
	if _, err := db.Query(ctx, "SELECT * FROM sqlite_master", nil); err == nil {
		t.Fatal("sqlite_master read")
	}
	if _, ok := db.contractStmts["SELECT * FROM sqlite_master"]; ok {
		t.Fatal("a refused statement was kept")
	}
	if err := db.Exec("ROLLBACK"); err != nil {
		t.Fatal(err)
	}
}

// TestReservedRowid: no row of a contract table gets the largest rowid,
// with which SQLite would choose later rowids at random (nodes diverging):
// the statement that would give it fails with sql_denied and is undone
// whole, inside a transaction too; the one before it still works.
func TestReservedRowid(t *testing.T) {
	for _, inTx := range []bool{false, true} {
		db := newDB(t)
		if err := db.Exec(`CREATE TABLE r(id INTEGER PRIMARY KEY, v); CREATE TABLE p(v)`); err != nil {
			t.Fatal(err)
		}
		if inTx {
			if err := db.Exec("BEGIN"); err != nil {
				t.Fatal(err)
			}
		}
		ctx := context.Background()
		for _, c := range []struct {
			q    string
			want error
		}{
			{"INSERT INTO r VALUES (9223372036854775806, 'last allowed')", nil},
			{"INSERT INTO r(v) VALUES ('gets max+1')", hostabi.ErrSQLDenied},
			{"INSERT INTO r VALUES (1, 'a'), (9223372036854775807, 'b')", hostabi.ErrSQLDenied},
			{"UPDATE r SET id = 9223372036854775807 WHERE id = 9223372036854775806", hostabi.ErrSQLDenied},
			{"INSERT INTO p(rowid, v) VALUES (9223372036854775807, 'x')", hostabi.ErrSQLDenied},
			{"INSERT OR REPLACE INTO r VALUES (9223372036854775807, 'c')", hostabi.ErrSQLDenied},
			{"INSERT INTO r VALUES (2, 'b')", nil},
		} {
			_, err := db.Execute(ctx, c.q, nil)
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Errorf("in transaction %v: %s: %v, want %v", inTx, c.q, err, c.want)
			}
		}
		rows, err := db.QueryHost("SELECT group_concat(id || ':' || v, ' ') FROM (SELECT id, v FROM r ORDER BY id)")
		if err != nil {
			t.Fatal(err)
		}
		if got := string(rows.Rows[0][0].Bytes); got != "2:b 9223372036854775806:last allowed" {
			t.Errorf("in transaction %v: rows %q", inTx, got)
		}
		if n, _ := db.countRows("p"); n != 0 {
			t.Errorf("p has %d rows", n)
		}
	}
}

// TestSequenceImages: every change of an AUTOINCREMENT counter is in the
// write set as an image of its sqlite_sequence row, including the ones no
// row event reports: an upsert that updates, an insert that is ignored,
// and the DROP and RENAME of the table (its row then absent or renamed).
func TestSequenceImages(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	if _, err := db.Execute(ctx, "CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT UNIQUE, n INTEGER)", nil); err != nil {
		t.Fatal(err)
	}
	seqImage := func(q string) *RowImage {
		t.Helper()
		if _, err := db.TakeWrites(); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Execute(ctx, q, nil); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		w, err := db.TakeWrites()
		if err != nil {
			t.Fatal(err)
		}
		var img *RowImage
		for _, g := range w {
			for i := range g.Rows {
				if g.Rows[i].Table == "sqlite_sequence" {
					img = &g.Rows[i]
				}
			}
		}
		return img
	}
	for _, c := range []struct {
		q       string
		present bool
		name    string
		seq     int64
	}{
		{"INSERT INTO a(k, n) VALUES ('x', 1)", true, "a", 1},
		{"INSERT INTO a(k, n) VALUES ('x', 2) ON CONFLICT(k) DO UPDATE SET n = n + 1", true, "a", 2},
		{"INSERT OR IGNORE INTO a(k, n) VALUES ('x', 3)", true, "a", 3},
		{"ALTER TABLE a RENAME TO b", true, "b", 3},
		{"DROP TABLE b", false, "", 0},
	} {
		img := seqImage(c.q)
		switch {
		case img == nil:
			t.Errorf("%s: no sqlite_sequence image", c.q)
		case img.Present != c.present:
			t.Errorf("%s: present %v", c.q, img.Present)
		case c.present && (string(img.Values[0].Bytes) != c.name || img.Values[1].Int != c.seq):
			t.Errorf("%s: image %+v, want %s %d", c.q, img.Values, c.name, c.seq)
		}
	}
	if img := seqImage("CREATE TABLE c(x)"); img != nil {
		t.Errorf("a statement that moved no counter imaged %+v", img)
	}
}
