package abi

import (
	"errors"
	"fmt"
	"math"

	"github.com/oramanetwork/orama-chain/runtime/borsh"
)

// ErrMalformed is wrapped by every decoding error of this package, beside
// the borsh sentinel naming the exact problem.
var ErrMalformed = errors.New("abi: malformed input")

// Kind is a SQLValue's tag: SQLite's five storage classes.
type Kind uint8

// The SQLValue tags. They are part of the ABI: never renumber them.
const (
	KindNull    Kind = 0
	KindInteger Kind = 1
	KindReal    Kind = 2
	KindText    Kind = 3
	KindBlob    Kind = 4
)

// String names the kind as SQLite does.
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "NULL"
	case KindInteger:
		return "INTEGER"
	case KindReal:
		return "REAL"
	case KindText:
		return "TEXT"
	case KindBlob:
		return "BLOB"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Value is one SQL value (a SQLValue). Int holds an INTEGER, Real a REAL,
// Bytes a TEXT's bytes or a BLOB. TEXT is kept as bytes, not checked as
// UTF-8: SQLite stores whatever bytes a statement gave it, and a contract
// must read back exactly those.
type Value struct {
	Kind  Kind
	Int   int64
	Real  float64
	Bytes []byte
}

// Null, Integer, Real, Text and Blob build values.
func Null() Value              { return Value{Kind: KindNull} }
func Integer(v int64) Value    { return Value{Kind: KindInteger, Int: v} }
func Real(v float64) Value     { return Value{Kind: KindReal, Real: v} }
func Text(s string) Value      { return Value{Kind: KindText, Bytes: []byte(s)} }
func Blob(b []byte) Value      { return Value{Kind: KindBlob, Bytes: b} }
func (v Value) String() string { return fmt.Sprintf("%s(%s)", v.Kind, v.short()) }

func (v Value) short() string {
	switch v.Kind {
	case KindInteger:
		return fmt.Sprint(v.Int)
	case KindReal:
		return fmt.Sprint(v.Real)
	case KindText:
		return fmt.Sprintf("%q", v.Bytes)
	case KindBlob:
		return fmt.Sprintf("%x", v.Bytes)
	}
	return ""
}

// Equal compares encodings: REALs by their bits, so NaN equals itself and
// 0.0 differs from -0.0, as the bytes do.
func (v Value) Equal(w Value) bool {
	if v.Kind != w.Kind {
		return false
	}
	switch v.Kind {
	case KindInteger:
		return v.Int == w.Int
	case KindReal:
		return math.Float64bits(v.Real) == math.Float64bits(w.Real)
	case KindText, KindBlob:
		return string(v.Bytes) == string(w.Bytes)
	}
	return true
}

// AppendValue appends v's SQLValue encoding.
func AppendValue(b []byte, v Value) []byte {
	b = append(b, byte(v.Kind))
	switch v.Kind {
	case KindInteger:
		b = borsh.AppendU64(b, uint64(v.Int))
	case KindReal:
		b = borsh.AppendU64(b, math.Float64bits(v.Real))
	case KindText, KindBlob:
		b = borsh.AppendU32(b, uint32(len(v.Bytes)))
		b = append(b, v.Bytes...)
	}
	return b
}

// ValueSize is the length of v's encoding.
func ValueSize(v Value) int {
	switch v.Kind {
	case KindInteger, KindReal:
		return 9
	case KindText, KindBlob:
		return 5 + len(v.Bytes)
	}
	return 1
}

// readValue decodes one SQLValue; max bounds a TEXT or BLOB length.
func readValue(r *borsh.Reader, max int, field string) Value {
	tag := r.U8(field)
	switch Kind(tag) {
	case KindNull:
		return Null()
	case KindInteger:
		return Integer(int64(r.U64(field)))
	case KindReal:
		return Real(math.Float64frombits(r.U64(field)))
	case KindText:
		return Value{Kind: KindText, Bytes: nonNil(r.Bytes(max, field))}
	case KindBlob:
		return Value{Kind: KindBlob, Bytes: nonNil(r.Bytes(max, field))}
	}
	r.Reject(1, borsh.ErrUnknownVariant, field)
	return Value{}
}

// nonNil keeps an empty TEXT or BLOB distinct from a missing one in Go.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// malformed wraps a borsh decoding error with ErrMalformed and the name of
// what was being decoded.
func malformed(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
}

// AppendParams appends the SQLParams encoding of ps.
func AppendParams(b []byte, ps []Value) []byte {
	b = borsh.AppendU32(b, uint32(len(ps)))
	for _, v := range ps {
		b = AppendValue(b, v)
	}
	return b
}

// DecodeParams decodes SQLParams holding at most maxParams values. Empty
// input means no parameters, as does a zero count.
func DecodeParams(in []byte, maxParams int) ([]Value, error) {
	if len(in) == 0 {
		return nil, nil
	}
	r := borsh.NewReader(in)
	n := r.Len(maxParams, 1, "SQLParams")
	var out []Value
	if n > 0 {
		out = make([]Value, 0, n)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		out = append(out, readValue(&r, math.MaxInt32, "SQLParams.value"))
	}
	if err := r.Finish("SQLParams"); err != nil {
		return nil, malformed("SQLParams", err)
	}
	return out, nil
}
