package abi

import (
	"errors"
	"fmt"
	"math"

	"github.com/oramanetwork/orama-chain/runtime/borsh"
)

// ErrTooLarge reports a Rows encoding over the limit the caller gave.
var ErrTooLarge = errors.New("abi: result too large")

// ExecResult is what db.execute reports of a statement that succeeded.
type ExecResult struct {
	RowsAffected uint64
	// LastInsertID is the rowid of the last row the statement inserted, or 0
	// when it inserted none (not SQLite's connection-wide value, which would
	// make the result depend on earlier calls).
	LastInsertID int64
}

// AppendExecResult appends an ExecResult encoding: the status word, then the
// result when status is 0.
func AppendExecResult(b []byte, status uint32, r ExecResult) []byte {
	b = borsh.AppendU32(b, status)
	if status != 0 {
		return b
	}
	b = borsh.AppendU64(b, r.RowsAffected)
	return borsh.AppendU64(b, uint64(r.LastInsertID))
}

// DecodeExecResult decodes an ExecResult encoding.
func DecodeExecResult(in []byte) (uint32, ExecResult, error) {
	r := borsh.NewReader(in)
	status := r.U32("ExecResult.status")
	var out ExecResult
	if status == 0 {
		out.RowsAffected = r.U64("ExecResult.rows_affected")
		out.LastInsertID = int64(r.U64("ExecResult.last_insert_id"))
	}
	if err := r.Finish("ExecResult"); err != nil {
		return 0, ExecResult{}, malformed("ExecResult", err)
	}
	return status, out, nil
}

// Rows is a query's result: column names and, per row, one value per column.
type Rows struct {
	Columns []string
	Rows    [][]Value
}

// Equal compares two results value by value (see Value.Equal).
func (rs Rows) Equal(o Rows) bool {
	if len(rs.Columns) != len(o.Columns) || len(rs.Rows) != len(o.Rows) {
		return false
	}
	for i := range rs.Columns {
		if rs.Columns[i] != o.Columns[i] {
			return false
		}
	}
	for i := range rs.Rows {
		if len(rs.Rows[i]) != len(o.Rows[i]) {
			return false
		}
		for j := range rs.Rows[i] {
			if !rs.Rows[i][j].Equal(o.Rows[i][j]) {
				return false
			}
		}
	}
	return true
}

// RowsSize is the length of the payload AppendRows writes after the status
// word, so a host can refuse an oversized result before encoding it.
func RowsSize(rs Rows) int {
	n := 4
	for _, c := range rs.Columns {
		n += 4 + len(c)
	}
	n += 4
	for _, row := range rs.Rows {
		for _, v := range row {
			n += ValueSize(v)
		}
	}
	return n
}

// AppendRows appends a Rows encoding: the status word, then, when status is
// 0, the columns, the row count and every row's values. Every row must have
// one value per column.
func AppendRows(b []byte, status uint32, rs Rows) ([]byte, error) {
	b = borsh.AppendU32(b, status)
	if status != 0 {
		return b, nil
	}
	b = borsh.AppendU32(b, uint32(len(rs.Columns)))
	for _, c := range rs.Columns {
		b = borsh.AppendU32(b, uint32(len(c)))
		b = append(b, c...)
	}
	b = borsh.AppendU32(b, uint32(len(rs.Rows)))
	for i, row := range rs.Rows {
		if len(row) != len(rs.Columns) {
			return nil, fmt.Errorf("abi: row %d has %d values for %d columns", i, len(row), len(rs.Columns))
		}
		for _, v := range row {
			b = AppendValue(b, v)
		}
	}
	return b, nil
}

// DecodeRows decodes a Rows encoding. Column names must be UTF-8; a row
// count whose rows cannot fit in the input is refused before allocating.
func DecodeRows(in []byte) (uint32, Rows, error) {
	r := borsh.NewReader(in)
	status := r.U32("Rows.status")
	var out Rows
	if status == 0 {
		nc := r.Len(math.MaxInt32, 4, "Rows.columns")
		out.Columns = make([]string, 0, nc)
		for i := 0; i < nc && r.Err() == nil; i++ {
			out.Columns = append(out.Columns, r.String(math.MaxInt32, "Rows.columns"))
		}
		// A row of nc values takes at least nc bytes; a row of no columns
		// takes none, so such a result may hold no rows.
		per := nc
		if per == 0 {
			per = len(in) + 1
		}
		nr := r.Len(math.MaxInt32, per, "Rows.rows")
		out.Rows = make([][]Value, 0, nr)
		for i := 0; i < nr && r.Err() == nil; i++ {
			row := make([]Value, 0, nc)
			for j := 0; j < nc && r.Err() == nil; j++ {
				row = append(row, readValue(&r, math.MaxInt32, "Rows.value"))
			}
			out.Rows = append(out.Rows, row)
		}
	}
	if err := r.Finish("Rows"); err != nil {
		return 0, Rows{}, malformed("Rows", err)
	}
	return status, out, nil
}
