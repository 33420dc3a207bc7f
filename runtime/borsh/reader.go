package borsh

import (
	"encoding/binary"
	"unicode/utf8"
)

// Reader decodes Borsh from a byte slice. The first error sticks: later reads
// return zero values and generated decoders check Err once at the end, which
// keeps the straight-line decoding code short and fast.
type Reader struct {
	buf []byte
	off int
	err error
}

// NewReader returns a Reader positioned at the start of buf.
func NewReader(buf []byte) Reader { return Reader{buf: buf} }

// Err returns the first error, or nil.
func (r *Reader) Err() error { return r.err }

// Offset returns the number of bytes consumed.
func (r *Reader) Offset() int { return r.off }

// Remaining returns the number of unread bytes.
func (r *Reader) Remaining() int { return len(r.buf) - r.off }

// Fail records err at the current offset unless an error is already stored.
func (r *Reader) Fail(err error, field string) {
	if r.err == nil {
		r.err = &Error{Field: field, Offset: r.off, Err: err}
	}
}

// Finish reports the sticky error, or ErrTrailingBytes when input remains.
func (r *Reader) Finish(field string) error {
	if r.err == nil && r.off != len(r.buf) {
		r.err = &Error{Field: field, Offset: r.off, Err: ErrTrailingBytes}
	}
	return r.err
}

// take returns the next n bytes, or nil after recording ErrUnexpectedEOF.
func (r *Reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.buf)-r.off {
		r.Fail(ErrUnexpectedEOF, field)
		return nil
	}
	p := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return p
}

func (r *Reader) U8(field string) uint8 {
	if r.err == nil && r.off < len(r.buf) {
		v := r.buf[r.off]
		r.off++
		return v
	}
	r.Fail(ErrUnexpectedEOF, field)
	return 0
}

func (r *Reader) U16(field string) uint16 {
	if p := r.take(2, field); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (r *Reader) U32(field string) uint32 {
	if p := r.take(4, field); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (r *Reader) U64(field string) uint64 {
	if p := r.take(8, field); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// Bool reads one byte that must be 0 or 1.
func (r *Reader) Bool(field string) bool {
	switch r.U8(field) {
	case 0:
		return false
	case 1:
		return true
	}
	r.off--
	r.Fail(ErrInvalidBool, field)
	return false
}

// Option reads an option tag that must be 0 (none) or 1 (some).
func (r *Reader) Option(field string) bool {
	switch r.U8(field) {
	case 0:
		return false
	case 1:
		return true
	}
	r.off--
	r.Fail(ErrInvalidOptionTag, field)
	return false
}

// Fixed copies len(dst) bytes into dst.
func (r *Reader) Fixed(dst []byte, field string) {
	if p := r.take(len(dst), field); p != nil {
		copy(dst, p)
	}
}

// Len reads a u32 vector length, checks it against the spec's limit and
// against the bytes left (each element takes at least minElem bytes), so a
// hostile length can never make the decoder allocate more than the input
// could fill.
func (r *Reader) Len(max int, minElem int, field string) int {
	start := r.off
	n := int(r.U32(field))
	if r.err != nil {
		return 0
	}
	if n > max {
		r.off = start
		r.Fail(ErrLengthLimit, field)
		return 0
	}
	if minElem > 0 && n > (len(r.buf)-r.off)/minElem {
		r.Fail(ErrUnexpectedEOF, field)
		return 0
	}
	return n
}

// Bytes reads a u32-length-prefixed byte string into a new slice (nil when
// empty), so decoded values never alias the input buffer.
func (r *Reader) Bytes(max int, field string) []byte {
	n := r.Len(max, 1, field)
	if n == 0 {
		return nil
	}
	p := r.take(n, field)
	if p == nil {
		return nil
	}
	out := make([]byte, n)
	copy(out, p)
	return out
}

// String reads a u32-length-prefixed UTF-8 string.
func (r *Reader) String(max int, field string) string {
	start := r.off
	n := r.Len(max, 1, field)
	if n == 0 {
		return ""
	}
	p := r.take(n, field)
	if p == nil {
		return ""
	}
	if !utf8.Valid(p) {
		r.off = start
		r.Fail(ErrInvalidUTF8, field)
		return ""
	}
	return string(p)
}

// Reject rewinds n bytes and records err there: the value just read was
// well-formed but not allowed (an unknown enum variant).
func (r *Reader) Reject(n int, err error, field string) {
	if r.err == nil {
		r.off -= n
		r.Fail(err, field)
	}
}
