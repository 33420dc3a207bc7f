package abi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"testing"

	"github.com/oramanetwork/orama-chain/runtime/borsh"
)

func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestValueEncoding pins every tag's layout byte by byte (spec/contracts.md).
func TestValueEncoding(t *testing.T) {
	for _, c := range []struct {
		v    Value
		want string
	}{
		{Null(), "00"},
		{Integer(-2), "01feffffffffffffff"},
		{Integer(math.MaxInt64), "01ffffffffffffff7f"},
		{Real(1.5), "02000000000000f83f"},
		{Text("hé"), "0303000000" + "68c3a9"},
		{Blob([]byte{0, 1}), "04020000000001"},
		{Blob([]byte{}), "0400000000"},
	} {
		got := AppendValue(nil, c.v)
		if hex.EncodeToString(got) != c.want {
			t.Errorf("%v: got %x, want %s", c.v, got, c.want)
		}
		if ValueSize(c.v) != len(got) {
			t.Errorf("%v: ValueSize %d, encoding %d bytes", c.v, ValueSize(c.v), len(got))
		}
		ps, err := DecodeParams(AppendParams(nil, []Value{c.v}), 1)
		if err != nil || len(ps) != 1 || !ps[0].Equal(c.v) {
			t.Errorf("%v: round trip gave %v, %v", c.v, ps, err)
		}
	}
}

func TestDecodeParamsStrict(t *testing.T) {
	ok := AppendParams(nil, []Value{Integer(7), Text("a")})
	if ps, err := DecodeParams(ok, 2); err != nil || len(ps) != 2 {
		t.Fatalf("valid params: %v %v", ps, err)
	}
	if ps, err := DecodeParams(nil, 2); err != nil || ps != nil {
		t.Fatalf("empty input must mean no parameters: %v %v", ps, err)
	}
	for _, c := range []struct {
		name string
		in   []byte
		want error
	}{
		{"over max count", ok, borsh.ErrLengthLimit},
		{"trailing byte", append(append([]byte{}, ok...), 0), borsh.ErrTrailingBytes},
		{"unknown tag", h("0100000005"), borsh.ErrUnknownVariant},
		{"truncated integer", h("010000000101"), borsh.ErrUnexpectedEOF},
		{"count beyond input", h("ffffff00"), borsh.ErrLengthLimit}, // over max before over input,
		{"text longer than input", h("0100000003ff000000"), borsh.ErrUnexpectedEOF},
		{"short count", h("0100"), borsh.ErrUnexpectedEOF},
	} {
		max := 4
		if c.name == "over max count" {
			max = 1
		}
		_, err := DecodeParams(c.in, max)
		if !errors.Is(err, c.want) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want %v and ErrMalformed", c.name, err, c.want)
		}
	}
}

func TestExecResult(t *testing.T) {
	b := AppendExecResult(nil, 0, ExecResult{RowsAffected: 3, LastInsertID: -1})
	if hex.EncodeToString(b) != "00000000"+"0300000000000000"+"ffffffffffffffff" {
		t.Fatalf("encoding %x", b)
	}
	st, r, err := DecodeExecResult(b)
	if err != nil || st != 0 || r.RowsAffected != 3 || r.LastInsertID != -1 {
		t.Fatalf("decode: %d %+v %v", st, r, err)
	}
	e := AppendExecResult(nil, 5, ExecResult{RowsAffected: 9})
	if hex.EncodeToString(e) != "05000000" {
		t.Fatalf("an error status carries no result: %x", e)
	}
	if _, _, err := DecodeExecResult(append(e, 0)); !errors.Is(err, borsh.ErrTrailingBytes) {
		t.Fatalf("trailing bytes after an error status: %v", err)
	}
}

func TestRows(t *testing.T) {
	rs := Rows{Columns: []string{"id", "name"}, Rows: [][]Value{{Integer(1), Text("a")}, {Integer(2), Null()}}}
	b, err := AppendRows(nil, 0, rs)
	if err != nil {
		t.Fatal(err)
	}
	want := "00000000" + "02000000" + "020000006964" + "040000006e616d65" + "02000000" +
		"010100000000000000" + "030100000061" + "010200000000000000" + "00"
	if hex.EncodeToString(b) != want {
		t.Fatalf("encoding\n got %x\nwant %s", b, want)
	}
	if RowsSize(rs) != len(b)-4 {
		t.Fatalf("RowsSize %d, payload %d", RowsSize(rs), len(b)-4)
	}
	st, got, err := DecodeRows(b)
	if err != nil || st != 0 || !got.Equal(rs) {
		t.Fatalf("decode: %d %+v %v", st, got, err)
	}
	if _, err := AppendRows(nil, 0, Rows{Columns: []string{"a"}, Rows: [][]Value{{}}}); err == nil {
		t.Fatal("a row without a value per column must not encode")
	}
	// No columns: a row count other than 0 cannot be represented by input.
	if _, _, err := DecodeRows(h("00000000" + "00000000" + "01000000")); !errors.Is(err, borsh.ErrUnexpectedEOF) {
		t.Fatalf("rows without columns: %v", err)
	}
	if _, _, err := DecodeRows(h("00000000" + "01000000" + "01000000ff" + "00000000")); !errors.Is(err, borsh.ErrInvalidUTF8) {
		t.Fatalf("column names are UTF-8: %v", err)
	}
}

func TestEvent(t *testing.T) {
	b := AppendEvent(nil, "transfer", []byte{1, 2})
	topic, data, err := DecodeEvent(b, 64, 1024)
	if err != nil || topic != "transfer" || !bytes.Equal(data, []byte{1, 2}) {
		t.Fatalf("round trip: %q %x %v", topic, data, err)
	}
	if _, _, err := DecodeEvent(b, 4, 1024); !errors.Is(err, borsh.ErrLengthLimit) {
		t.Fatalf("topic over max: %v", err)
	}
	if _, _, err := DecodeEvent(AppendEvent(nil, "\xff", nil), 64, 1024); !errors.Is(err, borsh.ErrInvalidUTF8) {
		t.Fatalf("topic must be UTF-8: %v", err)
	}
}

func TestCID(t *testing.T) {
	data := []byte("hello")
	sum := sha256.Sum256(data)
	c := RawCID(data)
	if want := append(h("01551220"), sum[:]...); !bytes.Equal(c, want) {
		t.Fatalf("RawCID %x, want %x", c, want)
	}
	if err := CheckCID(c); err != nil {
		t.Fatal(err)
	}
	s, err := FormatCID(c)
	// The CID Kubo prints for `printf hello | ipfs add --cid-version=1 --raw-leaves`.
	if err != nil || s != "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq" {
		t.Fatalf("FormatCID %q %v", s, err)
	}
	v0 := append(h("1220"), sum[:]...)
	if err := CheckCID(v0); err != nil {
		t.Fatalf("CIDv0: %v", err)
	}
	for _, bad := range [][]byte{nil, {1}, append(append([]byte{}, c...), 0), c[:len(c)-1], h("02551220")} {
		if err := CheckCID(bad); !errors.Is(err, ErrInvalidCID) || !errors.Is(err, ErrMalformed) {
			t.Errorf("CheckCID(%x) = %v", bad, err)
		}
	}
}

// Fuzz targets: a decoder accepts an input only if re-encoding what it
// decoded gives the input back (one value, one encoding), and never panics.

func FuzzDecodeParams(f *testing.F) {
	f.Add(AppendParams(nil, []Value{Null(), Integer(1), Real(2), Text("x"), Blob([]byte{9})}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		ps, err := DecodeParams(in, 256)
		if err != nil {
			return
		}
		if len(in) == 0 {
			return
		}
		if out := AppendParams(nil, ps); !bytes.Equal(out, in) {
			t.Fatalf("not canonical: %x -> %x", in, out)
		}
	})
}

func FuzzDecodeRows(f *testing.F) {
	b, _ := AppendRows(nil, 0, Rows{Columns: []string{"a"}, Rows: [][]Value{{Integer(1)}, {Text("t")}}})
	f.Add(b)
	f.Add(AppendExecResult(nil, 4, ExecResult{}))
	f.Fuzz(func(t *testing.T, in []byte) {
		st, rs, err := DecodeRows(in)
		if err != nil {
			return
		}
		out, err := AppendRows(nil, st, rs)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("not canonical: %x -> %x (%v)", in, out, err)
		}
	})
}

func FuzzDecodeExecResult(f *testing.F) {
	f.Add(AppendExecResult(nil, 0, ExecResult{RowsAffected: 1, LastInsertID: 2}))
	f.Fuzz(func(t *testing.T, in []byte) {
		st, r, err := DecodeExecResult(in)
		if err != nil {
			return
		}
		if out := AppendExecResult(nil, st, r); !bytes.Equal(out, in) {
			t.Fatalf("not canonical: %x -> %x", in, out)
		}
	})
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add(AppendEvent(nil, "t", []byte{1}))
	f.Fuzz(func(t *testing.T, in []byte) {
		topic, data, err := DecodeEvent(in, 64, 1024)
		if err != nil {
			return
		}
		if out := AppendEvent(nil, topic, data); !bytes.Equal(out, in) {
			t.Fatalf("not canonical: %x -> %x", in, out)
		}
	})
}

func FuzzCheckCID(f *testing.F) {
	f.Add(RawCID([]byte("x")))
	f.Add(h("12200000000000000000000000000000000000000000000000000000000000000000"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if CheckCID(in) != nil {
			return
		}
		if _, err := FormatCID(in); err != nil {
			t.Fatalf("accepted %x but cannot format it: %v", in, err)
		}
	})
}
