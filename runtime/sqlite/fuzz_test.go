package sqlite

import (
	"context"
	"testing"
	"time"
)

// FuzzPrepareStep runs arbitrary SQL, statement after statement through
// the tail, against a small schema with a trigger, a view and an index,
// under an authorizer and the preupdate hook: whatever the text, nothing
// may panic or crash, and every statement is finalized. ATTACH (and so
// VACUUM INTO) is refused, so the fuzzer writes no files; a deadline stops
// runaway recursion.
func FuzzPrepareStep(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM t",
		"INSERT INTO t(n, s) VALUES (1, 'a'); UPDATE t SET id = id + 10; DELETE FROM t WHERE n > 0",
		"INSERT OR REPLACE INTO t VALUES (1, 2, 'x'), (1, 3, 'y')",
		"SELECT * FROM v WHERE s LIKE '%a%' ORDER BY 1 DESC LIMIT 3",
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
		"CREATE TABLE u(a PRIMARY KEY) WITHOUT ROWID; ALTER TABLE t RENAME TO t2; DROP TABLE t2",
		"SELECT json_extract('{\"a\": [1, 2]}', '$.a[1]'), printf('%.3f', 1.0 / 3), hex(zeroblob(3))",
		"BEGIN; SAVEPOINT a; INSERT INTO t VALUES (NULL, 1, x'00'); ROLLBACK TO a; COMMIT",
		"ATTACH 'x.db' AS x; VACUUM INTO 'y.db'; VACUUM",
		"SELECT ?1, ?2, :a, @b, $c",
		"/* unterminated",
		"SELECT 'unterminated",
		"SELECT 1; ;; -- tail",
		"PRAGMA integrity_check; ANALYZE; REINDEX",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		c, err := Open(Memory, ReadWrite)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, n, s TEXT UNIQUE);
			CREATE TABLE log(x); CREATE INDEX tn ON t(n);
			CREATE VIEW v AS SELECT id, s FROM t;
			CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.id); END;
			INSERT INTO t VALUES (1, 1, 'one'), (2, NULL, 'two')`); err != nil {
			t.Fatal(err)
		}
		c.Limit(LimitAttached, 0)
		c.Limit(LimitLength, 1<<20)
		c.SetAuthorizer(func(a Action, _, _, _, _ string) AuthResult {
			if a == ActionAttach {
				return AuthDeny
			}
			return AuthOK
		})
		changes := 0
		c.SetPreUpdateHook(func(Action, string, string, int64, int64) { changes++ })
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		c.SetInterrupt(ctx)
		for range 20 {
			s, tail, err := c.Prepare(sql)
			if err != nil || s == nil {
				return
			}
			for range s.BindCount() {
				s.BindInt64(1, 1)
			}
			for range 1000 {
				row, err := s.Step()
				if err != nil || !row {
					break
				}
				for i := range s.ColumnCount() {
					switch s.ColumnType(i) {
					case Integer:
						s.ColumnInt64(i)
					case Float:
						s.ColumnFloat(i)
					case Text:
						s.ColumnText(i)
					case Blob:
						s.ColumnBlob(i)
					}
					s.ColumnName(i)
				}
			}
			s.ReadOnly()
			s.SQL()
			s.Finalize()
			if len(tail) >= len(sql) {
				t.Fatalf("no progress: %q", sql)
			}
			sql = tail
		}
	})
}
