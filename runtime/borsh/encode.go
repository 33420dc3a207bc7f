package borsh

import (
	"encoding/binary"
	"unicode/utf8"
)

// Codec is implemented by every generated type.
type Codec interface {
	// BorshSize is the exact encoded length, for sizing buffers.
	BorshSize() int
	// AppendBorsh appends the encoding to dst. It allocates only when dst
	// lacks capacity, and fails for a value the decoder would reject.
	AppendBorsh(dst []byte) ([]byte, error)
	// MarshalBorsh returns the encoding in a new buffer of exact size.
	MarshalBorsh() ([]byte, error)
	// UnmarshalBorsh decodes data strictly: all of it, and nothing else.
	UnmarshalBorsh(data []byte) error
	// DecodeBorsh decodes the value at r's position; errors stick in r.
	DecodeBorsh(r *Reader)
}

// AppendU8 and its siblings append little-endian integers. They are small
// enough to inline into generated code.
func AppendU8(b []byte, v uint8) []byte   { return append(b, v) }
func AppendU16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func AppendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func AppendU64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

// AppendBool appends 1 for true and 0 for false.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendString appends a u32 length and the bytes of s, after checking the
// limit and UTF-8 validity the decoder enforces.
func AppendString(b []byte, s string, max int, field string) ([]byte, error) {
	if len(s) > max {
		return b, EncodeError(field, ErrLengthLimit)
	}
	if !utf8.ValidString(s) {
		return b, EncodeError(field, ErrInvalidUTF8)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...), nil
}

// AppendBytes appends a u32 length and p, after checking the limit.
func AppendBytes(b []byte, p []byte, max int, field string) ([]byte, error) {
	if len(p) > max {
		return b, EncodeError(field, ErrLengthLimit)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...), nil
}

// AppendLen appends the u32 length of a vector after checking the limit.
func AppendLen(b []byte, n int, max int, field string) ([]byte, error) {
	if n > max {
		return b, EncodeError(field, ErrLengthLimit)
	}
	return binary.LittleEndian.AppendUint32(b, uint32(n)), nil
}

// Grow returns b with room for n more bytes, allocating at most once.
func Grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}
