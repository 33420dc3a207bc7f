package rpc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/oramanetwork/orama-chain/runtime/abi"
)

// SQL values as JSON (spec/openapi.yaml SQLValue): {"i": "-5"} INTEGER,
// {"r": 1.5} REAL ("Infinity", "-Infinity" for the infinities), {"t": "x"}
// TEXT, {"b": "0x00"} BLOB, null NULL.

// maxSQLParams is NamespaceQueryRequest.params' maxItems.
const maxSQLParams = 256

// decodeSQLParams decodes the params of a query body strictly: an array of
// SQLValue, each an object with exactly one known key (no repeats) or null,
// an INTEGER in canonical signed 64-bit decimal, a finite REAL (or one of
// the two infinity strings), a BLOB as 0x + lowercase hex.
func decodeSQLParams(raw []byte) ([]abi.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if t == nil {
		return nil, nil // "params": null is no params
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return nil, errors.New("params must be an array")
	}
	out := []abi.Value{}
	for dec.More() {
		if len(out) == maxSQLParams {
			return nil, fmt.Errorf("more than %d params", maxSQLParams)
		}
		v, err := decodeSQLValue(dec)
		if err != nil {
			return nil, fmt.Errorf("params[%d]: %w", len(out), err)
		}
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the params array")
	}
	return out, nil
}

// decodeSQLValue reads one SQLValue from dec.
func decodeSQLValue(dec *json.Decoder) (abi.Value, error) {
	t, err := dec.Token()
	if err != nil {
		return abi.Value{}, fmt.Errorf("not JSON: %w", err)
	}
	if t == nil {
		return abi.Null(), nil
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return abi.Value{}, errors.New(`a value is null or an object with one of "i", "r", "t", "b"`)
	}
	kt, err := dec.Token()
	if err != nil {
		return abi.Value{}, fmt.Errorf("not JSON: %w", err)
	}
	key, ok := kt.(string)
	if !ok {
		return abi.Value{}, errors.New(`an empty object: want one of "i", "r", "t", "b"`)
	}
	vt, err := dec.Token()
	if err != nil {
		return abi.Value{}, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := vt.(json.Delim); ok {
		return abi.Value{}, fmt.Errorf("%q holds a JSON %s, not a scalar", key, delimKind(d))
	}
	var v abi.Value
	switch key {
	case "i":
		s, ok := vt.(string)
		if !ok {
			return abi.Value{}, errors.New(`"i" is a decimal string, e.g. "-5"`)
		}
		n, err := parseI64(s)
		if err != nil {
			return abi.Value{}, err
		}
		v = abi.Integer(n)
	case "r":
		switch x := vt.(type) {
		case json.Number:
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil || math.IsInf(f, 0) {
				return abi.Value{}, fmt.Errorf(`"r" %s is not a finite 64-bit float`, x)
			}
			v = abi.Real(f)
		case string:
			switch x {
			case "Infinity":
				v = abi.Real(math.Inf(1))
			case "-Infinity":
				v = abi.Real(math.Inf(-1))
			default:
				return abi.Value{}, fmt.Errorf(`"r" %q: a number, "Infinity" or "-Infinity"`, x)
			}
		default:
			return abi.Value{}, errors.New(`"r" is a number`)
		}
	case "t":
		s, ok := vt.(string)
		if !ok {
			return abi.Value{}, errors.New(`"t" is a string`)
		}
		v = abi.Text(s)
	case "b":
		s, ok := vt.(string)
		if !ok {
			return abi.Value{}, errors.New(`"b" is 0x + lowercase hex`)
		}
		raw, ok := strings.CutPrefix(s, "0x")
		b, err := hex.DecodeString(raw)
		if !ok || err != nil || strings.ToLower(raw) != raw {
			return abi.Value{}, errors.New(`"b" is 0x + lowercase hex`)
		}
		v = abi.Blob(b)
	default:
		return abi.Value{}, fmt.Errorf(`unknown key %q: want one of "i", "r", "t", "b"`, key)
	}
	end, err := dec.Token()
	if err != nil {
		return abi.Value{}, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := end.(json.Delim); !ok || d != '}' {
		return abi.Value{}, errors.New("a value object has exactly one key")
	}
	return v, nil
}

func delimKind(d json.Delim) string {
	if d == '[' {
		return "array"
	}
	return "object"
}

// parseI64 parses a canonical signed 64-bit decimal: no sign on 0, no "+",
// no leading zeros.
func parseI64(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf(`"i" %q is not a signed 64-bit integer in canonical decimal`, s)
	}
	return n, nil
}

// appendSQLValue appends v as SQLValue JSON. TEXT that is not UTF-8 has its
// bad bytes replaced by U+FFFD (JSON holds only Unicode).
func appendSQLValue(b []byte, v abi.Value) []byte {
	switch v.Kind {
	case abi.KindInteger:
		b = append(b, `{"i":"`...)
		b = strconv.AppendInt(b, v.Int, 10)
		return append(b, `"}`...)
	case abi.KindReal:
		switch {
		case math.IsInf(v.Real, 1):
			return append(b, `{"r":"Infinity"}`...)
		case math.IsInf(v.Real, -1):
			return append(b, `{"r":"-Infinity"}`...)
		case math.IsNaN(v.Real): // SQLite stores NaN as NULL; never here
			return append(b, "null"...)
		}
		b = append(b, `{"r":`...)
		b = appendFloat(b, v.Real)
		return append(b, '}')
	case abi.KindText:
		b = append(b, `{"t":`...)
		b = appendJSONString(b, v.Bytes)
		return append(b, '}')
	case abi.KindBlob:
		b = append(b, `{"b":"0x`...)
		b = hex.AppendEncode(b, v.Bytes)
		return append(b, `"}`...)
	}
	return append(b, "null"...)
}

// appendFloat writes a finite float as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // clean up e-09 to e-9, as encoding/json
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString appends s as a JSON string, invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s []byte) []byte {
	if !utf8.Valid(s) {
		s = bytes.ToValidUTF8(s, []byte("\uFFFD"))
	}
	enc, _ := json.Marshal(string(s)) // a string: cannot fail
	return append(b, enc...)
}

// encodeRows writes rows as a JSON array of arrays of SQLValue, stopping
// before the array would pass limit bytes: more reports rows left out. A
// first row alone over the limit is result_too_large.
func encodeRows(rows [][]abi.Value, limit int) (json.RawMessage, bool, error) {
	b := []byte{'['}
	for i, row := range rows {
		mark := len(b)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range row {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendSQLValue(b, v)
		}
		b = append(b, ']')
		if len(b)+1 > limit {
			if i == 0 {
				return nil, false, newError(http.StatusRequestEntityTooLarge, CodeResultTooLarge,
					"the first row alone is over the %d-byte answer", limit)
			}
			return append(b[:mark], ']'), true, nil
		}
	}
	return append(b, ']'), false, nil
}
