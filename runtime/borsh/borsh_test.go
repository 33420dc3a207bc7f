package borsh

import (
	"bytes"
	"errors"
	"testing"
)

func TestReaderIntegers(t *testing.T) {
	b := []byte{7, 1, 2, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8}
	r := NewReader(b)
	if v := r.U8("a"); v != 7 {
		t.Fatalf("u8 %d", v)
	}
	if v := r.U16("b"); v != 0x0201 {
		t.Fatalf("u16 %#x", v)
	}
	if v := r.U32("c"); v != 0x04030201 {
		t.Fatalf("u32 %#x", v)
	}
	if v := r.U64("d"); v != 0x0807060504030201 {
		t.Fatalf("u64 %#x", v)
	}
	if err := r.Finish("x"); err != nil {
		t.Fatal(err)
	}
}

func TestReaderStrictness(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		read func(r *Reader)
		want error
		off  int
	}{
		{"eof", []byte{1, 2}, func(r *Reader) { r.U32("f") }, ErrUnexpectedEOF, 0},
		{"trailing", []byte{1, 2}, func(r *Reader) { r.U8("f") }, ErrTrailingBytes, 1},
		{"bool 2", []byte{2}, func(r *Reader) { r.Bool("f") }, ErrInvalidBool, 0},
		{"option 2", []byte{2}, func(r *Reader) { r.Option("f") }, ErrInvalidOptionTag, 0},
		{"length over max", []byte{5, 0, 0, 0, 1, 2, 3, 4, 5}, func(r *Reader) { r.Bytes(4, "f") }, ErrLengthLimit, 0},
		{"length beyond input", []byte{4, 0, 0, 0, 1}, func(r *Reader) { r.Bytes(100, "f") }, ErrUnexpectedEOF, 4},
		{"vec beyond input", []byte{3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}, func(r *Reader) { r.Len(10, 8, "f") }, ErrUnexpectedEOF, 4},
		{"huge vec", []byte{0xff, 0xff, 0xff, 0x7f}, func(r *Reader) { r.Len(1<<31, 1, "f") }, ErrUnexpectedEOF, 4},
		{"bad utf8", []byte{1, 0, 0, 0, 0xff}, func(r *Reader) { r.String(10, "f") }, ErrInvalidUTF8, 0},
		{"overlong nul", []byte{2, 0, 0, 0, 0xc0, 0x80}, func(r *Reader) { r.String(10, "f") }, ErrInvalidUTF8, 0},
		{"reject", []byte{9}, func(r *Reader) { r.U8("f"); r.Reject(1, ErrUnknownVariant, "f") }, ErrUnknownVariant, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewReader(c.in)
			c.read(&r)
			err := r.Finish("T")
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			var be *Error
			if !errors.As(err, &be) || be.Offset != c.off {
				t.Fatalf("error %#v: want offset %d", err, c.off)
			}
			if Kind(err) == "" {
				t.Fatal("no kind name")
			}
		})
	}
}

func TestFirstErrorSticks(t *testing.T) {
	r := NewReader([]byte{2, 1})
	r.Bool("first")
	r.Bool("second")
	var be *Error
	if err := r.Err(); !errors.As(err, &be) || be.Field != "first" {
		t.Fatalf("got %v", err)
	}
}

func TestBytesDoNotAliasInput(t *testing.T) {
	in := []byte{2, 0, 0, 0, 'h', 'i'}
	r := NewReader(in)
	out := r.Bytes(10, "f")
	in[4] = 'X'
	if string(out) != "hi" {
		t.Fatalf("decoded bytes alias the input: %q", out)
	}
}

func TestEncodeChecksLimits(t *testing.T) {
	if _, err := AppendString(nil, "abcd", 3, "f"); !errors.Is(err, ErrLengthLimit) {
		t.Fatalf("string over limit: %v", err)
	}
	if _, err := AppendString(nil, "\xff", 3, "f"); !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("invalid utf8: %v", err)
	}
	if _, err := AppendBytes(nil, []byte{1, 2}, 1, "f"); !errors.Is(err, ErrLengthLimit) {
		t.Fatalf("bytes over limit: %v", err)
	}
	if _, err := AppendLen(nil, 5, 4, "f"); !errors.Is(err, ErrLengthLimit) {
		t.Fatalf("vec over limit: %v", err)
	}
	b, err := AppendString(nil, "hé", 3, "f")
	if err != nil || !bytes.Equal(b, []byte{3, 0, 0, 0, 'h', 0xc3, 0xa9}) {
		t.Fatalf("%x %v", b, err)
	}
}

func TestHex(t *testing.T) {
	if got := string(AppendHex(nil, []byte{0xab, 0x01})); got != "0xab01" {
		t.Fatal(got)
	}
	for _, bad := range []string{"ab01", "0xabc", "0xzz", "0X00", ""} {
		if _, err := ParseHex([]byte(bad)); !errors.Is(err, ErrInvalidHex) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	var dst [2]byte
	if err := ParseHexFixed(dst[:], []byte("0xab01"), "x"); err != nil || dst != [2]byte{0xab, 1} {
		t.Fatal(err)
	}
	if err := ParseHexFixed(dst[:], []byte("0xab"), "x"); !errors.Is(err, ErrInvalidHex) {
		t.Fatal(err)
	}
}
