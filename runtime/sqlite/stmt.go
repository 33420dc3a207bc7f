package sqlite

import (
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	lib "modernc.org/sqlite/lib"
)

// Stmt is a prepared statement of a Conn. Parameters are numbered from 1,
// columns from 0. Finalize it when done (Close of its Conn does it too).
type Stmt struct {
	c *Conn
	p uintptr // sqlite3_stmt*, 0 once finalized
}

// Finalize frees the statement; a second Finalize does nothing. It never
// fails: what sqlite3_finalize returns is the last Step's error again.
func (s *Stmt) Finalize() error {
	if s.p == 0 {
		return nil
	}
	p := s.p
	s.p = 0
	delete(s.c.stmts, s)
	lib.Xsqlite3_finalize(s.c.tls, p)
	return nil
}

// Reset makes the statement ready to run again from the start, keeping its
// bindings (sqlite3_reset). Like sqlite3_reset with prepare_v3, it gives
// no error for a previous Step's failure.
func (s *Stmt) Reset() error {
	if s.p == 0 {
		return errClosed
	}
	lib.Xsqlite3_reset(s.c.tls, s.p)
	return nil
}

// ClearBindings sets every parameter to NULL.
func (s *Stmt) ClearBindings() error {
	if s.p == 0 {
		return errClosed
	}
	return newError(s.c.tls, s.c.db, lib.Xsqlite3_clear_bindings(s.c.tls, s.p))
}

// SQL is the statement's text as it was prepared, without the tail.
func (s *Stmt) SQL() string {
	if s.p == 0 {
		return ""
	}
	return goString(lib.Xsqlite3_sql(s.c.tls, s.p))
}

// ReadOnly reports whether the statement makes no direct change to the
// database file (sqlite3_stmt_readonly). Transaction control and a few
// others are read-only in this sense; CREATE, INSERT, UPDATE, DELETE and
// the like are not.
func (s *Stmt) ReadOnly() bool {
	return s.p != 0 && lib.Xsqlite3_stmt_readonly(s.c.tls, s.p) != 0
}

// BindCount is the largest parameter number the statement uses
// (sqlite3_bind_parameter_count).
func (s *Stmt) BindCount() int {
	if s.p == 0 {
		return 0
	}
	return int(lib.Xsqlite3_bind_parameter_count(s.c.tls, s.p))
}

func (s *Stmt) bindResult(rc int32) error {
	return newError(s.c.tls, s.c.db, rc)
}

// BindNull binds NULL to parameter i.
func (s *Stmt) BindNull(i int) error {
	if s.p == 0 {
		return errClosed
	}
	return s.bindResult(lib.Xsqlite3_bind_null(s.c.tls, s.p, int32(i)))
}

// BindInt64 binds an INTEGER to parameter i.
func (s *Stmt) BindInt64(i int, v int64) error {
	if s.p == 0 {
		return errClosed
	}
	return s.bindResult(lib.Xsqlite3_bind_int64(s.c.tls, s.p, int32(i), v))
}

// BindFloat binds a REAL to parameter i, bit for bit (-0.0 stays -0.0; a
// NaN becomes NULL, as SQLite stores no NaN).
func (s *Stmt) BindFloat(i int, v float64) error {
	if s.p == 0 {
		return errClosed
	}
	return s.bindResult(lib.Xsqlite3_bind_double(s.c.tls, s.p, int32(i), v))
}

// BindText binds TEXT to parameter i: the bytes as given, not checked as
// UTF-8, NUL bytes included. An empty string is empty TEXT, not NULL.
func (s *Stmt) BindText(i int, v string) error {
	return s.bindBytes(i, unsafe.Slice(unsafe.StringData(v), len(v)), true)
}

// BindTextBytes is BindText of bytes.
func (s *Stmt) BindTextBytes(i int, v []byte) error { return s.bindBytes(i, v, true) }

// BindBlob binds a BLOB to parameter i. An empty or nil slice is an empty
// BLOB, not NULL.
func (s *Stmt) BindBlob(i int, v []byte) error { return s.bindBytes(i, v, false) }

func (s *Stmt) bindBytes(i int, v []byte, text bool) error {
	if s.p == 0 {
		return errClosed
	}
	// SQLite copies the value (SQLITE_TRANSIENT); the buffer is never NULL,
	// which SQLite would bind as NULL.
	n := len(v)
	buf := libc.Xmalloc(s.c.tls, types.Size_t(max(n, 1)))
	if buf == 0 {
		return ErrNoMem
	}
	defer libc.Xfree(s.c.tls, buf)
	if n > 0 {
		copy(unsafe.Slice((*byte)(cptr(buf)), n), v)
	}
	if text {
		return s.bindResult(lib.Xsqlite3_bind_text64(s.c.tls, s.p, int32(i), buf, uint64(n), lib.SQLITE_TRANSIENT, lib.SQLITE_UTF8))
	}
	return s.bindResult(lib.Xsqlite3_bind_blob64(s.c.tls, s.p, int32(i), buf, uint64(n), lib.SQLITE_TRANSIENT))
}

// Step runs the statement to its next row: true with a row to read, false
// when it is done (sqlite3_step). After an error, Reset before running it
// again.
func (s *Stmt) Step() (bool, error) {
	if s.p == 0 {
		return false, errClosed
	}
	if s.c.interrupted() {
		return false, &Error{Code: ErrInterrupt, ExtendedCode: int(ErrInterrupt), Msg: "interrupted"}
	}
	rc := lib.Xsqlite3_step(s.c.tls, s.p)
	if p := s.c.takePanic(); p != nil {
		lib.Xsqlite3_reset(s.c.tls, s.p)
		panic(p)
	}
	switch rc {
	case lib.SQLITE_ROW:
		return true, nil
	case lib.SQLITE_DONE:
		return false, nil
	}
	return false, newError(s.c.tls, s.c.db, rc)
}

// ColumnCount is the number of columns of the statement's rows.
func (s *Stmt) ColumnCount() int {
	if s.p == 0 {
		return 0
	}
	return int(lib.Xsqlite3_column_count(s.c.tls, s.p))
}

// ColumnName is column i's name (its AS name, else SQLite's choice).
func (s *Stmt) ColumnName(i int) string {
	if s.p == 0 {
		return ""
	}
	return goString(lib.Xsqlite3_column_name(s.c.tls, s.p, int32(i)))
}

// ColumnType is the storage class of column i of the current row. Read it
// before any other Column method converts the value.
func (s *Stmt) ColumnType(i int) Type {
	if s.p == 0 {
		return Null
	}
	return Type(lib.Xsqlite3_column_type(s.c.tls, s.p, int32(i)))
}

// ColumnInt64 is column i as an INTEGER.
func (s *Stmt) ColumnInt64(i int) int64 {
	if s.p == 0 {
		return 0
	}
	return lib.Xsqlite3_column_int64(s.c.tls, s.p, int32(i))
}

// ColumnFloat is column i as a REAL.
func (s *Stmt) ColumnFloat(i int) float64 {
	if s.p == 0 {
		return 0
	}
	return lib.Xsqlite3_column_double(s.c.tls, s.p, int32(i))
}

// ColumnText is column i as TEXT: a copy of its bytes, NUL bytes included.
func (s *Stmt) ColumnText(i int) string {
	if s.p == 0 {
		return ""
	}
	p := lib.Xsqlite3_column_text(s.c.tls, s.p, int32(i))
	n := lib.Xsqlite3_column_bytes(s.c.tls, s.p, int32(i))
	if p == 0 || n <= 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(cptr(p)), n))
}

// ColumnBlob is a copy of column i's bytes: a BLOB's, or a TEXT's as
// stored (no conversion). It is never nil for a BLOB or TEXT value, and
// nil for NULL.
func (s *Stmt) ColumnBlob(i int) []byte {
	if s.p == 0 {
		return nil
	}
	p := lib.Xsqlite3_column_blob(s.c.tls, s.p, int32(i))
	n := lib.Xsqlite3_column_bytes(s.c.tls, s.p, int32(i))
	if p == 0 || n <= 0 {
		if s.ColumnType(i) == Null {
			return nil
		}
		return []byte{}
	}
	return append([]byte{}, unsafe.Slice((*byte)(cptr(p)), n)...)
}
