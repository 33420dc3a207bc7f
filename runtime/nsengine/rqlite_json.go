package nsengine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// rqResponse is the JSON rqlite v8 answers /db/execute and /db/query with.
type rqResponse struct {
	Results []rqResult `json:"results"`
	Error   string     `json:"error"`
}

type rqResult struct {
	Columns []string            `json:"columns"`
	Types   []string            `json:"types"`
	Values  [][]json.RawMessage `json:"values"`
	Error   string              `json:"error"`
}

// decodeRQLiteResponse decodes an answer of /db/execute or /db/query.
// Errors wrap ErrMalformed.
func decodeRQLiteResponse(b []byte) (*rqResponse, error) {
	var r rqResponse
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: rqlite answer: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: rqlite answer: data after the JSON value", ErrMalformed)
	}
	return &r, nil
}

// rows converts a query result, checking its shape. Errors wrap
// ErrMalformed.
func (res *rqResult) rows() (*Rows, error) {
	if len(res.Types) != len(res.Columns) {
		return nil, fmt.Errorf("%w: %d columns, %d types", ErrMalformed, len(res.Columns), len(res.Types))
	}
	rows := &Rows{Columns: res.Columns, Types: res.Types}
	if rows.Columns == nil {
		rows.Columns = []string{}
		rows.Types = []string{}
	}
	rows.Values = make([][]Value, len(res.Values))
	for i, raw := range res.Values {
		if len(raw) != len(res.Columns) {
			return nil, fmt.Errorf("%w: row %d has %d values for %d columns", ErrMalformed, i, len(raw), len(res.Columns))
		}
		row := make([]Value, len(raw))
		for j, v := range raw {
			val, err := decodeValue(v, res.Types[j])
			if err != nil {
				return nil, fmt.Errorf("row %d, column %q: %w", i, res.Columns[j], err)
			}
			row[j] = val
		}
		rows.Values[i] = row
	}
	return rows, nil
}

// realAffinity reports whether a declared type has SQLite's REAL affinity
// (rule order of "Determination of column affinity": INT first, then text
// and blob, then REAL, FLOA, DOUB).
func realAffinity(declared string) bool {
	t := strings.ToUpper(declared)
	if strings.Contains(t, "INT") || strings.Contains(t, "CHAR") || strings.Contains(t, "CLOB") ||
		strings.Contains(t, "TEXT") || strings.Contains(t, "BLOB") {
		return false
	}
	return strings.Contains(t, "REAL") || strings.Contains(t, "FLOA") || strings.Contains(t, "DOUB")
}

// decodeValue decodes one value of a result (requested with blob_array) in
// a column of the given declared type. Errors wrap ErrMalformed.
func decodeValue(raw json.RawMessage, declared string) (Value, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Value{}, fmt.Errorf("%w: empty value", ErrMalformed)
	}
	switch raw[0] {
	case 'n':
		if string(raw) == "null" {
			return Null(), nil
		}
	case 't':
		if string(raw) == "true" { // a BOOLEAN column
			return Int(1), nil
		}
	case 'f':
		if string(raw) == "false" {
			return Int(0), nil
		}
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Value{}, fmt.Errorf("%w: text value: %v", ErrMalformed, err)
		}
		return TextValue(s), nil
	case '[':
		var nums []json.Number
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&nums); err != nil {
			return Value{}, fmt.Errorf("%w: blob value: %v", ErrMalformed, err)
		}
		blob := make([]byte, len(nums))
		for i, n := range nums {
			v, err := strconv.ParseUint(n.String(), 10, 8)
			if err != nil {
				return Value{}, fmt.Errorf("%w: blob byte %d: %q", ErrMalformed, i, n.String())
			}
			blob[i] = byte(v)
		}
		return BlobValue(blob), nil
	default:
		if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
			return decodeNumber(string(raw), declared)
		}
	}
	return Value{}, fmt.Errorf("%w: value %.40q", ErrMalformed, raw)
}

// decodeNumber: a float when the literal has a fraction or an exponent, or
// the column has REAL affinity, or it does not fit in an int64 (encoding/json
// writes floats below 1e21 without an exponent); else an integer.
func decodeNumber(s, declared string) (Value, error) {
	if !json.Valid([]byte(s)) {
		return Value{}, fmt.Errorf("%w: number %.40q", ErrMalformed, s)
	}
	if !strings.ContainsAny(s, ".eE") && !realAffinity(declared) {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return Int(i), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Value{}, fmt.Errorf("%w: number %.40q: %v", ErrMalformed, s, err)
	}
	return Float(f), nil
}

// rqStatus is the part of GET /status the client reads.
type rqStatus struct {
	Store struct {
		NodeID string `json:"node_id"`
		Leader struct {
			NodeID string `json:"node_id"`
		} `json:"leader"`
		Raft struct {
			State string `json:"state"`
		} `json:"raft"`
	} `json:"store"`
}

// decodeRQLiteStatus decodes GET /status. Errors wrap ErrMalformed.
func decodeRQLiteStatus(b []byte) (*rqStatus, error) {
	var st rqStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%w: status: %v", ErrMalformed, err)
	}
	if st.Store.NodeID == "" {
		return nil, fmt.Errorf("%w: status without store.node_id", ErrMalformed)
	}
	return &st, nil
}

// leader: the node's Raft state is Leader (and it names itself leader when
// it names one at all).
func (st *rqStatus) leader() bool {
	if st.Store.Raft.State != "Leader" {
		return false
	}
	return st.Store.Leader.NodeID == "" || st.Store.Leader.NodeID == st.Store.NodeID
}
