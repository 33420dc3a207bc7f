package sqlite

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	lib "modernc.org/sqlite/lib"
)

// OpenFlags says how Open opens a database.
type OpenFlags int

const (
	// ReadWrite opens the database for reading and writing, creating the
	// file if it does not exist.
	ReadWrite OpenFlags = iota
	// ReadOnly opens an existing database with SQLITE_OPEN_READONLY: SQLite
	// itself refuses every write, with an error that is ErrReadOnly.
	ReadOnly
)

// Memory is the path of a private in-memory database: Open(Memory,
// ReadWrite) gives an empty database that lives as long as the Conn.
const Memory = ":memory:"

// progressOps is how many virtual machine instructions run between two
// checks of SetInterrupt's context.
const progressOps = 1000

// Conn is one database connection. It is for one goroutine at a time;
// only Interrupt may be called concurrently with its other methods.
type Conn struct {
	mu  sync.Mutex // held by Close and Interrupt, so Interrupt never sees a freed handle
	tls *libc.TLS
	db  uintptr
	id  uintptr // the connection's key in the callback registry

	stmts map[*Stmt]struct{} // open statements, finalized by Close

	auth     AuthorizerFunc
	hook     PreUpdateFunc
	done     <-chan struct{} // SetInterrupt's context, nil for none
	progress bool            // the progress handler is installed
	panicked any             // a panic of a callback, raised again when SQLite returns
}

// Open opens the database at path (a file name, or Memory; URI file names
// are not interpreted). Every connection gets the same settings, so that a
// statement's result never depends on who opened the database:
//
//   - extended result codes;
//   - double-quoted strings are identifiers only (SQLITE_DBCONFIG_DQS_DML
//     and _DDL off), as in SQLite built with SQLITE_DQS=0;
//   - foreign key constraints enforced (SQLITE_DBCONFIG_ENABLE_FKEY);
//   - defensive mode (SQLITE_DBCONFIG_DEFENSIVE: no writable_schema, no
//     writes to shadow tables or sqlite_dbpage);
//   - an untrusted schema (SQLITE_DBCONFIG_TRUSTED_SCHEMA off);
//   - extension loading off (it is never enabled).
func Open(path string, flags OpenFlags) (*Conn, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return nil, &Error{Code: ErrCantOpen, ExtendedCode: int(ErrCantOpen), Msg: "path contains a NUL byte"}
	}
	var f int32
	switch flags {
	case ReadWrite:
		f = lib.SQLITE_OPEN_READWRITE | lib.SQLITE_OPEN_CREATE
	case ReadOnly:
		f = lib.SQLITE_OPEN_READONLY
	default:
		return nil, fmt.Errorf("sqlite: unknown open flags %d", flags)
	}
	f |= lib.SQLITE_OPEN_FULLMUTEX | lib.SQLITE_OPEN_EXRESCODE
	tls := libc.NewTLS()
	cpath, err := libc.CString(path)
	if err != nil {
		tls.Close()
		return nil, err
	}
	pdb := tls.Alloc(8)
	*(*uintptr)(cptr(pdb)) = 0
	rc := lib.Xsqlite3_open_v2(tls, cpath, pdb, f, 0)
	db := *(*uintptr)(cptr(pdb))
	tls.Free(8)
	libc.Xfree(tls, cpath)
	if rc != lib.SQLITE_OK {
		err := newError(tls, db, rc)
		if db != 0 {
			lib.Xsqlite3_close_v2(tls, db)
		}
		tls.Close()
		return nil, err
	}
	c := &Conn{tls: tls, db: db, stmts: map[*Stmt]struct{}{}}
	for _, o := range []struct {
		op int32
		on bool
	}{
		{lib.SQLITE_DBCONFIG_DQS_DML, false},
		{lib.SQLITE_DBCONFIG_DQS_DDL, false},
		{lib.SQLITE_DBCONFIG_ENABLE_FKEY, true},
		{lib.SQLITE_DBCONFIG_DEFENSIVE, true},
		{lib.SQLITE_DBCONFIG_TRUSTED_SCHEMA, false},
		{lib.SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, false},
	} {
		if err := c.dbConfig(o.op, o.on); err != nil {
			c.Close()
			return nil, err
		}
	}
	register(c)
	return c, nil
}

// dbConfig sets one of sqlite3_db_config's (int onoff, int *pRes) options.
func (c *Conn) dbConfig(op int32, on bool) error {
	var v int32
	if on {
		v = 1
	}
	// libc.VaList gives every argument an 8-byte slot.
	va := libc.Xmalloc(c.tls, types.Size_t(16))
	if va == 0 {
		return ErrNoMem
	}
	defer libc.Xfree(c.tls, va)
	rc := lib.Xsqlite3_db_config(c.tls, c.db, op, libc.VaList(va, v, uintptr(0)))
	if rc != lib.SQLITE_OK {
		return fmt.Errorf("sqlite: db_config %d: %w", op, newError(c.tls, c.db, rc))
	}
	return nil
}

// errClosed is what a closed connection answers.
var errClosed = &Error{Code: ErrMisuse, ExtendedCode: int(ErrMisuse), Msg: "connection closed"}

// Close finalizes the statements still open, forgets the callbacks and
// closes the database. A second Close does nothing.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db == 0 {
		return nil
	}
	for s := range c.stmts {
		lib.Xsqlite3_finalize(c.tls, s.p)
		s.p = 0
	}
	c.stmts = nil
	unregister(c)
	rc := lib.Xsqlite3_close_v2(c.tls, c.db)
	var err error
	if rc != lib.SQLITE_OK {
		err = newError(c.tls, c.db, rc)
	}
	c.db = 0
	c.tls.Close()
	c.tls = nil
	return err
}

// Exec runs every statement of sql in order, stepping each to its end and
// discarding rows. It is for set-up by the host (schema, transactions,
// PRAGMAs); it has no parameters.
func (c *Conn) Exec(sql string) error {
	for {
		s, tail, err := c.Prepare(sql)
		if err != nil {
			return err
		}
		if s == nil {
			return nil
		}
		for {
			row, err := s.Step()
			if err != nil {
				s.Finalize()
				return err
			}
			if !row {
				break
			}
		}
		if err := s.Finalize(); err != nil {
			return err
		}
		sql = tail
	}
}

// Prepare compiles the first statement of sql (sqlite3_prepare_v3) and
// returns it with the text that follows it, the tail. Text with no
// statement (empty, only whitespace, comments or semicolons) gives a nil
// statement and no error. SQL text containing a NUL byte is refused
// (ErrError): SQLite would silently stop reading at it.
func (c *Conn) Prepare(sql string) (stmt *Stmt, tail string, err error) {
	if c.db == 0 {
		return nil, "", errClosed
	}
	if strings.IndexByte(sql, 0) >= 0 {
		return nil, "", &Error{Code: ErrError, ExtendedCode: int(ErrError), Msg: "SQL text contains a NUL byte"}
	}
	if len(sql) >= math.MaxInt32 {
		return nil, "", &Error{Code: ErrTooBig, ExtendedCode: int(ErrTooBig), Msg: "SQL text too long"}
	}
	if c.interrupted() {
		return nil, "", &Error{Code: ErrInterrupt, ExtendedCode: int(ErrInterrupt), Msg: "interrupted"}
	}
	csql, err := libc.CString(sql)
	if err != nil {
		return nil, "", err
	}
	out := c.tls.Alloc(16) // sqlite3_stmt*, then const char *tail
	*(*uintptr)(cptr(out)) = 0
	*(*uintptr)(cptr(out + 8)) = 0
	rc := lib.Xsqlite3_prepare_v3(c.tls, c.db, csql, int32(len(sql)+1), 0, out, out+8)
	p := *(*uintptr)(cptr(out))
	if t := *(*uintptr)(cptr(out + 8)); t >= csql && t <= csql+uintptr(len(sql)) {
		tail = sql[t-csql:]
	}
	c.tls.Free(16)
	libc.Xfree(c.tls, csql)
	if rc != lib.SQLITE_OK {
		err = newError(c.tls, c.db, rc)
	}
	if perr := c.takePanic(); perr != nil {
		if p != 0 {
			lib.Xsqlite3_finalize(c.tls, p)
		}
		panic(perr)
	}
	if err != nil {
		if p != 0 {
			lib.Xsqlite3_finalize(c.tls, p)
		}
		return nil, "", err
	}
	if p == 0 {
		return nil, tail, nil
	}
	s := &Stmt{c: c, p: p}
	c.stmts[s] = struct{}{}
	return s, tail, nil
}

// Changes is the number of rows the last INSERT, UPDATE or DELETE changed,
// not counting triggers (sqlite3_changes64). Other statements leave it as
// it was.
func (c *Conn) Changes() int64 {
	if c.db == 0 {
		return 0
	}
	return lib.Xsqlite3_changes64(c.tls, c.db)
}

// TotalChanges is the number of rows changed since the connection opened,
// triggers included (sqlite3_total_changes64).
func (c *Conn) TotalChanges() int64 {
	if c.db == 0 {
		return 0
	}
	return lib.Xsqlite3_total_changes64(c.tls, c.db)
}

// LastInsertRowID is the rowid of the most recent successful INSERT into a
// rowid table (sqlite3_last_insert_rowid).
func (c *Conn) LastInsertRowID() int64 {
	if c.db == 0 {
		return 0
	}
	return lib.Xsqlite3_last_insert_rowid(c.tls, c.db)
}

// SetLastInsertRowID sets what LastInsertRowID returns until the next insert.
func (c *Conn) SetLastInsertRowID(id int64) {
	if c.db != 0 {
		lib.Xsqlite3_set_last_insert_rowid(c.tls, c.db, id)
	}
}

// AutoCommit reports whether no transaction is open (sqlite3_get_autocommit).
func (c *Conn) AutoCommit() bool {
	return c.db != 0 && lib.Xsqlite3_get_autocommit(c.tls, c.db) != 0
}

// ReadOnly reports whether the main database is read-only on this
// connection (sqlite3_db_readonly).
func (c *Conn) ReadOnly() bool {
	if c.db == 0 {
		return false
	}
	main := c.tls.Alloc(5)
	copy(unsafe.Slice((*byte)(cptr(main)), 5), "main\x00")
	r := lib.Xsqlite3_db_readonly(c.tls, c.db, main)
	c.tls.Free(5)
	return r == 1
}

// Limit sets a run-time limit and returns its previous value; a negative
// value only reads it (sqlite3_limit). SQLite lowers a value above the
// compiled maximum to that maximum.
func (c *Conn) Limit(id Limit, value int) int {
	if c.db == 0 {
		return -1
	}
	v := int32(value)
	if value > math.MaxInt32 {
		v = math.MaxInt32
	}
	return int(lib.Xsqlite3_limit(c.tls, c.db, int32(id), v))
}

// Interrupt makes the statement running on the connection, if any, stop
// with ErrInterrupt as soon as it can (sqlite3_interrupt). It may be called
// from any goroutine, also after Close.
func (c *Conn) Interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db == 0 {
		return
	}
	// Not c.tls: it belongs to the goroutine running the statement, and a
	// libc.TLS is for one goroutine at a time.
	tls := libc.NewTLS()
	lib.Xsqlite3_interrupt(tls, c.db)
	tls.Close()
}

// SetInterrupt makes the statements the connection prepares and steps from
// now on stop with ErrInterrupt once ctx is done (checked before each
// Prepare and Step, and every 1,000 virtual machine instructions while one
// runs). A context that is never done (context.Background) removes the
// check.
func (c *Conn) SetInterrupt(ctx context.Context) {
	if c.db == 0 {
		return
	}
	c.done = ctx.Done()
	switch {
	case c.done != nil && !c.progress:
		lib.Xsqlite3_progress_handler(c.tls, c.db, progressOps, cFuncPointer(progressTrampoline), c.id)
		c.progress = true
	case c.done == nil && c.progress:
		lib.Xsqlite3_progress_handler(c.tls, c.db, 0, 0, 0)
		c.progress = false
	}
}

// interrupted reports whether SetInterrupt's context is done.
func (c *Conn) interrupted() bool {
	if c.done == nil {
		return false
	}
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// takePanic returns and clears a panic a callback raised while SQLite ran.
func (c *Conn) takePanic() any {
	p := c.panicked
	c.panicked = nil
	return p
}
