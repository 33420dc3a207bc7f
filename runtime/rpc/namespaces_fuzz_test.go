package rpc

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/runtime/abi"
)

// sqlValueSchemaCheck validates a JSON value against the spec's SQLValue.
func sqlValueSchemaCheck(t *testing.T, raw []byte) {
	t.Helper()
	doc, err := specDoc()
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, raw)
	}
	if err := doc.Components.Schemas["SQLValue"].Value.VisitJSON(v); err != nil {
		t.Fatalf("%s breaks SQLValue: %v", raw, err)
	}
}

// FuzzSQLParams: the query body's params decoder never panics, refuses
// with an error (a 400 bad_request in the handler), and what it accepts
// encodes back to values it decodes to the same (each valid SQLValue JSON).
//
//	go test -run '^$' -fuzz FuzzSQLParams -fuzztime 60s ./runtime/rpc/
func FuzzSQLParams(f *testing.F) {
	for _, s := range []string{
		`[]`, `null`, `[null]`, `[{"i":"0"},{"i":"-9223372036854775808"},{"i":"9223372036854775807"}]`,
		`[{"r":1.5},{"r":-0},{"r":1e308},{"r":"Infinity"},{"r":"-Infinity"},{"r":5e-324}]`,
		`[{"t":""},{"t":"x\u0000y"},{"t":"\ud83d\ude00"},{"b":"0x"},{"b":"0x00ff"}]`,
		`[{"i":"01"}]`, `[{"i":"-0"}]`, `[{"i":5}]`, `[{"r":"NaN"}]`, `[{"r":1e999}]`, `[{"b":"0xAB"}]`,
		`[{"i":"1","t":"x"}]`, `[{}]`, `[[1]]`, `[{"t":{"x":1}}]`, `{"i":"1"}`, `[1]`, `[{"i":"1"}] x`, `[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, err := decodeSQLParams(data)
		if err != nil {
			return
		}
		if len(vals) > maxSQLParams {
			t.Fatalf("%d params accepted", len(vals))
		}
		enc := []byte{'['}
		for i, v := range vals {
			if i > 0 {
				enc = append(enc, ',')
			}
			one := appendSQLValue(nil, v)
			sqlValueSchemaCheck(t, one)
			enc = append(enc, one...)
		}
		enc = append(enc, ']')
		back, err := decodeSQLParams(enc)
		if err != nil {
			t.Fatalf("%s (from %q) does not decode: %v", enc, data, err)
		}
		if len(back) != len(vals) {
			t.Fatalf("%d values, %d back", len(vals), len(back))
		}
		for i := range vals {
			if !back[i].Equal(vals[i]) {
				t.Fatalf("value %d: %v, back %v", i, vals[i], back[i])
			}
		}
	})
}

// FuzzSQLValueJSON: every SQL value a query can give encodes to JSON valid
// against SQLValue, and the params decoder reads it back (TEXT that is not
// UTF-8 comes back with U+FFFD).
func FuzzSQLValueJSON(f *testing.F) {
	f.Add(uint8(0), int64(0), 0.0, []byte(nil))
	f.Add(uint8(1), int64(math.MinInt64), 0.0, []byte(nil))
	f.Add(uint8(2), int64(0), math.Inf(-1), []byte(nil))
	f.Add(uint8(2), int64(0), 1e-7, []byte(nil))
	f.Add(uint8(3), int64(0), 0.0, []byte("a\xffb\"<&>\u2028"))
	f.Add(uint8(4), int64(0), 0.0, []byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, kind uint8, i int64, r float64, b []byte) {
		var v abi.Value
		switch kind % 5 {
		case 0:
			v = abi.Null()
		case 1:
			v = abi.Integer(i)
		case 2:
			if math.IsNaN(r) {
				return // SQLite stores NaN as NULL: never a value
			}
			v = abi.Real(r)
		case 3:
			v = abi.Value{Kind: abi.KindText, Bytes: b}
		case 4:
			v = abi.Blob(b)
		}
		enc := appendSQLValue(nil, v)
		sqlValueSchemaCheck(t, enc)
		back, err := decodeSQLParams(append(append([]byte{'['}, enc...), ']'))
		if err != nil || len(back) != 1 {
			t.Fatalf("%s does not decode: %v", enc, err)
		}
		want := v
		if v.Kind == abi.KindText && !utf8.Valid(b) {
			want = abi.Text(strings.ToValidUTF8(string(b), "\uFFFD"))
		}
		if !back[0].Equal(want) {
			t.Fatalf("%v -> %s -> %v", v, enc, back[0])
		}
		rows, more, err := encodeRows([][]abi.Value{{v, v}}, 1<<20)
		if err != nil || more || !json.Valid(rows) {
			t.Fatalf("rows %s more %v: %v", rows, more, err)
		}
	})
}

// FuzzViewBody: a view body that passes the schema's JSON shape is decoded
// into a call within NsCall's limits, or refused with a 400 bad_request;
// never a panic.
//
//	go test -run '^$' -fuzz FuzzViewBody -fuzztime 60s ./runtime/rpc/
func FuzzViewBody(f *testing.F) {
	for _, s := range []string{
		`{"function":"get","gas_limit":"1000000"}`,
		`{"function":"increment","args":["1","18446744073709551615"],"input":"0x00ff","caller":"@alice","gas_limit":"1"}`,
		`{"function":"","gas_limit":"1"}`,
		`{"function":"f","gas_limit":"18446744073709551616"}`,
		`{"function":"f","gas_limit":"1","args":["-1"]}`,
		`{"function":"f","gas_limit":"1","input":"0xAB"}`,
		`{"function":"f","gas_limit":"1","input":"00"}`,
		`{"function":"f","gas_limit":"1","args":null,"input":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b api.NamespaceViewRequest
		if json.Unmarshal(data, &b) != nil {
			return
		}
		v, err := decodeViewBody(&b)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Code != CodeBadRequest {
				t.Fatalf("%s: %v", data, err)
			}
			return
		}
		if v.call.Function == "" || len(v.call.Function) > maxFunctionBytes || len(v.call.Args) > maxCallArgs ||
			len(v.call.Input) > maxCallInput || v.call.Args == nil || v.call.Input == nil {
			t.Fatalf("%s decoded to %+v", data, v.call)
		}
		if _, err := v.call.MarshalBorsh(); err != nil {
			t.Fatalf("%s: the call does not encode: %v", data, err)
		}
	})
}
