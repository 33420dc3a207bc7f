package host

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ncruces/go-sqlite3"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/runtime/abi"
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
}

// SQLite is the reference DB: one in-memory SQLite database. Contract
// statements run under an authorizer that refuses what could make nodes
// disagree or escape the host's transactions. It is not safe for concurrent
// use; Env serialises calls.
type SQLite struct {
	conn *sqlite3.Conn
	// host is set while the host itself runs statements (transactions,
	// set-up), which the authorizer lets through.
	host bool
	// denied records that the authorizer refused something of the statement
	// being prepared, which SQLite reports as a plain SQL error.
	denied string
}

// NewSQLite opens an empty in-memory database.
func NewSQLite() (*SQLite, error) {
	conn, err := sqlite3.Open(":memory:")
	if err != nil {
		return nil, fmt.Errorf("host: sqlite: %w", err)
	}
	db := &SQLite{conn: conn}
	conn.Limit(sqlite3.LIMIT_SQL_LENGTH, hostabi.MaxSQLBytes)
	conn.Limit(sqlite3.LIMIT_VARIABLE_NUMBER, hostabi.MaxSQLParams)
	conn.Limit(sqlite3.LIMIT_LENGTH, hostabi.MaxResultBytes)
	conn.Limit(sqlite3.LIMIT_ATTACHED, 0)
	if err := conn.SetAuthorizer(db.authorize); err != nil {
		conn.Close()
		return nil, fmt.Errorf("host: sqlite authorizer: %w", err)
	}
	return db, nil
}

// Close closes the database.
func (db *SQLite) Close() error { return db.conn.Close() }

func (db *SQLite) authorize(action sqlite3.AuthorizerActionCode, name3, name4, schema, inner string) sqlite3.AuthorizerReturnCode {
	if db.host {
		return sqlite3.AUTH_OK
	}
	deny := ""
	switch action {
	case sqlite3.AUTH_PRAGMA, sqlite3.AUTH_ATTACH, sqlite3.AUTH_DETACH,
		sqlite3.AUTH_TRANSACTION, sqlite3.AUTH_SAVEPOINT,
		sqlite3.AUTH_CREATE_VTABLE, sqlite3.AUTH_DROP_VTABLE,
		sqlite3.AUTH_CREATE_TEMP_INDEX, sqlite3.AUTH_CREATE_TEMP_TABLE,
		sqlite3.AUTH_CREATE_TEMP_TRIGGER, sqlite3.AUTH_CREATE_TEMP_VIEW:
		deny = fmt.Sprintf("action %d", action)
	case sqlite3.AUTH_FUNCTION:
		if deniedFunctions[strings.ToLower(name4)] {
			deny = "function " + strings.ToLower(name4)
		}
	}
	if schema != "" && schema != "main" {
		deny = "schema " + schema
	}
	if deny != "" {
		if db.denied == "" {
			db.denied = deny
		}
		return sqlite3.AUTH_DENY
	}
	return sqlite3.AUTH_OK
}

// Exec runs statements as the host (set-up, not a contract): no authorizer,
// several statements allowed.
func (db *SQLite) Exec(sql string) error {
	db.host = true
	defer func() { db.host = false }()
	if err := db.conn.Exec(sql); err != nil {
		return fmt.Errorf("host: sqlite: %w", err)
	}
	return nil
}

// QueryHost runs one read-only statement as the host (for checks and the
// vectors' expected state).
func (db *SQLite) QueryHost(query string, params ...abi.Value) (abi.Rows, error) {
	db.host = true
	defer func() { db.host = false }()
	return db.Query(context.Background(), query, params)
}

// prepare compiles exactly one statement and binds params, one per
// parameter the statement has.
func (db *SQLite) prepare(ctx context.Context, query string, params []abi.Value) (*sqlite3.Stmt, error) {
	db.denied = ""
	db.conn.SetInterrupt(ctx)
	stmt, tail, err := db.conn.Prepare(query)
	if err != nil {
		return nil, db.sqlError(err)
	}
	if stmt == nil {
		return nil, fmt.Errorf("%w: no statement", hostabi.ErrSQLError)
	}
	// Whatever follows must be whitespace or comments: one call, one statement.
	for strings.TrimSpace(tail) != "" {
		var next *sqlite3.Stmt
		next, tail, err = db.conn.Prepare(tail)
		if next != nil {
			next.Close()
			stmt.Close()
			return nil, fmt.Errorf("%w: more than one statement", hostabi.ErrSQLError)
		}
		if err != nil {
			stmt.Close()
			return nil, db.sqlError(err)
		}
	}
	if stmt.BindCount() != len(params) {
		stmt.Close()
		return nil, fmt.Errorf("%w: the statement takes %d parameters, got %d", hostabi.ErrSQLError, stmt.BindCount(), len(params))
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
			err = stmt.BindRawText(i+1, v.Bytes)
		case abi.KindBlob:
			err = stmt.BindBlob(i+1, v.Bytes)
		default:
			err = fmt.Errorf("%w: value kind %d", abi.ErrMalformed, v.Kind)
		}
		if err != nil {
			stmt.Close()
			return nil, db.sqlError(err)
		}
	}
	return stmt, nil
}

// sqlError maps SQLite's error to the status errors of spec/hostfuncs.yaml.
// What a statement can cause is a status; what the database suffers (I/O,
// memory, an interrupt) is a host failure.
func (db *SQLite) sqlError(err error) error {
	if db.denied != "" {
		return fmt.Errorf("%w: %s: %v", hostabi.ErrSQLDenied, db.denied, err)
	}
	switch {
	case errors.Is(err, sqlite3.CONSTRAINT):
		return fmt.Errorf("%w: %v", hostabi.ErrSQLConstraint, err)
	case errors.Is(err, sqlite3.READONLY):
		return fmt.Errorf("%w: %v", hostabi.ErrSQLReadOnly, err)
	case errors.Is(err, sqlite3.AUTH):
		return fmt.Errorf("%w: %v", hostabi.ErrSQLDenied, err)
	case errors.Is(err, sqlite3.ERROR), errors.Is(err, sqlite3.MISMATCH), errors.Is(err, sqlite3.RANGE),
		errors.Is(err, sqlite3.TOOBIG), errors.Is(err, sqlite3.SCHEMA):
		return fmt.Errorf("%w: %v", hostabi.ErrSQLError, err)
	}
	return fmt.Errorf("host: sqlite: %w", err)
}

// Execute implements hostabi.DB.
func (db *SQLite) Execute(ctx context.Context, query string, params []abi.Value) (abi.ExecResult, error) {
	stmt, err := db.prepare(ctx, query, params)
	if err != nil {
		return abi.ExecResult{}, err
	}
	defer stmt.Close()
	total := db.conn.TotalChanges()
	db.conn.SetLastInsertRowID(0)
	if err := stmt.Exec(); err != nil {
		return abi.ExecResult{}, db.sqlError(err)
	}
	var res abi.ExecResult
	// Changes is the last INSERT, UPDATE or DELETE's, even when this
	// statement was none: count it only if this one changed something.
	if db.conn.TotalChanges() != total {
		res.RowsAffected = uint64(db.conn.Changes())
	}
	res.LastInsertID = db.conn.LastInsertRowID()
	return res, nil
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
	stmt, err := db.prepare(ctx, query, params)
	if err != nil {
		return abi.Rows{}, err
	}
	defer stmt.Close()
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
	for (max < 0 || len(rows.Rows) < max) && stmt.Step() {
		row := make([]abi.Value, n)
		for i := range n {
			switch stmt.ColumnType(i) {
			case sqlite3.INTEGER:
				row[i] = abi.Integer(stmt.ColumnInt64(i))
			case sqlite3.FLOAT:
				row[i] = abi.Real(stmt.ColumnFloat(i))
			case sqlite3.TEXT:
				row[i] = abi.Value{Kind: abi.KindText, Bytes: append([]byte{}, stmt.ColumnRawText(i)...)}
			case sqlite3.BLOB:
				row[i] = abi.Blob(append([]byte{}, stmt.ColumnRawBlob(i)...))
			default:
				row[i] = abi.Null()
			}
			size += abi.ValueSize(row[i])
		}
		// Stop as soon as the result is too large: the rest need not be read.
		if size > hostabi.MaxResultBytes {
			return abi.Rows{}, fmt.Errorf("%w: over %d bytes", hostabi.ErrResultTooLarge, hostabi.MaxResultBytes)
		}
		rows.Rows = append(rows.Rows, row)
	}
	if err := stmt.Err(); err != nil {
		return abi.Rows{}, db.sqlError(err)
	}
	return rows, nil
}

// begin, commit and rollback bracket one call's statements.
func (db *SQLite) begin() error    { return db.Exec("BEGIN") }
func (db *SQLite) commit() error   { return db.Exec("COMMIT") }
func (db *SQLite) rollback() error { return db.Exec("ROLLBACK") }
