package host

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/sqlite"
)

// deniedFunctions are the SQL functions whose result is not a function of
// their arguments and the database, so two nodes could disagree (DECISIONS.md
// D25): randomness, the clock (every date and time function accepts 'now'),
// per-connection counters and the SQLite build.
var deniedFunctions = map[string]bool{
	"random": true, "randomblob": true,
	"date": true, "time": true, "datetime": true, "julianday": true, "unixepoch": true,
	"strftime": true, "timediff": true,
	"current_date": true, "current_time": true, "current_timestamp": true,
	"changes": true, "total_changes": true, "last_insert_rowid": true,
	"sqlite_version": true, "sqlite_source_id": true, "sqlite_compileoption_get": true,
	"sqlite_compileoption_used": true, "sqlite_offset": true, "load_extension": true,
	"fts5_source_id": true,
}

// deniedTables are eponymous virtual tables (read without CREATE VIRTUAL
// TABLE) whose rows describe the database file rather than its contents:
// dbstat's page layout differs between a replica built by statements and one
// built from row images. (sqlite_dbpage is denied by its prefix, pragma_*
// tables by the PRAGMA they run.)
var deniedTables = map[string]bool{"dbstat": true}

// SQLite is a namespace's database: the reference host's in-memory database
// (NewSQLite), a namespace replica on a file (NewSQLiteFile), or the
// read-only query connection to a replica (NewSQLiteQuery), all through
// runtime/sqlite. Contract statements run under an authorizer that refuses
// what could make nodes disagree or escape the host's transactions
// (contracts.md "SQL", namespaces.md 2.1). It is not safe for concurrent use;
// Env serialises calls.
//
// While a contract statement runs (Execute), the preupdate hook records the
// rows it changes, so the host can give the call's SQL write set
// (TakeWrites, namespaces.md 5.2) and charge db.execute per changed row.
type SQLite struct {
	conn *sqlite.Conn
	// query marks the read-only query connection: non-deterministic
	// functions are allowed there, nothing is tracked.
	queryConn bool
	// host is set while the host itself runs statements (transactions,
	// set-up, reading row images), which the authorizer lets through.
	host bool
	// auth is what the authorizer saw of the statement being prepared.
	auth stmtAuth

	// Change tracking (namespaces.md 5.2).
	tracking bool            // a contract statement is running
	maxRowid bool            // the running statement wrote rowid math.MaxInt64
	changed  uint64          // preupdate events of the running statement
	stmtRows []rowKey        // rows the running statement touched
	touched  map[rowKey]bool // rows touched since the last flush
	inserts  map[string]bool // tables inserted into since the last flush
	writes   []SQLWrite

	// hostStmts keeps the host's own prepared statements by text (the
	// TxLog and index inserts, row-image reads): the executor runs the same
	// few for every entry, and parsing them is most of their cost. Only
	// statements prepared as the host are kept, so no contract statement
	// skips the authorizer.
	hostStmts map[string]*sqlite.Stmt

	// cols caches tableInfo by table while the schema cookie is colsCookie
	// (every schema change moves the cookie forward). A rollback can move
	// it back to a value an abandoned schema also had, so any statement
	// the host runs that rolls back empties the cache (noteRollback).
	cols       map[string]tableCols
	colsCookie int64

	// contractStmts keeps contract statements the authorizer let through
	// with nothing to report (DML and queries: no DDL, no schema write),
	// by text, while the schema cookie is stmtsCookie; emptied like cols.
	// A cached statement is exactly what preparing the text again would
	// give: the authorizer decides at prepare time from the schema alone.
	contractStmts map[string]*sqlite.Stmt
	stmtsCookie   int64
}

// tableCols is what tableInfo gives for one table.
type tableCols struct {
	names  []string
	stored []bool
}

// maxHostValueBytes is the largest value the host's own statements store
// or read: a TxLog entry (params.MaxTxLogEntryBytes) with room to spare.
const maxHostValueBytes = 16 << 20

// maxHostStmts bounds hostStmts (row-image reads differ per table).
const maxHostStmts = 256

// release ends the use of a statement: a cached host statement is reset
// for its next use, any other is finalized.
func (db *SQLite) release(stmt *sqlite.Stmt) {
	if c, ok := db.hostStmts[stmt.SQL()]; ok && c == stmt {
		stmt.Reset()
		stmt.ClearBindings()
		return
	}
	if c, ok := db.contractStmts[stmt.SQL()]; ok && c == stmt {
		stmt.Reset()
		stmt.ClearBindings()
		return
	}
	stmt.Finalize()
}

// prepareHost is conn.Prepare for the host's own single statements, from
// the cache when it can be.
func (db *SQLite) prepareHost(query string) (*sqlite.Stmt, error) {
	if stmt, ok := db.hostStmts[query]; ok {
		return stmt, nil
	}
	stmt, _, err := db.conn.Prepare(query)
	if err != nil || stmt == nil {
		return stmt, err
	}
	if db.hostStmts == nil {
		db.hostStmts = map[string]*sqlite.Stmt{}
	}
	if len(db.hostStmts) < maxHostStmts {
		db.hostStmts[query] = stmt
	}
	return stmt, nil
}

// stmtAuth is what the authorizer saw while one statement was prepared.
type stmtAuth struct {
	denied        string   // the first thing refused, "" for nothing
	ddl           bool     // CREATE, DROP or ALTER of a table, index, view or trigger
	alter         string   // the table of an ALTER TABLE
	created       []string // tables a CREATE TABLE creates
	index         string   // the index a CREATE INDEX creates
	schemaWrite   bool     // SQLite writes sqlite_master for the statement's DDL
	schemaUpdated bool     // ... and has updated or deleted a row of it
}

type rowKey struct {
	table string // ASCII-lowercased
	rowid int64
}

// SQLWriteKind is what one group of a call's SQL write set is (namespaces.md
// 5.3, types.SQLWriteKind).
type SQLWriteKind uint8

const (
	// SQLWriteRows is a group of row images.
	SQLWriteRows SQLWriteKind = 0
	// SQLWriteDDL is one schema statement.
	SQLWriteDDL SQLWriteKind = 1
)

// SQLWrite is one group of a call's SQL write set, in execution order:
// Rows for SQLWriteRows, DDL for SQLWriteDDL.
type SQLWrite struct {
	Kind SQLWriteKind
	Rows []RowImage // in (table, rowid) order, rowids as signed integers
	DDL  string     // the statement's text as the contract gave it, without what followed it
}

// RowImage is a row as it is after a group of statements: Values are its
// non-generated columns in PRAGMA table_xinfo order, each in its storage
// class; a row that no longer exists is not Present (and has no Values).
type RowImage struct {
	Table   string // ASCII-lowercased
	RowID   int64
	Present bool
	Values  []abi.Value
}

// NewSQLite opens an empty in-memory database.
func NewSQLite() (*SQLite, error) {
	return openSQLite(sqlite.Memory, sqlite.ReadWrite, false)
}

// NewSQLiteFile opens (creating it if missing) the database file at path
// for a namespace replica (namespaces.md 2.1): journal_mode=WAL,
// synchronous=NORMAL, and the same authorizer, limits and tracking as
// NewSQLite.
func NewSQLiteFile(path string) (*SQLite, error) {
	if path == "" || path == sqlite.Memory {
		return nil, fmt.Errorf("host: sqlite: %q is not a file name", path)
	}
	db, err := openSQLite(path, sqlite.ReadWrite, false)
	if err != nil {
		return nil, err
	}
	if err := db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// NewSQLiteQuery opens the read-only query connection to the replica at
// path (namespaces.md 2.1, the query endpoint): SQLITE_OPEN_READONLY, so
// SQLite itself refuses every write (ErrSQLReadOnly, mapped from
// SQLITE_READONLY); the contracts' authorizer, except that non-deterministic
// functions are allowed; no change tracking. Use QueryEach on it: how many
// rows and bytes a response may hold is the caller's to enforce, and a
// deadline on the context interrupts the statement.
func NewSQLiteQuery(path string) (*SQLite, error) {
	return openSQLite(path, sqlite.ReadOnly, true)
}

func openSQLite(path string, flags sqlite.OpenFlags, query bool) (*SQLite, error) {
	conn, err := sqlite.Open(path, flags)
	if err != nil {
		return nil, fmt.Errorf("host: sqlite: %w", err)
	}
	db := &SQLite{conn: conn, queryConn: query, touched: map[rowKey]bool{}, inserts: map[string]bool{}}
	conn.Limit(sqlite.LimitSQLLength, hostabi.MaxSQLBytes)
	conn.Limit(sqlite.LimitVariableNumber, hostabi.MaxSQLParams)
	conn.Limit(sqlite.LimitLength, hostabi.MaxResultBytes)
	conn.Limit(sqlite.LimitAttached, 0)
	if err := conn.SetAuthorizer(db.authorize); err != nil {
		conn.Close()
		return nil, fmt.Errorf("host: sqlite authorizer: %w", err)
	}
	if !query {
		conn.SetPreUpdateHook(db.preUpdate)
	}
	return db, nil
}

// Close closes the database.
func (db *SQLite) Close() error { return db.conn.Close() }

// protected reports whether a schema object's name is the host's
// (_orama_*) or SQLite's (sqlite_*): contracts never touch those.
func protected(name string) bool {
	n := lowerASCII(name)
	return strings.HasPrefix(n, "_orama_") || strings.HasPrefix(n, "sqlite_")
}

// LowerASCII lowercases ASCII letters only, as SQLite compares names and
// as the namespace trees key tables (namespaces.md 5.1).
func LowerASCII(s string) string { return lowerASCII(s) }

// lowerASCII lowercases ASCII letters only, as SQLite compares names.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// authorize is the authorizer of contract statements (and of every
// statement of the query connection): contracts.md's deny list and
// namespaces.md 2.1's. SQLite also asks it about what it does itself to
// carry out DDL (writing sqlite_master, ALTER TABLE's nested statements,
// the sqlite_sequence table of AUTOINCREMENT, constraint indexes); those
// are allowed only inside the DDL statement that causes them.
func (db *SQLite) authorize(action sqlite.Action, a3, a4, schema, inner string) sqlite.AuthResult {
	if db.host {
		return sqlite.AuthOK
	}
	s := &db.auth
	deny := func(why string) sqlite.AuthResult {
		if s.denied == "" {
			s.denied = why
		}
		return sqlite.AuthDeny
	}
	switch action {
	case sqlite.ActionPragma, sqlite.ActionAttach, sqlite.ActionDetach,
		sqlite.ActionTransaction, sqlite.ActionSavepoint,
		sqlite.ActionCreateVTable, sqlite.ActionDropVTable,
		sqlite.ActionCreateTempIndex, sqlite.ActionCreateTempTable,
		sqlite.ActionCreateTempTrigger, sqlite.ActionCreateTempView,
		sqlite.ActionDropTempIndex, sqlite.ActionDropTempTable,
		sqlite.ActionDropTempTrigger, sqlite.ActionDropTempView,
		sqlite.ActionAnalyze:
		return deny(fmt.Sprintf("action %d", action))
	case sqlite.ActionReindex:
		// CREATE INDEX asks to reindex the index it creates; nothing else may.
		if s.index != "" && strings.EqualFold(a3, s.index) {
			return sqlite.AuthOK
		}
		return deny("REINDEX")
	case sqlite.ActionFunction:
		if fn := lowerASCII(a4); deniedFunctions[fn] && !db.queryConn {
			return deny("function " + fn)
		}
		return sqlite.AuthOK
	case sqlite.ActionAlterTable:
		if a3 != "main" {
			return deny("schema " + a3)
		}
		if protected(a4) {
			return deny("table " + a4)
		}
		s.ddl, s.alter = true, a4
		return sqlite.AuthOK
	}
	master := strings.EqualFold(a3, "sqlite_master") && schema == "main"
	sequence := strings.EqualFold(a3, "sqlite_sequence") && schema == "main"
	switch {
	case s.alter != "" && (master || sequence ||
		strings.EqualFold(a3, "sqlite_temp_master") && schema == "temp"):
		// ALTER TABLE's nested statements read and rewrite the schema (and
		// look for the table's name in temp and in sqlite_sequence).
		return sqlite.AuthOK
	case master && (action == sqlite.ActionInsert || action == sqlite.ActionDelete):
		// CREATE and DROP write sqlite_master; checked to be DDL after prepare.
		s.schemaWrite = true
		s.schemaUpdated = s.schemaUpdated || action == sqlite.ActionDelete
		return sqlite.AuthOK
	case master && action == sqlite.ActionUpdate && s.schemaWrite:
		s.schemaUpdated = true
		return sqlite.AuthOK
	case (master || sequence) && action == sqlite.ActionRead && s.schemaUpdated:
		// What SQLite reads back of the row it wrote (never a contract's
		// SELECT: that part of CREATE TABLE ... AS SELECT comes before).
		return sqlite.AuthOK
	case sequence && action == sqlite.ActionDelete && s.schemaUpdated:
		// DROP TABLE of an AUTOINCREMENT table deletes its counter.
		return sqlite.AuthOK
	case action == sqlite.ActionCreateTable && strings.EqualFold(a3, "sqlite_sequence") && schema == "main" && len(s.created) > 0:
		// The first AUTOINCREMENT table creates SQLite's sqlite_sequence.
		return sqlite.AuthOK
	case action == sqlite.ActionCreateIndex && schema == "main" && strings.HasPrefix(lowerASCII(a3), "sqlite_autoindex_") && s.creates(a4):
		// The indexes of a new table's UNIQUE and PRIMARY KEY constraints.
		return sqlite.AuthOK
	}
	if schema != "" && schema != "main" {
		return deny("schema " + schema)
	}
	switch action {
	case sqlite.ActionCreateIndex, sqlite.ActionDropIndex, sqlite.ActionCreateTrigger, sqlite.ActionDropTrigger:
		if protected(a4) {
			return deny("table " + a4)
		}
		fallthrough
	case sqlite.ActionCreateTable, sqlite.ActionDropTable, sqlite.ActionCreateView, sqlite.ActionDropView,
		sqlite.ActionInsert, sqlite.ActionUpdate, sqlite.ActionDelete, sqlite.ActionRead:
		if protected(a3) {
			return deny("table " + a3)
		}
		if action == sqlite.ActionRead && deniedTables[lowerASCII(a3)] {
			return deny("table " + a3)
		}
	}
	switch action {
	case sqlite.ActionCreateTable:
		s.ddl = true
		s.created = append(s.created, a3)
	case sqlite.ActionCreateIndex:
		s.ddl = true
		s.index = a3
	case sqlite.ActionCreateTrigger, sqlite.ActionCreateView,
		sqlite.ActionDropTable, sqlite.ActionDropIndex, sqlite.ActionDropTrigger, sqlite.ActionDropView:
		s.ddl = true
	}
	return sqlite.AuthOK
}

// creates reports whether the statement creates table t.
func (s *stmtAuth) creates(t string) bool {
	for _, c := range s.created {
		if strings.EqualFold(c, t) {
			return true
		}
	}
	return false
}

// preUpdate is the preupdate hook: while a contract statement runs it
// counts the changes and records the rows they touch, in main only (the
// only schema a contract reaches).
func (db *SQLite) preUpdate(op sqlite.Action, schema, table string, oldRowid, newRowid int64) {
	if !db.tracking || schema != "main" {
		return
	}
	db.changed++
	if op != sqlite.ActionDelete && newRowid == math.MaxInt64 {
		db.maxRowid = true
	}
	t := lowerASCII(table)
	db.stmtRows = append(db.stmtRows, rowKey{t, oldRowid})
	if newRowid != oldRowid {
		db.stmtRows = append(db.stmtRows, rowKey{t, newRowid})
	}
	if op == sqlite.ActionInsert && !db.inserts[t] {
		db.inserts[t] = true
	}
}

// asHost runs fn as the host: no authorizer and no SQL length limit (the
// host builds statements from names of any length); what the authorizer
// saw of the contract's statement is kept.
func (db *SQLite) asHost(fn func() error) error {
	if db.host {
		return fn()
	}
	db.host = true
	saved := db.auth
	db.conn.Limit(sqlite.LimitSQLLength, math.MaxInt32)
	// The host stores TxLog entries (a deploy's module, up to 4 MiB, inside
	// an entry of at most params.MaxTxLogEntryBytes).
	db.conn.Limit(sqlite.LimitLength, maxHostValueBytes)
	defer func() {
		db.host = false
		db.auth = saved
		db.conn.Limit(sqlite.LimitSQLLength, hostabi.MaxSQLBytes)
		db.conn.Limit(sqlite.LimitLength, hostabi.MaxResultBytes)
	}()
	return fn()
}

// Exec runs statements as the host (set-up, not a contract): no authorizer,
// several statements allowed, no parameters, nothing tracked.
func (db *SQLite) Exec(sql string) error {
	db.noteRollback(sql)
	return db.asHost(func() error {
		if err := db.conn.Exec(sql); err != nil {
			return fmt.Errorf("host: sqlite: %w", err)
		}
		return nil
	})
}

// execCached runs a statement without parameters as the host from the
// statement cache, leaving the connection's last insert rowid and change
// counts as they were (a contract's later last_insert_rowid() reads its own).
func (db *SQLite) execCached(sql string) error {
	return db.asHost(func() error {
		stmt, err := db.prepareHost(sql)
		if err != nil {
			return fmt.Errorf("host: sqlite: %w", err)
		}
		defer db.release(stmt)
		if err := db.step(stmt); err != nil {
			return fmt.Errorf("host: sqlite: %w", err)
		}
		return nil
	})
}

// ExecHost runs one statement with parameters as the host (the executor's
// TxLog rows, row images applied to a replica): no authorizer, nothing
// tracked.
func (db *SQLite) ExecHost(query string, params ...abi.Value) (abi.ExecResult, error) {
	var res abi.ExecResult
	db.noteRollback(query)
	err := db.asHost(func() error {
		stmt, err := db.prepare(context.Background(), query, params)
		if err != nil {
			return err
		}
		defer db.release(stmt)
		db.conn.SetLastInsertRowID(0)
		total := db.conn.TotalChanges()
		if err := db.step(stmt); err != nil {
			return db.sqlError(err)
		}
		if db.conn.TotalChanges() != total {
			res.RowsAffected = uint64(db.conn.Changes())
		}
		res.LastInsertID = db.conn.LastInsertRowID()
		return nil
	})
	return res, err
}

// QueryHost runs one read-only statement as the host (for checks and the
// vectors' expected state).
func (db *SQLite) QueryHost(query string, params ...abi.Value) (abi.Rows, error) {
	var rows abi.Rows
	err := db.asHost(func() error {
		var err error
		rows, err = db.Query(context.Background(), query, params)
		return err
	})
	return rows, err
}

// prepare compiles exactly one statement and binds params, one per
// parameter the statement has.
func (db *SQLite) prepare(ctx context.Context, query string, params []abi.Value) (*sqlite.Stmt, error) {
	db.auth = stmtAuth{}
	if strings.IndexByte(query, 0) >= 0 {
		// SQLite would stop reading at the NUL.
		return nil, fmt.Errorf("%w: a NUL byte in the statement", hostabi.ErrSQLError)
	}
	if !db.host {
		// Until the statement ends: the caller sets context.Background back.
		db.conn.SetInterrupt(ctx)
	}
	if db.host {
		if stmt, ok := db.hostStmts[query]; ok {
			if err := db.bind(stmt, params); err != nil {
				db.release(stmt)
				return nil, err
			}
			return stmt, nil
		}
	}
	var cookie int64
	cacheable := !db.host && !db.queryConn
	if cacheable {
		var err error
		if cookie, err = db.schemaCookie(); err != nil {
			return nil, err
		}
		if cookie != db.stmtsCookie {
			db.dropContractStmts()
			db.stmtsCookie = cookie
		}
		if stmt, ok := db.contractStmts[query]; ok {
			if err := db.bind(stmt, params); err != nil {
				db.release(stmt)
				return nil, err
			}
			return stmt, nil
		}
	}
	stmt, tail, err := db.conn.Prepare(query)
	if err != nil {
		return nil, db.sqlError(err)
	}
	if stmt == nil {
		return nil, fmt.Errorf("%w: no statement", hostabi.ErrSQLError)
	}
	// Whatever follows must be whitespace or comments: one call, one statement.
	for strings.TrimSpace(tail) != "" {
		var next *sqlite.Stmt
		next, tail, err = db.conn.Prepare(tail)
		if next != nil {
			next.Finalize()
			stmt.Finalize()
			return nil, fmt.Errorf("%w: more than one statement", hostabi.ErrSQLError)
		}
		if err != nil {
			stmt.Finalize()
			return nil, db.sqlError(err)
		}
	}
	if db.auth.schemaWrite && !db.auth.ddl {
		stmt.Finalize()
		return nil, fmt.Errorf("%w: writes the schema table", hostabi.ErrSQLDenied)
	}
	if err := db.bind(stmt, params); err != nil {
		stmt.Finalize()
		return nil, err
	}
	if db.host && len(db.hostStmts) < maxHostStmts {
		if db.hostStmts == nil {
			db.hostStmts = map[string]*sqlite.Stmt{}
		}
		if _, dup := db.hostStmts[query]; !dup {
			db.hostStmts[query] = stmt
		}
	}
	a := &db.auth
	if cacheable && a.denied == "" && !a.ddl && a.alter == "" && len(a.created) == 0 && a.index == "" && !a.schemaWrite &&
		!a.schemaUpdated && len(db.contractStmts) < maxHostStmts {
		if db.contractStmts == nil {
			db.contractStmts = map[string]*sqlite.Stmt{}
		}
		if _, dup := db.contractStmts[query]; !dup {
			db.contractStmts[query] = stmt
		}
	}
	return stmt, nil
}

// schemaCookie is main's schema cookie (PRAGMA schema_version), read as
// the host.
func (db *SQLite) schemaCookie() (int64, error) {
	r, err := db.QueryHost("PRAGMA main.schema_version")
	if err != nil {
		return 0, err
	}
	if len(r.Rows) != 1 || len(r.Rows[0]) != 1 {
		return 0, fmt.Errorf("host: sqlite: schema_version gave %d rows", len(r.Rows))
	}
	return r.Rows[0][0].Int, nil
}

// dropContractStmts finalizes the cached contract statements.
func (db *SQLite) dropContractStmts() {
	for _, st := range db.contractStmts {
		st.Finalize()
	}
	db.contractStmts = nil
}

// bind binds params to stmt, one per parameter the statement has.
func (db *SQLite) bind(stmt *sqlite.Stmt, params []abi.Value) error {
	if stmt.BindCount() != len(params) {
		return fmt.Errorf("%w: the statement takes %d parameters, got %d", hostabi.ErrSQLError, stmt.BindCount(), len(params))
	}
	for i, v := range params {
		var err error
		switch v.Kind {
		case abi.KindNull:
			err = stmt.BindNull(i + 1)
		case abi.KindInteger:
			err = stmt.BindInt64(i+1, v.Int)
		case abi.KindReal:
			err = stmt.BindFloat(i+1, v.Real)
		case abi.KindText:
			err = stmt.BindTextBytes(i+1, v.Bytes)
		case abi.KindBlob:
			err = stmt.BindBlob(i+1, v.Bytes)
		default:
			err = fmt.Errorf("%w: value kind %d", abi.ErrMalformed, v.Kind)
		}
		if err != nil {
			return db.sqlError(err)
		}
	}
	return nil
}

// step runs a statement to its end, discarding rows.
func (db *SQLite) step(stmt *sqlite.Stmt) error {
	for {
		row, err := stmt.Step()
		if err != nil || !row {
			return err
		}
	}
}

// sqlError maps SQLite's error to the status errors of spec/hostfuncs.yaml.
// What a statement can cause is a status; what the database suffers (I/O,
// memory, an interrupt) is a host failure.
func (db *SQLite) sqlError(err error) error {
	if db.auth.denied != "" {
		return fmt.Errorf("%w: %s: %w", hostabi.ErrSQLDenied, db.auth.denied, err)
	}
	switch {
	case errors.Is(err, sqlite.ErrError) && strings.Contains(err.Error(), "cannot VACUUM"):
		// VACUUM is denied; inside a transaction (every namespace call runs
		// in one) SQLite refuses it before the authorizer could.
		return fmt.Errorf("%w: VACUUM: %w", hostabi.ErrSQLDenied, err)
	case errors.Is(err, sqlite.ErrConstraint):
		return fmt.Errorf("%w: %w", hostabi.ErrSQLConstraint, err)
	case errors.Is(err, sqlite.ErrReadOnly):
		return fmt.Errorf("%w: %w", hostabi.ErrSQLReadOnly, err)
	case errors.Is(err, sqlite.ErrAuth):
		return fmt.Errorf("%w: %w", hostabi.ErrSQLDenied, err)
	case errors.Is(err, sqlite.ErrError), errors.Is(err, sqlite.ErrMismatch), errors.Is(err, sqlite.ErrRange),
		errors.Is(err, sqlite.ErrTooBig), errors.Is(err, sqlite.ErrSchema):
		return fmt.Errorf("%w: %w", hostabi.ErrSQLError, err)
	}
	return fmt.Errorf("host: sqlite: %w", err)
}

// Execute implements hostabi.DB: it runs one contract statement and
// reports, beside its result, the rows it changed (RowsChanged, charged
// SQLRowGas each by the bindings): every change the preupdate hook saw
// (triggers, foreign key actions and the deletes of INSERT OR REPLACE
// included), every row of the table for ALTER TABLE, every row of a table
// CREATE TABLE ... AS SELECT fills. The rows it touched join the call's
// write set (TakeWrites); a DDL statement is preceded by a group of the
// rows touched before it and recorded as a group of its own.
//
// CREATE TABLE and ALTER TABLE run inside a savepoint and are then
// checked: a table WITHOUT ROWID, a table whose rowid no name reaches
// (columns named rowid, _rowid_ and oid) or a table renamed to _orama_* is
// rolled back to it and gives ErrSQLDenied.
func (db *SQLite) Execute(ctx context.Context, query string, params []abi.Value) (hostabi.ExecOutcome, error) {
	defer db.conn.SetInterrupt(context.Background())
	stmt, err := db.prepare(ctx, query, params)
	if err != nil {
		return hostabi.ExecOutcome{}, err
	}
	defer db.release(stmt)
	auth := db.auth
	var alterRows uint64
	hostTables := 0
	if auth.ddl {
		// The rows touched so far are read before the schema changes.
		if err := db.flush(); err != nil {
			return hostabi.ExecOutcome{}, err
		}
		if auth.alter != "" {
			if alterRows, err = db.countRows(auth.alter); err != nil {
				return hostabi.ExecOutcome{}, err
			}
		}
	}
	checked := len(auth.created) > 0 || auth.alter != ""
	if checked {
		if hostTables, err = db.hostTables(); err != nil {
			return hostabi.ExecOutcome{}, err
		}
	}
	// Every statement of a contract runs in a savepoint of its own, so one
	// that breaks a rule found only while it runs (the schema checks, the
	// reserved rowid) is undone whole.
	sp := checked || !db.queryConn
	if sp {
		if err := db.execCached("SAVEPOINT _orama_stmt"); err != nil {
			return hostabi.ExecOutcome{}, err
		}
	}
	undo := func() {
		if sp {
			db.Exec("ROLLBACK TO _orama_stmt; RELEASE _orama_stmt")
		}
	}
	var seqBefore map[int64]seqRow
	if !db.queryConn {
		if seqBefore, err = db.sequence(); err != nil {
			undo()
			return hostabi.ExecOutcome{}, err
		}
	}
	total := db.conn.TotalChanges()
	db.conn.SetLastInsertRowID(0)
	db.tracking, db.changed, db.stmtRows, db.maxRowid = !db.queryConn, 0, db.stmtRows[:0], false
	err = db.step(stmt)
	db.tracking = false
	if err != nil {
		undo()
		return hostabi.ExecOutcome{}, db.sqlError(err)
	}
	if db.maxRowid {
		// With a row at the largest rowid, SQLite picks the rowids of later
		// inserts at random: nodes would diverge (namespaces.md 5.2).
		undo()
		return hostabi.ExecOutcome{}, fmt.Errorf("%w: rowid %d is reserved", hostabi.ErrSQLDenied, int64(math.MaxInt64))
	}
	var out hostabi.ExecOutcome
	// Changes is the last INSERT, UPDATE or DELETE's, even when this
	// statement was none: count it only if this one changed something.
	if db.conn.TotalChanges() != total {
		out.RowsAffected = uint64(db.conn.Changes())
	}
	out.LastInsertID = db.conn.LastInsertRowID()
	out.RowsChanged = db.changed
	if checked {
		if err := db.checkSchema(hostTables); err != nil {
			undo()
			return hostabi.ExecOutcome{}, err
		}
	}
	if sp {
		if err := db.execCached("RELEASE _orama_stmt"); err != nil {
			return hostabi.ExecOutcome{}, err
		}
	}
	for _, k := range db.stmtRows {
		db.touched[k] = true
	}
	if !db.queryConn {
		// AUTOINCREMENT's counters move without a row event of their own
		// (an upsert that updates, an insert that is ignored, DROP and
		// RENAME): every row of sqlite_sequence the statement changed is
		// touched, so its image follows (namespaces.md 5.2).
		after, err := db.sequence()
		if err != nil {
			return hostabi.ExecOutcome{}, err
		}
		for id, r := range after {
			if b, ok := seqBefore[id]; !ok || b != r {
				db.touched[rowKey{"sqlite_sequence", id}] = true
			}
		}
		for id := range seqBefore {
			if _, ok := after[id]; !ok {
				db.touched[rowKey{"sqlite_sequence", id}] = true
			}
		}
	}
	if auth.alter != "" {
		out.RowsChanged = alterRows
	}
	for _, t := range auth.created {
		// CREATE TABLE ... AS SELECT fills the table without the hook.
		ids, err := db.rowids(lowerASCII(t))
		if err != nil {
			return hostabi.ExecOutcome{}, err
		}
		for _, id := range ids {
			db.touched[rowKey{lowerASCII(t), id}] = true
		}
		out.RowsChanged += uint64(len(ids))
		if len(ids) > 0 {
			db.inserts[lowerASCII(t)] = true
		}
	}
	if auth.ddl && !db.queryConn {
		db.writes = append(db.writes, SQLWrite{Kind: SQLWriteDDL, DDL: strings.TrimSpace(stmt.SQL())})
	}
	return out, nil
}

// seqRow is a row of sqlite_sequence.
type seqRow struct {
	name string
	seq  int64
}

// sequence reads sqlite_sequence by rowid; nil when there is none (no
// AUTOINCREMENT table yet).
func (db *SQLite) sequence() (map[int64]seqRow, error) {
	names, _, err := db.tableInfo("sqlite_sequence")
	if err != nil || len(names) == 0 {
		return nil, err
	}
	rows, err := db.QueryHost("SELECT rowid, name, seq FROM main.sqlite_sequence")
	if err != nil {
		return nil, err
	}
	out := make(map[int64]seqRow, len(rows.Rows))
	for _, r := range rows.Rows {
		out[r[0].Int] = seqRow{name: string(r[1].Bytes), seq: r[2].Int}
	}
	return out, nil
}

// checkSchema is run after a CREATE TABLE or ALTER TABLE: every table of
// main but the host's and SQLite's must have a rowid that a name reaches,
// and an ALTER TABLE must not have renamed a table to one of the host's
// names (hostTables is how many there were before).
func (db *SQLite) checkSchema(hostTables int) error {
	rows, err := db.QueryHost("SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table'")
	if err != nil {
		return err
	}
	n := 0
	for _, r := range rows.Rows {
		name := string(r[0].Bytes)
		switch {
		case strings.HasPrefix(lowerASCII(name), "_orama_"):
			n++
			continue
		case strings.HasPrefix(lowerASCII(name), "sqlite_"):
			continue
		case r[1].Int != 0:
			return fmt.Errorf("%w: table %s is WITHOUT ROWID", hostabi.ErrSQLDenied, name)
		}
		names, _, err := db.tableInfo(name)
		if err != nil {
			return err
		}
		if _, err := rowidName(names); err != nil {
			return fmt.Errorf("%w: table %s: %w", hostabi.ErrSQLDenied, name, err)
		}
	}
	if n > hostTables {
		return fmt.Errorf("%w: a table renamed to one of the host's names", hostabi.ErrSQLDenied)
	}
	return nil
}

// hostTables counts the host's tables (_orama_*) in main.
func (db *SQLite) hostTables() (int, error) {
	rows, err := db.QueryHost("SELECT count(*) FROM pragma_table_list WHERE schema = 'main' AND substr(lower(name), 1, 7) = '_orama_'")
	if err != nil {
		return 0, err
	}
	return int(rows.Rows[0][0].Int), nil
}

// errNoRowidName says a table's columns hide its rowid.
var errNoRowidName = errors.New("no name reaches the rowid (columns rowid, _rowid_ and oid)")

// tableInfo gives a table's columns as PRAGMA table_xinfo lists them, which
// of them are stored values (not generated), and a name for its rowid. A
// table that does not exist has no columns.
func (db *SQLite) tableInfo(table string) (names []string, stored []bool, err error) {
	c, err := db.schemaCookie()
	if err != nil {
		return nil, nil, err
	}
	if db.cols == nil || c != db.colsCookie {
		db.cols, db.colsCookie = map[string]tableCols{}, c
	}
	if tc, ok := db.cols[table]; ok {
		return tc.names, tc.stored, nil
	}
	rows, err := db.QueryHost("SELECT name, hidden FROM pragma_table_xinfo(?1, 'main')", abi.Text(table))
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rows.Rows {
		names = append(names, string(r[0].Bytes))
		stored = append(stored, r[1].Int == 0)
	}
	if len(db.cols) < maxHostStmts {
		db.cols[table] = tableCols{names: names, stored: stored}
	}
	return names, stored, nil
}

// noteRollback empties the tableInfo and statement caches before a host statement that
// may roll back (and so may return the schema cookie to an earlier value).
func (db *SQLite) noteRollback(sql string) {
	if db.cols == nil && db.contractStmts == nil {
		return
	}
	const word = "rollback"
	for i := 0; i+len(word) <= len(sql); i++ {
		if strings.EqualFold(sql[i:i+len(word)], word) {
			db.cols = nil
			db.dropContractStmts()
			return
		}
	}
}

// rowidName is the first of _rowid_, rowid and oid that is not a column.
func rowidName(names []string) (string, error) {
	for _, cand := range []string{"_rowid_", "rowid", "oid"} {
		taken := false
		for _, n := range names {
			taken = taken || strings.EqualFold(n, cand)
		}
		if !taken {
			return cand, nil
		}
	}
	return "", errNoRowidName
}

func quoteName(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// countRows counts a table's rows, as the host.
func (db *SQLite) countRows(table string) (uint64, error) {
	rows, err := db.QueryHost("SELECT count(*) FROM main." + quoteName(table))
	if err != nil {
		return 0, err
	}
	return uint64(rows.Rows[0][0].Int), nil
}

// rowids lists a table's rowids in order; none if it does not exist.
func (db *SQLite) rowids(table string) ([]int64, error) {
	names, _, err := db.tableInfo(table)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	rid, err := rowidName(names)
	if err != nil {
		return nil, fmt.Errorf("host: sqlite: table %s: %w", table, err)
	}
	rows, err := db.QueryHost("SELECT " + rid + " FROM main." + quoteName(table) + " ORDER BY " + rid)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(rows.Rows))
	for i, r := range rows.Rows {
		ids[i] = r[0].Int
	}
	return ids, nil
}

// images reads the rows of one table as they are now, by rowid. A table
// that does not exist gives no images (the DDL that dropped it says so).
func (db *SQLite) images(table string, ids []int64) ([]RowImage, error) {
	names, stored, err := db.tableInfo(table)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	rid, err := rowidName(names)
	if err != nil {
		return nil, fmt.Errorf("host: sqlite: table %s: %w", table, err)
	}
	out := make([]RowImage, 0, len(ids))
	err = db.asHost(func() error {
		// The stored columns by name, in table_xinfo order: the text
		// changes with the columns, so a statement cached before an ALTER
		// TABLE is never reused after it (SELECT * is expanded when a
		// statement is prepared, and its column count stays the old one).
		var cols []string
		for i, n := range names {
			if stored[i] {
				cols = append(cols, quoteName(n))
			}
		}
		if len(cols) == 0 {
			return fmt.Errorf("host: sqlite: table %s has no stored column", table)
		}
		stmt, err := db.prepareHost("SELECT " + strings.Join(cols, ", ") + " FROM main." + quoteName(table) + " WHERE " + rid + " = ?1")
		if err != nil {
			return fmt.Errorf("host: sqlite: %w", err)
		}
		defer db.release(stmt)
		if stmt.ColumnCount() != len(cols) {
			return fmt.Errorf("host: sqlite: table %s: %d columns, table_xinfo lists %d stored", table, stmt.ColumnCount(), len(cols))
		}
		for _, id := range ids {
			img := RowImage{Table: table, RowID: id}
			stmt.Reset()
			if err := stmt.BindInt64(1, id); err != nil {
				return fmt.Errorf("host: sqlite: %w", err)
			}
			row, err := stmt.Step()
			if err != nil {
				return fmt.Errorf("host: sqlite: %w", err)
			}
			if row {
				img.Present = true
				for i := range cols {
					img.Values = append(img.Values, column(stmt, i))
				}
			}
			out = append(out, img)
		}
		return nil
	})
	return out, err
}

// column reads a value in its storage class.
func column(stmt *sqlite.Stmt, i int) abi.Value {
	switch stmt.ColumnType(i) {
	case sqlite.Integer:
		return abi.Integer(stmt.ColumnInt64(i))
	case sqlite.Float:
		return abi.Real(stmt.ColumnFloat(i))
	case sqlite.Text:
		return abi.Value{Kind: abi.KindText, Bytes: stmt.ColumnBlob(i)}
	case sqlite.Blob:
		return abi.Blob(stmt.ColumnBlob(i))
	}
	return abi.Null()
}

// flush reads the rows touched since the last flush into a Rows group.
// A table that received inserts also has its sqlite_sequence row read
// (AUTOINCREMENT's counter, which the hook does not report), so a replica
// built from the images hands out the same rowids.
func (db *SQLite) flush() error {
	if len(db.touched) == 0 {
		return nil
	}
	seq := len(db.inserts) > 0
	if seq {
		// No AUTOINCREMENT table, no sqlite_sequence (columns cached).
		names, _, err := db.tableInfo("sqlite_sequence")
		if err != nil {
			return err
		}
		seq = len(names) > 0
	}
	if seq {
		tables := make([]string, 0, len(db.inserts))
		for t := range db.inserts {
			tables = append(tables, t)
		}
		sort.Strings(tables)
		for _, t := range tables {
			rows, err := db.QueryHost("SELECT rowid FROM main.sqlite_sequence WHERE name = ?1 COLLATE NOCASE", abi.Text(t))
			if err != nil {
				if errors.Is(err, hostabi.ErrSQLError) { // no sqlite_sequence: no AUTOINCREMENT table
					break
				}
				return err
			}
			for _, r := range rows.Rows {
				db.touched[rowKey{"sqlite_sequence", r[0].Int}] = true
			}
		}
	}
	keys := make([]rowKey, 0, len(db.touched))
	for k := range db.touched {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].table != keys[j].table {
			return keys[i].table < keys[j].table
		}
		return keys[i].rowid < keys[j].rowid
	})
	var group []RowImage
	for i := 0; i < len(keys); {
		j := i
		var ids []int64
		for ; j < len(keys) && keys[j].table == keys[i].table; j++ {
			ids = append(ids, keys[j].rowid)
		}
		imgs, err := db.images(keys[i].table, ids)
		if err != nil {
			return err
		}
		group = append(group, imgs...)
		i = j
	}
	db.touched = map[rowKey]bool{}
	db.inserts = map[string]bool{}
	if len(group) > 0 {
		db.writes = append(db.writes, SQLWrite{Kind: SQLWriteRows, Rows: group})
	}
	return nil
}

// TakeWrites returns the call's SQL write set since the last TakeWrites or
// Begin (namespaces.md 5.2, 5.3) and forgets it: groups in execution order,
// a Rows group before each DDL group and, last, one of the rows touched
// since the last DDL, read now. Call it before the call's transaction
// commits or rolls back to its savepoint (rows are read from the database
// as it is). Rows of a table that no longer exists are left out: the DDL
// group that dropped it covers them.
func (db *SQLite) TakeWrites() ([]SQLWrite, error) {
	err := db.flush()
	w := db.writes
	db.resetWrites()
	return w, err
}

// resetWrites forgets everything tracked.
func (db *SQLite) resetWrites() {
	db.writes = nil
	db.touched = map[rowKey]bool{}
	db.inserts = map[string]bool{}
}

// TableRows reads every row of a table, by rowid (for DDL that rewrites a
// table's leaves: ALTER TABLE, CREATE TABLE ... AS SELECT). A table that
// does not exist has none.
func (db *SQLite) TableRows(table string) ([]RowImage, error) {
	t := lowerASCII(table)
	ids, err := db.rowids(t)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return db.images(t, ids)
}

// Query implements hostabi.DB.
func (db *SQLite) Query(ctx context.Context, query string, params []abi.Value) (abi.Rows, error) {
	return db.query(ctx, query, params, -1)
}

// QueryOne implements hostabi.DB: the statement stops after one row.
func (db *SQLite) QueryOne(ctx context.Context, query string, params []abi.Value) (abi.Rows, error) {
	return db.query(ctx, query, params, 1)
}

func (db *SQLite) query(ctx context.Context, query string, params []abi.Value, max int) (abi.Rows, error) {
	if !db.host {
		defer db.conn.SetInterrupt(context.Background())
	}
	stmt, err := db.prepare(ctx, query, params)
	if err != nil {
		return abi.Rows{}, err
	}
	defer db.release(stmt)
	if !stmt.ReadOnly() {
		return abi.Rows{}, fmt.Errorf("%w: the statement writes", hostabi.ErrSQLReadOnly)
	}
	n := stmt.ColumnCount()
	rows := abi.Rows{Columns: make([]string, n), Rows: [][]abi.Value{}}
	size := 8
	for i := range n {
		rows.Columns[i] = stmt.ColumnName(i)
		size += 4 + len(rows.Columns[i])
	}
	for max < 0 || len(rows.Rows) < max {
		more, err := stmt.Step()
		if err != nil {
			return abi.Rows{}, db.sqlError(err)
		}
		if !more {
			break
		}
		row := make([]abi.Value, n)
		for i := range n {
			row[i] = column(stmt, i)
			size += abi.ValueSize(row[i])
		}
		// Stop as soon as the result is too large: the rest need not be read.
		if size > hostabi.MaxResultBytes {
			return abi.Rows{}, fmt.Errorf("%w: over %d bytes", hostabi.ErrResultTooLarge, hostabi.MaxResultBytes)
		}
		rows.Rows = append(rows.Rows, row)
	}
	return rows, nil
}

// QueryEach runs one statement (for the query connection: SQLite refuses
// writes there, ErrSQLReadOnly) and calls fn with the column names and each
// row in turn, until the rows end or fn returns an error, which QueryEach
// returns as it is. Limits on rows and bytes are fn's to enforce. A
// deadline or cancellation of ctx interrupts the statement: the error then
// wraps ctx.Err() and sqlite.ErrInterrupt. Other errors are as Query's.
func (db *SQLite) QueryEach(ctx context.Context, query string, params []abi.Value, fn func(columns []string, row []abi.Value) error) error {
	defer db.conn.SetInterrupt(context.Background())
	stmt, err := db.prepare(ctx, query, params)
	if err != nil {
		return db.interrupted(ctx, err)
	}
	defer db.release(stmt)
	cols := make([]string, stmt.ColumnCount())
	for i := range cols {
		cols[i] = stmt.ColumnName(i)
	}
	for {
		more, err := stmt.Step()
		if err != nil {
			return db.interrupted(ctx, db.sqlError(err))
		}
		if !more {
			return nil
		}
		row := make([]abi.Value, len(cols))
		for i := range row {
			row[i] = column(stmt, i)
		}
		if err := fn(cols, row); err != nil {
			return err
		}
	}
}

// interrupted adds ctx's error to an interrupt's.
func (db *SQLite) interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, sqlite.ErrInterrupt) {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}

// begin, commit and rollback bracket one call's statements; the call's
// write set starts empty.
func (db *SQLite) begin() error {
	db.resetWrites()
	return db.Exec("BEGIN")
}
func (db *SQLite) commit() error { return db.Exec("COMMIT") }
func (db *SQLite) rollback() error {
	db.resetWrites()
	return db.Exec("ROLLBACK")
}
