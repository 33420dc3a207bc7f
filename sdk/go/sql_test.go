package orama

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/oramanetwork/orama-chain/runtime/abi"
)

// The guest's encoders and decoders are a second implementation of
// spec/contracts.md "Encodings"; these tests hold them to the host's
// (runtime/abi) byte for byte.

func toABI(v Value) abi.Value {
	return abi.Value{Kind: abi.Kind(v.Kind), Int: v.Int, Real: v.Real, Bytes: v.Bytes}
}

func TestEncodeParamsMatchesHost(t *testing.T) {
	vals := []Value{Null(), Int(math.MinInt64), Real(-0.0), Real(math.Inf(1)), Text("héllo"), Blob([]byte{0, 1, 2}), Blob(nil)}
	var host []abi.Value
	for _, v := range vals {
		host = append(host, toABI(v))
	}
	if got, want := EncodeParams(vals...), abi.AppendParams(nil, host); !bytes.Equal(got, want) {
		t.Fatalf("EncodeParams %x, host %x", got, want)
	}
	if EncodeParams() != nil {
		t.Fatal("no parameters must encode as nothing")
	}
	if got, want := EncodeEvent("topic", []byte{9}), abi.AppendEvent(nil, "topic", []byte{9}); !bytes.Equal(got, want) {
		t.Fatalf("EncodeEvent %x, host %x", got, want)
	}
}

func TestDecodeMatchesHost(t *testing.T) {
	rows := abi.Rows{Columns: []string{"a", "b"}, Rows: [][]abi.Value{{abi.Integer(1), abi.Text("x")}, {abi.Null(), abi.Blob([]byte{7})}}}
	enc, _ := abi.AppendRows(nil, 0, rows)
	got, err := DecodeRows(enc)
	if err != nil || len(got.Rows) != 2 || got.Columns[1] != "b" || got.Rows[0][1].String() != "x" || !got.Rows[1][0].IsNull() || got.Rows[1][1].Bytes[0] != 7 {
		t.Fatalf("DecodeRows: %+v %v", got, err)
	}
	if _, err := DecodeRows(abi.AppendExecResult(nil, uint32(StatusSQLReadOnly), abi.ExecResult{})); !errors.Is(err, StatusSQLReadOnly) {
		t.Fatalf("a status is the error: %v", err)
	}
	r, err := DecodeExecResult(abi.AppendExecResult(nil, 0, abi.ExecResult{RowsAffected: 3, LastInsertID: -4}))
	if err != nil || r.RowsAffected != 3 || r.LastInsertID != -4 {
		t.Fatalf("DecodeExecResult: %+v %v", r, err)
	}
	if _, err := DecodeExecResult(abi.AppendExecResult(nil, uint32(StatusSQLConstraint), abi.ExecResult{})); !errors.Is(err, StatusSQLConstraint) {
		t.Fatalf("constraint: %v", err)
	}
	if StatusSQLDenied.Error() != "orama: sql_denied" || Status(99).String() != "status(99)" {
		t.Fatal("status names")
	}
}

// FuzzDecodeRows is differential: the guest's decoder accepts exactly what
// the host's accepts, and reads the same values.
func FuzzDecodeRows(f *testing.F) {
	enc, _ := abi.AppendRows(nil, 0, abi.Rows{Columns: []string{"a"}, Rows: [][]abi.Value{{abi.Real(1)}, {abi.Text("t")}}})
	f.Add(enc)
	f.Add(abi.AppendExecResult(nil, 5, abi.ExecResult{}))
	f.Fuzz(func(t *testing.T, in []byte) {
		st, want, herr := abi.DecodeRows(in)
		got, gerr := DecodeRows(in)
		if herr != nil {
			if gerr == nil {
				t.Fatalf("guest accepts %x, host refuses it: %v", in, herr)
			}
			return
		}
		if st != 0 {
			if !errors.Is(gerr, Status(st)) {
				t.Fatalf("status %d: guest gives %v", st, gerr)
			}
			return
		}
		if gerr != nil || len(got.Rows) != len(want.Rows) || len(got.Columns) != len(want.Columns) {
			t.Fatalf("%x: guest %+v %v, host %+v", in, got, gerr, want)
		}
		for i := range want.Rows {
			for j := range want.Rows[i] {
				if !toABI(got.Rows[i][j]).Equal(want.Rows[i][j]) {
					t.Fatalf("%x: value %d,%d differs", in, i, j)
				}
			}
		}
	})
}
