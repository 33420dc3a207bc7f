package orama

import (
	"encoding/binary"
	"errors"
	"math"
	"unicode/utf8"
)

// ErrMalformed is returned for host results that do not decode; a host
// that follows spec/contracts.md never gives one.
var ErrMalformed = errors.New("orama: malformed host result")

// Kind is a SQL value's storage class (the SQLValue tag).
type Kind uint8

// SQLValue tags.
const (
	KindNull    Kind = 0
	KindInteger Kind = 1
	KindReal    Kind = 2
	KindText    Kind = 3
	KindBlob    Kind = 4
)

// Value is one SQL value: a parameter or a column of a row.
type Value struct {
	Kind  Kind
	Int   int64
	Real  float64
	Bytes []byte // TEXT or BLOB
}

// Null, Int, Real, Text and Blob make parameters.
func Null() Value            { return Value{Kind: KindNull} }
func Int(v int64) Value      { return Value{Kind: KindInteger, Int: v} }
func Real(v float64) Value   { return Value{Kind: KindReal, Real: v} }
func Text(s string) Value    { return Value{Kind: KindText, Bytes: []byte(s)} }
func Blob(b []byte) Value    { return Value{Kind: KindBlob, Bytes: b} }
func (v Value) IsNull() bool { return v.Kind == KindNull }

// String returns a TEXT value's text (or a BLOB's bytes as a string).
func (v Value) String() string { return string(v.Bytes) }

// AppendValue appends v's SQLValue encoding.
func AppendValue(b []byte, v Value) []byte {
	b = append(b, byte(v.Kind))
	switch v.Kind {
	case KindInteger:
		b = binary.LittleEndian.AppendUint64(b, uint64(v.Int))
	case KindReal:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Real))
	case KindText, KindBlob:
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v.Bytes)))
		b = append(b, v.Bytes...)
	}
	return b
}

// EncodeParams returns the SQLParams encoding of args (empty for none).
func EncodeParams(args ...Value) []byte {
	if len(args) == 0 {
		return nil
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(args)))
	for _, v := range args {
		b = AppendValue(b, v)
	}
	return b
}

// ExecResult is what db.execute reports of a statement that succeeded.
type ExecResult struct {
	RowsAffected uint64
	LastInsertID int64
}

// Rows is a query's result: column names and one value per column per row.
type Rows struct {
	Columns []string
	Rows    [][]Value
}

// reader decodes strictly: the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = ErrMalformed
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) u32() uint32 {
	p := r.take(4)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(p)
}

func (r *reader) u64() uint64 {
	p := r.take(8)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

func (r *reader) bytes() []byte {
	n := r.u32()
	if r.err == nil && int64(n) > int64(len(r.b)) {
		r.err = ErrMalformed
		return nil
	}
	return append([]byte{}, r.take(int(n))...)
}

func (r *reader) value() Value {
	tag := r.take(1)
	if tag == nil {
		return Value{}
	}
	switch Kind(tag[0]) {
	case KindNull:
		return Null()
	case KindInteger:
		return Int(int64(r.u64()))
	case KindReal:
		return Real(math.Float64frombits(r.u64()))
	case KindText:
		return Value{Kind: KindText, Bytes: r.bytes()}
	case KindBlob:
		return Blob(r.bytes())
	}
	r.err = ErrMalformed
	return Value{}
}

func (r *reader) finish() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = ErrMalformed
	}
	return r.err
}

// DecodeExecResult decodes an ExecResult encoding: a status other than
// StatusOK is returned as the error.
func DecodeExecResult(b []byte) (ExecResult, error) {
	r := reader{b: b}
	st := Status(r.u32())
	var out ExecResult
	if st == StatusOK {
		out.RowsAffected = r.u64()
		out.LastInsertID = int64(r.u64())
	}
	if err := r.finish(); err != nil {
		return ExecResult{}, err
	}
	if st != StatusOK {
		return ExecResult{}, st
	}
	return out, nil
}

// DecodeRows decodes a Rows encoding: a status other than StatusOK is
// returned as the error.
func DecodeRows(b []byte) (Rows, error) {
	r := reader{b: b}
	st := Status(r.u32())
	var out Rows
	if st == StatusOK {
		nc := r.u32()
		if r.err == nil && int64(nc) > int64(len(r.b))/4 {
			return Rows{}, ErrMalformed
		}
		for i := uint32(0); i < nc && r.err == nil; i++ {
			c := r.bytes()
			if !utf8.Valid(c) {
				return Rows{}, ErrMalformed
			}
			out.Columns = append(out.Columns, string(c))
		}
		nr := r.u32()
		if r.err == nil && nr > 0 && (nc == 0 || int64(nr) > int64(len(r.b))/int64(nc)) {
			return Rows{}, ErrMalformed
		}
		for i := uint32(0); i < nr && r.err == nil; i++ {
			row := make([]Value, 0, nc)
			for j := uint32(0); j < nc && r.err == nil; j++ {
				row = append(row, r.value())
			}
			out.Rows = append(out.Rows, row)
		}
	}
	if err := r.finish(); err != nil {
		return Rows{}, err
	}
	if st != StatusOK {
		return Rows{}, st
	}
	return out, nil
}
