package vectors

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/oramanetwork/orama-chain/gen/schema"
)

// This file is a second, independent Borsh implementation driven directly by
// the schema: it encodes spec values written in YAML and decodes strictly.
// The vectors it produces are checked against the generated Go codecs, so a
// bug in either shows up as a conformance failure instead of being copied
// into the vectors.

// obj is a JSON object that keeps field order (spec order).
type obj []kv

type kv struct {
	K string
	V any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.K)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(e.V)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marks records the first offset of each mutable element in an encoding,
// so negative cases can be derived by corrupting exactly one of them.
type marks struct {
	option, enum, boolean, length, str int // -1 when absent
	lengthMax                          int
}

func newMarks() *marks { return &marks{option: -1, enum: -1, boolean: -1, length: -1, str: -1} }

type encoder struct {
	s   *schema.Spec
	buf []byte
	m   *marks
}

func hexOf(b []byte) string { return "0x" + hex.EncodeToString(b) }

func parseHexValue(v any, what string) ([]byte, error) {
	s, ok := v.(string)
	if !ok || !strings.HasPrefix(s, "0x") {
		return nil, fmt.Errorf("%s: want a 0x hex string, got %v", what, v)
	}
	return hex.DecodeString(s[2:])
}

func parseUint(v any, bits int, what string) (uint64, error) {
	var s string
	switch x := v.(type) {
	case int:
		if x < 0 {
			return 0, fmt.Errorf("%s: negative", what)
		}
		s = strconv.Itoa(x)
	case uint64:
		s = strconv.FormatUint(x, 10)
	case string:
		s = x
	case nil:
		return 0, nil
	default:
		return 0, fmt.Errorf("%s: want an integer, got %T", what, v)
	}
	n, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// encodeType encodes a value of named type t and returns its JSON form.
func (e *encoder) encodeType(t *schema.Type, v any, path string) (any, error) {
	switch t.Kind {
	case schema.Fixed:
		if v == nil {
			v = hexOf(make([]byte, t.Size))
		}
		b, err := parseHexValue(v, path)
		if err != nil {
			return nil, err
		}
		if len(b) != t.Size {
			return nil, fmt.Errorf("%s: want %d bytes, got %d", path, t.Size, len(b))
		}
		e.buf = append(e.buf, b...)
		return hexOf(b), nil
	case schema.Enum:
		name, _ := v.(string)
		if v == nil {
			name = t.Variants[0].Name
		}
		for _, vr := range t.Variants {
			if vr.Name == name {
				if e.m.enum < 0 {
					e.m.enum = len(e.buf)
				}
				e.buf = append(e.buf, byte(vr.Value))
				return name, nil
			}
		}
		return nil, fmt.Errorf("%s: %v is not a %s variant", path, v, t.Name)
	}
	m, _ := v.(map[string]any)
	if v != nil && m == nil {
		return nil, fmt.Errorf("%s: want a mapping for %s", path, t.Name)
	}
	for k := range m {
		if t.Field(k) == nil {
			return nil, fmt.Errorf("%s: %s has no field %q", path, t.Name, k)
		}
	}
	var out obj
	for _, f := range t.Fields {
		jv, err := e.encodeField(f, f.Type, m[f.Name], path+"."+f.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, kv{f.Name, jv})
	}
	return out, nil
}

func (e *encoder) encodeField(f *schema.Field, r *schema.Ref, v any, path string) (any, error) {
	switch r.Kind {
	case schema.Named:
		return e.encodeType(r.Named, v, path)
	case schema.Option:
		if v == nil {
			if e.m.option < 0 {
				e.m.option = len(e.buf)
			}
			e.buf = append(e.buf, 0)
			return nil, nil
		}
		if e.m.option < 0 {
			e.m.option = len(e.buf)
		}
		e.buf = append(e.buf, 1)
		return e.encodeField(f, r.Elem, v, path)
	case schema.Vec:
		list, ok := v.([]any)
		if v != nil && !ok {
			return nil, fmt.Errorf("%s: want a list", path)
		}
		if len(list) > f.Max {
			return nil, fmt.Errorf("%s: %d elements, limit %d", path, len(list), f.Max)
		}
		e.markLen(f.Max)
		e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(len(list)))
		out := []any{}
		for i, el := range list {
			jv, err := e.encodeField(f, r.Elem, el, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out = append(out, jv)
		}
		return out, nil
	}
	switch r.Prim {
	case "u8", "u16", "u32", "u64":
		bits := map[string]int{"u8": 8, "u16": 16, "u32": 32, "u64": 64}[r.Prim]
		n, err := parseUint(v, bits, path)
		if err != nil {
			return nil, err
		}
		for i := 0; i < bits/8; i++ {
			e.buf = append(e.buf, byte(n>>(8*i)))
		}
		if bits == 64 {
			return strconv.FormatUint(n, 10), nil // decimal string: safe in JavaScript
		}
		return n, nil
	case "bool":
		b, _ := v.(bool)
		if v != nil {
			if _, ok := v.(bool); !ok {
				return nil, fmt.Errorf("%s: want a bool", path)
			}
		}
		if e.m.boolean < 0 {
			e.m.boolean = len(e.buf)
		}
		if b {
			e.buf = append(e.buf, 1)
		} else {
			e.buf = append(e.buf, 0)
		}
		return b, nil
	case "string":
		s, _ := v.(string)
		if v != nil {
			if _, ok := v.(string); !ok {
				return nil, fmt.Errorf("%s: want a string", path)
			}
		}
		if len(s) > f.Max || !utf8.ValidString(s) {
			return nil, fmt.Errorf("%s: string over %d bytes or not UTF-8", path, f.Max)
		}
		e.markLen(f.Max)
		if e.m.str < 0 && len(s) > 0 {
			e.m.str = len(e.buf)
		}
		e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(len(s)))
		e.buf = append(e.buf, s...)
		return s, nil
	case "bytes":
		var b []byte
		if m, ok := v.(map[string]any); ok {
			// {borsh_of: Type, value: ...} embeds another spec value's encoding.
			inner, err := encodeValue(e.s, fmt.Sprint(m["borsh_of"]), m["value"])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			b = inner.bytes
		} else if v != nil {
			var err error
			if b, err = parseHexValue(v, path); err != nil {
				return nil, err
			}
		}
		if len(b) > f.Max {
			return nil, fmt.Errorf("%s: %d bytes, limit %d", path, len(b), f.Max)
		}
		e.markLen(f.Max)
		e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(len(b)))
		e.buf = append(e.buf, b...)
		return hexOf(b), nil
	}
	return nil, fmt.Errorf("%s: unsupported type", path)
}

func (e *encoder) markLen(max int) {
	if e.m.length < 0 {
		e.m.length, e.m.lengthMax = len(e.buf), max
	}
}

// encoded is one value's encoding and JSON form.
type encoded struct {
	bytes []byte
	json  any
	marks *marks
}

func encodeValue(s *schema.Spec, typeName string, v any) (*encoded, error) {
	t := s.Type(typeName)
	if t == nil {
		return nil, fmt.Errorf("unknown type %q", typeName)
	}
	e := &encoder{s: s, m: newMarks()}
	j, err := e.encodeType(t, v, typeName)
	if err != nil {
		return nil, err
	}
	return &encoded{bytes: e.buf, json: j, marks: e.m}, nil
}

// --- strict decoding ---

// decodeError carries the conformance reason name of a rejection.
type decodeError struct{ reason string }

func (d *decodeError) Error() string { return d.reason }

func reason(err error) string {
	var d *decodeError
	if errors.As(err, &d) {
		return d.reason
	}
	return ""
}

type decoder struct {
	b   []byte
	off int
}

func (d *decoder) take(n int) ([]byte, error) {
	if n < 0 || n > len(d.b)-d.off {
		return nil, &decodeError{"unexpected_eof"}
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p, nil
}

// decodeStrict decodes all of b as typeName, or returns the reason it must
// be rejected.
func decodeStrict(s *schema.Spec, typeName string, b []byte) error {
	d := &decoder{b: b}
	if err := d.typ(s.Type(typeName)); err != nil {
		return err
	}
	if d.off != len(b) {
		return &decodeError{"trailing_bytes"}
	}
	return nil
}

func (d *decoder) typ(t *schema.Type) error {
	switch t.Kind {
	case schema.Fixed:
		_, err := d.take(t.Size)
		return err
	case schema.Enum:
		p, err := d.take(1)
		if err != nil {
			return err
		}
		for _, v := range t.Variants {
			if v.Value == int(p[0]) {
				return nil
			}
		}
		return &decodeError{"unknown_variant"}
	}
	for _, f := range t.Fields {
		if err := d.ref(f, f.Type); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) length(max int) (int, error) {
	p, err := d.take(4)
	if err != nil {
		return 0, err
	}
	n := new(big.Int).SetUint64(uint64(binary.LittleEndian.Uint32(p)))
	if n.Cmp(big.NewInt(int64(max))) > 0 {
		return 0, &decodeError{"length_limit"}
	}
	return int(n.Int64()), nil
}

func (d *decoder) ref(f *schema.Field, r *schema.Ref) error {
	switch r.Kind {
	case schema.Named:
		return d.typ(r.Named)
	case schema.Option:
		p, err := d.take(1)
		if err != nil {
			return err
		}
		switch p[0] {
		case 0:
			return nil
		case 1:
			return d.ref(f, r.Elem)
		}
		return &decodeError{"invalid_option_tag"}
	case schema.Vec:
		n, err := d.length(f.Max)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := d.ref(f, r.Elem); err != nil {
				return err
			}
		}
		return nil
	}
	switch r.Prim {
	case "bool":
		p, err := d.take(1)
		if err != nil {
			return err
		}
		if p[0] > 1 {
			return &decodeError{"invalid_bool"}
		}
		return nil
	case "string", "bytes":
		n, err := d.length(f.Max)
		if err != nil {
			return err
		}
		p, err := d.take(n)
		if err != nil {
			return err
		}
		if r.Prim == "string" && !utf8.Valid(p) {
			return &decodeError{"invalid_utf8"}
		}
		return nil
	}
	n, _ := schema.StaticSize(r)
	_, err := d.take(n)
	return err
}
