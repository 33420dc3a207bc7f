package ns

import (
	"context"
	"fmt"
	"strings"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/host"
)

// hostReplica is the Replica on runtime/host's SQLite.
type hostReplica struct {
	*host.SQLite
}

// MemReplica is an in-memory replica (Verify, tests).
func MemReplica() (Replica, error) {
	db, err := host.NewSQLite()
	if err != nil {
		return nil, err
	}
	return &hostReplica{db}, nil
}

// OpenReplica opens the replica file at path (WAL, synchronous=NORMAL) and
// the read-only connection of the query endpoint on it.
func OpenReplica(path string) (Replica, QueryDB, error) {
	db, err := host.NewSQLiteFile(path)
	if err != nil {
		return nil, nil, err
	}
	r := &hostReplica{db}
	// The query connection needs the file to exist with its schema.
	if err := ensureLogTables(r); err != nil {
		db.Close()
		return nil, nil, err
	}
	q, err := newQueryPool(path, queryConns)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return r, q, nil
}

func (r *hostReplica) Begin() error    { return r.Exec("BEGIN") }
func (r *hostReplica) Commit() error   { return r.Exec("COMMIT") }
func (r *hostReplica) Rollback() error { return r.Exec("ROLLBACK") }

// Savepoints are taken and released for every entry and call: through
// ExecHost, whose prepared statements are kept, rather than parsed each time.
func (r *hostReplica) Savepoint(name string) error  { return r.execOne("SAVEPOINT " + name) }
func (r *hostReplica) Release(name string) error    { return r.execOne("RELEASE " + name) }
func (r *hostReplica) RollbackTo(name string) error { return r.execOne("ROLLBACK TO " + name) }

func (r *hostReplica) execOne(sql string) error {
	_, err := r.ExecHost(sql)
	return err
}

func (r *hostReplica) HostExec(sql string, args ...abi.Value) error {
	if len(args) == 0 {
		return r.Exec(sql)
	}
	_, err := r.ExecHost(sql, args...)
	return err
}

func (r *hostReplica) HostQuery(sql string, args ...abi.Value) (abi.Rows, error) {
	return r.QueryHost(sql, args...)
}

func (r *hostReplica) TakeWrites() ([]types.SQLWrite, error) {
	ws, err := r.SQLite.TakeWrites()
	if err != nil {
		return nil, err
	}
	out := make([]types.SQLWrite, 0, len(ws))
	for _, w := range ws {
		if w.Kind == host.SQLWriteDDL {
			out = append(out, types.SQLWrite{Kind: types.SQLWriteKindDDL, Ddl: w.DDL})
			continue
		}
		out = append(out, types.SQLWrite{Kind: types.SQLWriteKindRows, Rows: images(w.Rows)})
	}
	return out, nil
}

func images(rs []host.RowImage) []types.RowImage {
	out := make([]types.RowImage, 0, len(rs))
	for _, r := range rs {
		img := types.RowImage{Table: r.Table, Rowid: uint64(r.RowID), Present: r.Present}
		if r.Present {
			img.Values = encodeRow(r.Values)
		}
		out = append(out, img)
	}
	return out
}

// Schema lists sqlite_schema's user objects (not _orama_* or sqlite_*).
func (r *hostReplica) Schema() ([]SchemaEntry, error) {
	rows, err := r.QueryHost(`SELECT lower(name), type, lower(tbl_name), coalesce(sql, '') FROM sqlite_schema
		WHERE lower(name) NOT LIKE '\_orama\_%' ESCAPE '\' AND lower(name) NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY lower(name)`)
	if err != nil {
		return nil, err
	}
	out := make([]SchemaEntry, 0, len(rows.Rows))
	for _, row := range rows.Rows {
		out = append(out, SchemaEntry{Name: string(row[0].Bytes), Row: types.SchemaRow{
			Type: string(row[1].Bytes), TblName: string(row[2].Bytes), Sql: string(row[3].Bytes)}})
	}
	return out, nil
}

// TableRows reads a table's rows as images, by rowid.
func (r *hostReplica) TableRows(table string) ([]types.RowImage, error) {
	rs, err := r.SQLite.TableRows(table)
	if err != nil {
		return nil, err
	}
	return images(rs), nil
}

// Columns are a table's non-generated columns and its rowid alias.
func (r *hostReplica) Columns(table string) ([]string, int, error) {
	rows, err := r.QueryHost("SELECT name, hidden, lower(type), pk FROM pragma_table_xinfo(?1)", abi.Text(table))
	if err != nil {
		return nil, -1, err
	}
	var cols []string
	alias, pks := -1, 0
	for _, row := range rows.Rows {
		if row[3].Int > 0 {
			pks++
		}
		if row[1].Int != 0 { // 2, 3: generated columns
			continue
		}
		if row[3].Int == 1 && string(row[2].Bytes) == "integer" {
			alias = len(cols)
		}
		cols = append(cols, string(row[0].Bytes))
	}
	if pks != 1 {
		alias = -1
	}
	return cols, alias, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// encodeRow is Borsh vec<SQLValue> (contracts.md Encodings).
func encodeRow(vals []abi.Value) []byte { return abi.AppendParams(nil, vals) }

func decodeRow(b []byte) ([]abi.Value, error) { return abi.DecodeParams(b, 1<<20) }

// queryConns is how many read-only connections serve a namespace's query
// endpoint at once; more requests wait for one (within their deadline).
const queryConns = 2

// queryPool holds the read-only connections of the query endpoint. A SQLite
// connection runs one statement at a time: each query takes a connection
// for itself.
type queryPool struct {
	conns chan *host.SQLite
	all   []*host.SQLite
}

func newQueryPool(path string, n int) (*queryPool, error) {
	p := &queryPool{conns: make(chan *host.SQLite, n)}
	for range n {
		q, err := host.NewSQLiteQuery(path)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.all = append(p.all, q)
		p.conns <- q
	}
	return p, nil
}

func (p *queryPool) Close() error {
	for _, q := range p.all {
		q.Close()
	}
	return nil
}

// ReadQuery runs one statement on a read-only connection, stopping after
// maxRows rows or MaxQueryBytes of values (Truncated); a first row larger
// than that alone is result_too_large.
func (p *queryPool) ReadQuery(ctx context.Context, sql string, params []abi.Value, maxRows int) (*QueryResult, error) {
	var q *host.SQLite
	select {
	case q = <-p.conns:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
	defer func() { p.conns <- q }()
	res := &QueryResult{Rows: [][]abi.Value{}}
	size := 0
	errStop := fmt.Errorf("stop")
	err := q.QueryEach(ctx, sql, params, func(cols []string, row []abi.Value) error {
		res.Columns = cols
		if len(res.Rows) == maxRows {
			res.Truncated = true
			return errStop
		}
		rowSize := 0
		for _, v := range row {
			rowSize += abi.ValueSize(v)
		}
		if size+rowSize > MaxQueryBytes {
			if len(res.Rows) == 0 {
				return fmt.Errorf("%w: one row of %d bytes, over %d", hostabi.ErrResultTooLarge, rowSize, MaxQueryBytes)
			}
			res.Truncated = true
			return errStop
		}
		size += rowSize
		res.Rows = append(res.Rows, row)
		return nil
	})
	if err != nil && err != errStop {
		return nil, err
	}
	return res, nil
}

// MaxQueryBytes bounds a query answer's values (namespaces.md 2.1).
const MaxQueryBytes = 4 << 20
