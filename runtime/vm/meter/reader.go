package meter

// reader decodes the primitive encodings of the binary format from a byte
// slice. Every method reports truncated or over-long input as ErrMalformed
// through r.err; callers check r.err once after a group of reads.
type reader struct {
	b   []byte
	pos int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = malformed(format, args...)
	}
}

func (r *reader) done() bool { return r.err != nil || r.pos >= len(r.b) }

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.b) {
		r.fail("unexpected end at offset %d", r.pos)
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

// bytes returns the next n bytes without copying.
func (r *reader) bytes(n uint32) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(r.b)-r.pos) {
		r.fail("length %d past the end at offset %d", n, r.pos)
		return nil
	}
	s := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return s
}

// u32 reads an unsigned LEB128 of at most 5 bytes whose value fits 32 bits.
func (r *reader) u32() uint32 {
	var v uint64
	for i := 0; i < 5; i++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if i == 4 && c&0x70 != 0 {
				r.fail("u32 overflows at offset %d", r.pos)
				return 0
			}
			return uint32(v)
		}
	}
	r.fail("u32 longer than 5 bytes at offset %d", r.pos)
	return 0
}

// sleb skips a signed LEB128 of at most maxBytes bytes with value bits bits,
// checking that the unused bits of its last byte are a sign extension.
func (r *reader) sleb(bits int) int64 {
	var v int64
	var shift int
	maxBytes := (bits + 6) / 7
	for i := 0; i < maxBytes; i++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if i == maxBytes-1 {
				// The bits of the last byte beyond the value width must all
				// equal the sign bit.
				used := bits - 7*(maxBytes-1) // value bits in this byte
				rest := int8(c<<1) >> (used)  // sign-extended unused bits (and sign)
				if rest != 0 && rest != -1 {
					r.fail("signed integer overflows at offset %d", r.pos)
					return 0
				}
			}
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
	r.fail("signed integer too long at offset %d", r.pos)
	return 0
}

// name reads a length-prefixed name. UTF-8 validity is left to the
// validator; names here are only compared.
func (r *reader) name() string { return string(r.bytes(r.u32())) }

// appendU32 appends v as unsigned LEB128.
func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// appendS64 appends v as signed LEB128.
func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// appendS32 appends v as signed LEB128.
func appendS32(b []byte, v int32) []byte { return appendS64(b, int64(v)) }
