// Package schema loads and checks the YAML specs under spec/ into the model
// that every generator target (Go types, JavaScript schemas, conformance
// vectors) works from. spec/README.md documents the YAML format.
//
// It must never depend on generated code or on runtime/: the generators that
// use it run before either exists.
package schema

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Kind is what a named type is.
type Kind int

const (
	Struct Kind = iota
	Enum
	Fixed // a fixed-length byte array
)

// Spec is every type and constant of one spec directory.
type Spec struct {
	Files     []*File     // sorted by name
	Constants []*Constant // in file order
	types     map[string]*Type
	consts    map[string]*Constant
	depOrder  []*Type // set by orderTypes
}

// File is one spec/*.yaml file holding types.
type File struct {
	Name  string // base name without .yaml, e.g. "accounts"
	Doc   string
	Types []*Type
}

// Type is a named type.
type Type struct {
	Name     string
	Doc      string
	File     string
	Kind     Kind
	Size     int        // Fixed: byte length
	Fields   []*Field   // Struct
	Variants []*Variant // Enum
	Hash     string     // "sha256" when the type has an object hash
	Signing  *Signing   // set when values of the type are signed
}

// Signing says how a type is signed: the signing payload is the Borsh
// encoding of every field before Signature (which must be the last field),
// or of the whole value when Signature is empty.
type Signing struct {
	Domain    string // a variant of SigningDomain
	Signature string // field name, or ""
}

// Field is one field of a struct.
type Field struct {
	Name     string // snake_case
	Doc      string
	Type     *Ref
	Max      int    // limit of string, bytes and vec
	MaxConst string // the constant Max came from
}

// RefKind is the shape of a field's type.
type RefKind int

const (
	Prim RefKind = iota
	Named
	Vec
	Option
)

// Ref is a field type: a primitive, a named type, vec<T> or option<T>.
type Ref struct {
	Kind  RefKind
	Prim  string // u8 u16 u32 u64 bool string bytes
	Named *Type
	Elem  *Ref
}

// Variant is one value of an enum.
type Variant struct {
	Name    string
	Value   int
	Doc     string
	Payload *Type // nil when the variant carries no payload
}

// Constant is a protocol constant from params.yaml.
type Constant struct {
	Name  string
	Type  string // u64, size or string
	Value string // decimal digits for u64 and size
	Doc   string
}

// Int returns a numeric constant's value.
func (c *Constant) Int() uint64 {
	v, _ := strconv.ParseUint(c.Value, 10, 64)
	return v
}

// Type returns the named type, or nil.
func (s *Spec) Type(name string) *Type { return s.types[name] }

// Const returns the named constant, or nil.
func (s *Spec) Const(name string) *Constant { return s.consts[name] }

// DependencyOrder lists every type after the types its fields use: a
// depth-first walk in spec order, so the order is a function of the spec
// alone. Targets that must declare a type before using it (JavaScript) emit
// in this order.
func (s *Spec) DependencyOrder() []*Type { return s.depOrder }

// Types returns every type, file by file in spec order.
func (s *Spec) Types() []*Type {
	var out []*Type
	for _, f := range s.Files {
		out = append(out, f.Types...)
	}
	return out
}

// Field returns the named field of a struct, or nil.
func (t *Type) Field(name string) *Field {
	for _, f := range t.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// --- YAML form ---

type yFile struct {
	Doc       string      `yaml:"doc"`
	Types     []yType     `yaml:"types"`
	Constants []yConstant `yaml:"constants"`
}

type yType struct {
	Name     string     `yaml:"name"`
	Doc      string     `yaml:"doc"`
	Fixed    int        `yaml:"fixed"`
	Enum     string     `yaml:"enum"`
	Hash     string     `yaml:"hash"`
	Signing  *ySigning  `yaml:"signing"`
	Fields   []yField   `yaml:"fields"`
	Variants []yVariant `yaml:"variants"`
}

type ySigning struct {
	Domain    string `yaml:"domain"`
	Signature string `yaml:"signature"`
}

type yField struct {
	Name string    `yaml:"name"`
	Type string    `yaml:"type"`
	Max  yaml.Node `yaml:"max"`
	Doc  string    `yaml:"doc"`
}

type yVariant struct {
	Name    string `yaml:"name"`
	Value   *int   `yaml:"value"`
	Payload string `yaml:"payload"`
	Doc     string `yaml:"doc"`
}

type yConstant struct {
	Name  string    `yaml:"name"`
	Type  string    `yaml:"type"`
	Value yaml.Node `yaml:"value"`
	Doc   string    `yaml:"doc"`
}

var (
	typeName  = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	fieldName = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
)

// Load reads every *.yaml file directly under dir (openapi.yaml excluded:
// it is the REST surface, not Borsh; hostfuncs.yaml too: the contract host
// functions, gen/hostgen's) and checks the whole spec.
func Load(dir string) (*Spec, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	s := &Spec{types: map[string]*Type{}, consts: map[string]*Constant{}}
	var raw []struct {
		file *File
		ys   []yType
	}
	for _, p := range paths {
		base := strings.TrimSuffix(filepath.Base(p), ".yaml")
		if base == "openapi" || base == "hostfuncs" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var yf yFile
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&yf); err != nil {
			return nil, fmt.Errorf("spec %s: %w", filepath.Base(p), err)
		}
		for _, yc := range yf.Constants {
			c, err := loadConstant(yc)
			if err != nil {
				return nil, fmt.Errorf("spec %s: %w", filepath.Base(p), err)
			}
			if s.consts[c.Name] != nil {
				return nil, fmt.Errorf("spec %s: constant %s defined twice", filepath.Base(p), c.Name)
			}
			s.consts[c.Name] = c
			s.Constants = append(s.Constants, c)
		}
		if len(yf.Types) == 0 {
			continue
		}
		f := &File{Name: base, Doc: strings.TrimSpace(yf.Doc)}
		for _, yt := range yf.Types {
			if !typeName.MatchString(yt.Name) {
				return nil, fmt.Errorf("spec %s: type name %q is not CamelCase", base, yt.Name)
			}
			if s.types[yt.Name] != nil {
				return nil, fmt.Errorf("spec %s: type %s defined twice", base, yt.Name)
			}
			t := &Type{Name: yt.Name, Doc: strings.TrimSpace(yt.Doc), File: base, Hash: yt.Hash}
			if t.Doc == "" {
				return nil, fmt.Errorf("spec %s: type %s has no doc", base, yt.Name)
			}
			s.types[t.Name] = t
			f.Types = append(f.Types, t)
		}
		s.Files = append(s.Files, f)
		raw = append(raw, struct {
			file *File
			ys   []yType
		}{f, yf.Types})
	}
	// Second pass: resolve fields and variants now that all names are known.
	for _, r := range raw {
		for i, yt := range r.ys {
			if err := s.resolve(r.file.Types[i], yt); err != nil {
				return nil, fmt.Errorf("spec %s: type %s: %w", r.file.Name, yt.Name, err)
			}
		}
	}
	if err := s.orderTypes(); err != nil {
		return nil, err
	}
	if s.Type("SigningDomain") == nil {
		return nil, errors.New("spec: the SigningDomain enum is required")
	}
	for _, t := range s.Types() {
		if t.Signing != nil {
			if err := s.checkSigning(t); err != nil {
				return nil, fmt.Errorf("spec: type %s: %w", t.Name, err)
			}
		}
	}
	return s, nil
}

func loadConstant(yc yConstant) (*Constant, error) {
	if !typeName.MatchString(yc.Name) {
		return nil, fmt.Errorf("constant name %q is not CamelCase", yc.Name)
	}
	if strings.TrimSpace(yc.Doc) == "" {
		return nil, fmt.Errorf("constant %s has no doc", yc.Name)
	}
	c := &Constant{Name: yc.Name, Type: yc.Type, Doc: strings.TrimSpace(yc.Doc), Value: yc.Value.Value}
	switch yc.Type {
	case "u64", "size":
		if _, err := strconv.ParseUint(c.Value, 10, 64); err != nil {
			return nil, fmt.Errorf("constant %s: value %q is not a u64", c.Name, c.Value)
		}
		if yc.Type == "size" && c.Int() > 1<<31 {
			return nil, fmt.Errorf("constant %s: a size must fit in an int32", c.Name)
		}
	case "string":
	default:
		return nil, fmt.Errorf("constant %s: type %q is not u64, size or string", c.Name, yc.Type)
	}
	return c, nil
}

func (s *Spec) resolve(t *Type, yt yType) error {
	kinds := 0
	if yt.Fixed > 0 {
		kinds++
		t.Kind, t.Size = Fixed, yt.Fixed
	}
	if yt.Enum != "" {
		kinds++
		t.Kind = Enum
		if yt.Enum != "u8" {
			return fmt.Errorf("enum representation %q: only u8 is supported", yt.Enum)
		}
	}
	if len(yt.Fields) > 0 {
		kinds++
		t.Kind = Struct
	}
	if kinds != 1 {
		return errors.New("must be exactly one of fixed, enum or a struct with fields")
	}
	if t.Hash != "" && t.Hash != "sha256" {
		return fmt.Errorf("hash %q: only sha256 is supported", t.Hash)
	}
	if (t.Hash != "" || yt.Signing != nil) && t.Kind != Struct {
		return errors.New("only structs may have hash or signing")
	}
	if yt.Signing != nil {
		t.Signing = &Signing{Domain: yt.Signing.Domain, Signature: yt.Signing.Signature}
	}
	switch t.Kind {
	case Enum:
		seen := map[int]bool{}
		names := map[string]bool{}
		for _, yv := range yt.Variants {
			if !typeName.MatchString(yv.Name) || names[yv.Name] {
				return fmt.Errorf("variant name %q is not CamelCase or is repeated", yv.Name)
			}
			if yv.Value == nil || *yv.Value < 0 || *yv.Value > 255 || seen[*yv.Value] {
				return fmt.Errorf("variant %s: value must be a unique 0..255", yv.Name)
			}
			if strings.TrimSpace(yv.Doc) == "" {
				return fmt.Errorf("variant %s has no doc", yv.Name)
			}
			names[yv.Name], seen[*yv.Value] = true, true
			v := &Variant{Name: yv.Name, Value: *yv.Value, Doc: strings.TrimSpace(yv.Doc)}
			if yv.Payload != "" && yv.Payload != "none" {
				v.Payload = s.types[yv.Payload]
				if v.Payload == nil || v.Payload.Kind != Struct {
					return fmt.Errorf("variant %s: payload %q is not a struct type", yv.Name, yv.Payload)
				}
			}
			t.Variants = append(t.Variants, v)
		}
		if len(t.Variants) == 0 {
			return errors.New("enum has no variants")
		}
	case Struct:
		names := map[string]bool{}
		for _, yf := range yt.Fields {
			if !fieldName.MatchString(yf.Name) || names[yf.Name] {
				return fmt.Errorf("field name %q is not snake_case or is repeated", yf.Name)
			}
			names[yf.Name] = true
			if strings.TrimSpace(yf.Doc) == "" {
				return fmt.Errorf("field %s has no doc", yf.Name)
			}
			ref, err := s.parseRef(yf.Type)
			if err != nil {
				return fmt.Errorf("field %s: %w", yf.Name, err)
			}
			f := &Field{Name: yf.Name, Doc: strings.TrimSpace(yf.Doc), Type: ref}
			needsMax := ref.Kind == Vec || (ref.Kind == Prim && (ref.Prim == "string" || ref.Prim == "bytes"))
			if yf.Max.Kind != 0 {
				if !needsMax {
					return fmt.Errorf("field %s: max applies only to string, bytes and vec", yf.Name)
				}
				if f.Max, f.MaxConst, err = s.maxValue(yf.Max.Value); err != nil {
					return fmt.Errorf("field %s: %w", yf.Name, err)
				}
			} else if needsMax {
				return fmt.Errorf("field %s: a variable-length field needs max", yf.Name)
			}
			t.Fields = append(t.Fields, f)
		}
	}
	return nil
}

func (s *Spec) maxValue(v string) (int, string, error) {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return n, "", nil
	}
	c := s.consts[v]
	if c == nil || c.Type != "size" {
		return 0, "", fmt.Errorf("max %q is neither a positive number nor a size constant", v)
	}
	return int(c.Int()), c.Name, nil
}

func (s *Spec) parseRef(str string) (*Ref, error) {
	switch str {
	case "u8", "u16", "u32", "u64", "bool", "string", "bytes":
		return &Ref{Kind: Prim, Prim: str}, nil
	}
	for _, w := range []struct {
		prefix string
		kind   RefKind
	}{{"vec<", Vec}, {"option<", Option}} {
		if strings.HasPrefix(str, w.prefix) && strings.HasSuffix(str, ">") {
			elem, err := s.parseRef(str[len(w.prefix) : len(str)-1])
			if err != nil {
				return nil, err
			}
			// Containers hold named types or integers only: that keeps every
			// limit attached to a field and every encoding easy to read.
			if elem.Kind == Vec || elem.Kind == Option || (elem.Kind == Prim && !isInt(elem.Prim)) {
				return nil, fmt.Errorf("type %q: a container holds a named type or an integer", str)
			}
			return &Ref{Kind: w.kind, Elem: elem}, nil
		}
	}
	t := s.types[str]
	if t == nil {
		return nil, fmt.Errorf("unknown type %q", str)
	}
	return &Ref{Kind: Named, Named: t}, nil
}

func isInt(p string) bool { return p == "u8" || p == "u16" || p == "u32" || p == "u64" }

// orderTypes rejects recursive types and records DependencyOrder.
func (s *Spec) orderTypes() error {
	state := map[*Type]int{}
	var visit func(t *Type, path []string) error
	visit = func(t *Type, path []string) error {
		switch state[t] {
		case 1:
			return fmt.Errorf("spec: recursive type: %s", strings.Join(append(path, t.Name), " -> "))
		case 2:
			return nil
		}
		state[t] = 1
		for _, f := range t.Fields {
			r := f.Type
			if r.Elem != nil {
				r = r.Elem
			}
			if r.Kind == Named {
				if err := visit(r.Named, append(path, t.Name)); err != nil {
					return err
				}
			}
		}
		state[t] = 2
		s.depOrder = append(s.depOrder, t)
		return nil
	}
	for _, t := range s.Types() {
		if err := visit(t, nil); err != nil {
			return err
		}
	}
	return nil
}

func (s *Spec) checkSigning(t *Type) error {
	dom := s.Type("SigningDomain")
	ok := false
	for _, v := range dom.Variants {
		ok = ok || v.Name == t.Signing.Domain
	}
	if !ok {
		return fmt.Errorf("signing domain %q is not a SigningDomain variant", t.Signing.Domain)
	}
	if t.Signing.Signature == "" {
		return nil
	}
	last := t.Fields[len(t.Fields)-1]
	if last.Name != t.Signing.Signature || last.Type.Kind != Named || last.Type.Named.Name != "Signature" {
		return fmt.Errorf("signature field %q must be the last field and of type Signature", t.Signing.Signature)
	}
	return nil
}

// StaticSize returns the encoded size of a ref when every value has the same
// size, and false otherwise.
func StaticSize(r *Ref) (int, bool) {
	switch r.Kind {
	case Prim:
		switch r.Prim {
		case "u8", "bool":
			return 1, true
		case "u16":
			return 2, true
		case "u32":
			return 4, true
		case "u64":
			return 8, true
		}
		return 0, false
	case Named:
		return TypeStaticSize(r.Named)
	}
	return 0, false
}

// TypeStaticSize is StaticSize for a named type.
func TypeStaticSize(t *Type) (int, bool) {
	switch t.Kind {
	case Fixed:
		return t.Size, true
	case Enum:
		return 1, true
	}
	n := 0
	for _, f := range t.Fields {
		k, ok := StaticSize(f.Type)
		if !ok {
			return 0, false
		}
		n += k
	}
	return n, true
}

// MinSize returns the smallest encoded size of a ref; decoders use it to
// refuse vector lengths the remaining input cannot hold.
func MinSize(r *Ref) int {
	switch r.Kind {
	case Prim:
		if n, ok := StaticSize(r); ok {
			return n
		}
		return 4
	case Vec:
		return 4
	case Option:
		return 1
	}
	t := r.Named
	if n, ok := TypeStaticSize(t); ok {
		return n
	}
	n := 0
	for _, f := range t.Fields {
		n += MinSize(f.Type)
	}
	return n
}

// GoName turns snake_case into an exported Go name with the usual initialisms.
func GoName(snake string) string {
	var b strings.Builder
	for _, part := range strings.Split(snake, "_") {
		if up, ok := initialisms[part]; ok {
			b.WriteString(up)
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

var initialisms = map[string]string{
	"id": "ID", "btc": "BTC", "qc": "QC", "tc": "TC", "smt": "SMT", "dex": "DEX",
	"url": "URL", "os": "OS", "txid": "TxID", "zk": "ZK",
}
