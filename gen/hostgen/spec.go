// Package hostgen generates the contract host-function layer from
// spec/hostfuncs.yaml: the wazero host modules (generated/host), the guest
// declarations for AssemblyScript (sdk/as) and Go wasip1 (sdk/go), and the
// reference page for contract authors (docs/contracts/host-functions.md).
// The ABI vectors come from the same model (gen/hostgen/vectors).
//
// Output is deterministic: it depends only on the YAML, in spec order, never
// on map order, time or the machine. It must never depend on runtime/ code:
// the host side it emits calls runtime/vm and runtime/abi, but the generator
// itself only reads YAML.
package hostgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec is spec/hostfuncs.yaml, loaded and checked.
type Spec struct {
	Doc        string       `yaml:"doc"`
	ABIVersion int          `yaml:"abi_version"`
	Allocator  string       `yaml:"allocator"`
	Codes      []StatusCode `yaml:"codes"`
	Traps      []Trap       `yaml:"traps"`
	Limits     []Limit      `yaml:"limits"`
	Encodings  []Encoding   `yaml:"encodings"`
	Interfaces []Iface      `yaml:"interfaces"`
}

// StatusCode is a status code.
type StatusCode struct {
	Name  string `yaml:"name"`
	Value uint32 `yaml:"value"`
	Doc   string `yaml:"doc"`
}

// Trap is a stable trap reason.
type Trap struct {
	Name string `yaml:"name"`
	Doc  string `yaml:"doc"`
}

// Limit is a size limit; Value is a number or params.<Constant>.
type Limit struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
	Doc   string `yaml:"doc"`
	// N is the resolved number; Param names the params.yaml constant, if any.
	N     uint64 `yaml:"-"`
	Param string `yaml:"-"`
}

// Encoding is a Borsh form passed through memory.
type Encoding struct {
	Name string `yaml:"name"`
	Doc  string `yaml:"doc"`
}

// Iface is one hand-written Go interface and the host module it serves.
type Iface struct {
	Name      string     `yaml:"name"`
	Module    string     `yaml:"module"`
	Doc       string     `yaml:"doc"`
	Functions []Function `yaml:"functions"`
}

// Function is one host function.
type Function struct {
	Name        string   `yaml:"name"`
	Go          string   `yaml:"go"`
	Doc         string   `yaml:"doc"`
	Params      []Param  `yaml:"params"`
	Result      Result   `yaml:"result"`
	Gas         Gas      `yaml:"gas"`
	Codes       []string `yaml:"codes"`
	Traps       []string `yaml:"traps"`
	Determinism string   `yaml:"determinism"`

	// Set by Load.
	Module string `yaml:"-"`
	Iface  *Iface `yaml:"-"`
}

// Param is one parameter as the spec names it; a (ptr, len) parameter is
// two wasm values.
type Param struct {
	Name     string `yaml:"name"`
	Type     string `yaml:"type"`
	UTF8     bool   `yaml:"utf8"`
	Encoding string `yaml:"encoding"`
	Max      string `yaml:"max"`
	Doc      string `yaml:"doc"`
}

// Result is what a function returns.
type Result struct {
	Type     string `yaml:"type"`
	Encoding string `yaml:"encoding"`
	Absent   bool   `yaml:"absent"`
	// Empty: result pointer 0 is the empty value, not an absent one (with
	// Absent); the guest wrappers return empty bytes, never null.
	Empty bool `yaml:"empty"`
}

// Gas is a function's charge: Base + PerInputByte x input bytes before the
// work, PerRow x rows the work changed after it (ExecResult functions: the
// implementation reports the rows), PerOutputByte x result payload bytes
// before writing it.
type Gas struct {
	Base          uint64 `yaml:"base"`
	PerInputByte  uint64 `yaml:"per_input_byte"`
	PerRow        uint64 `yaml:"per_row"`
	PerOutputByte uint64 `yaml:"per_output_byte"`
}

// Param types.
const (
	TBytes     = "bytes"
	TString    = "string"
	TEncoded   = "encoded"
	TAddress   = "address"
	TSignature = "signature"
	TU32       = "u32"
	TU64       = "u64"
	TAsset     = "asset"
)

// Result types.
const (
	RStatus = "status"
	RResult = "result"
	RU64    = "u64"
	RBool   = "bool"
	RDigest = "digest"
	RNone   = "none"
)

// FixedSize is the number of bytes a fixed-size pointer parameter reads.
var FixedSize = map[string]uint32{TAddress: 20, TSignature: 65}

// Pair reports whether the parameter is passed as (ptr, len).
func (p Param) Pair() bool { return p.Type == TBytes || p.Type == TString || p.Type == TEncoded }

// Import is the function's full name, module.name, as contract authors write it.
func (f *Function) Import() string { return f.Module + "." + f.Name }

// WasmParam is one wasm-level parameter.
type WasmParam struct {
	Name string
	I64  bool
}

// WasmParams lists the function's wasm parameters in order: a pair
// parameter gives <name>_ptr and <name>_len, a fixed-size one <name>_ptr, a
// digest result a trailing out_ptr.
func (f *Function) WasmParams() []WasmParam {
	var out []WasmParam
	for _, p := range f.Params {
		switch {
		case p.Pair():
			out = append(out, WasmParam{Name: p.Name + "_ptr"}, WasmParam{Name: p.Name + "_len"})
		case FixedSize[p.Type] > 0:
			out = append(out, WasmParam{Name: p.Name + "_ptr"})
		case p.Type == TU64:
			out = append(out, WasmParam{Name: p.Name, I64: true})
		default:
			out = append(out, WasmParam{Name: p.Name})
		}
	}
	if f.Result.Type == RDigest {
		out = append(out, WasmParam{Name: "out_ptr"})
	}
	return out
}

// WasmResult is the wasm result: "" (none), "i32" or "i64", and its name.
func (f *Function) WasmResult() (typ, name string) {
	switch f.Result.Type {
	case RStatus:
		return "i32", "status"
	case RResult:
		return "i32", "result_ptr"
	case RU64:
		return "i64", "value"
	case RBool:
		return "i32", "ok"
	}
	return "", ""
}

// Signature is the function's wasm signature as the reference page shows it.
func (f *Function) Signature() string {
	var ps []string
	for _, p := range f.WasmParams() {
		t := "i32"
		if p.I64 {
			t = "i64"
		}
		ps = append(ps, p.Name+": "+t)
	}
	s := f.Import() + "(" + strings.Join(ps, ", ") + ")"
	if t, n := f.WasmResult(); t != "" {
		s += " -> " + n + ": " + t
	}
	return s
}

// Limit returns the limit named n.
func (s *Spec) Limit(n string) *Limit {
	for i := range s.Limits {
		if s.Limits[i].Name == n {
			return &s.Limits[i]
		}
	}
	return nil
}

// Code returns the code named n.
func (s *Spec) Code(n string) *StatusCode {
	for i := range s.Codes {
		if s.Codes[i].Name == n {
			return &s.Codes[i]
		}
	}
	return nil
}

// Functions lists every function in spec order.
func (s *Spec) Functions() []*Function {
	var out []*Function
	for i := range s.Interfaces {
		for j := range s.Interfaces[i].Functions {
			out = append(out, &s.Interfaces[i].Functions[j])
		}
	}
	return out
}

// Modules lists the host module names in order of first appearance.
func (s *Spec) Modules() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range s.Functions() {
		if !seen[f.Module] {
			seen[f.Module] = true
			out = append(out, f.Module)
		}
	}
	return out
}

var (
	snake = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	camel = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
)

// Load reads specDir/hostfuncs.yaml (strictly: unknown keys are errors),
// resolves limits naming params.yaml constants, and checks the model.
func Load(specDir string) (*Spec, error) {
	path := filepath.Join(specDir, "hostfuncs.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	params, err := loadParams(filepath.Join(specDir, "params.yaml"))
	if err != nil {
		return nil, err
	}
	if err := s.check(params); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// loadParams returns the numeric constants of params.yaml by name.
func loadParams(path string) (map[string]uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Constants []struct {
			Name  string `yaml:"name"`
			Type  string `yaml:"type"`
			Value any    `yaml:"value"`
		} `yaml:"constants"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]uint64{}
	for _, c := range f.Constants {
		if c.Type == "u64" || c.Type == "size" {
			n, err := strconv.ParseUint(fmt.Sprint(c.Value), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, c.Name, err)
			}
			out[c.Name] = n
		}
	}
	return out, nil
}

func (s *Spec) check(params map[string]uint64) error {
	if s.ABIVersion < 1 || s.Allocator == "" || strings.TrimSpace(s.Doc) == "" {
		return fmt.Errorf("abi_version, allocator and doc are required")
	}
	names := map[string]bool{}
	unique := func(kind, n string) error {
		if names[kind+n] {
			return fmt.Errorf("%s %q is defined twice", kind, n)
		}
		names[kind+n] = true
		return nil
	}
	values := map[uint32]bool{}
	for i, c := range s.Codes {
		if !snake.MatchString(c.Name) || c.Doc == "" {
			return fmt.Errorf("code %q: need a snake_case name and a doc", c.Name)
		}
		if err := unique("code", c.Name); err != nil {
			return err
		}
		if values[c.Value] {
			return fmt.Errorf("code %q: value %d is taken", c.Name, c.Value)
		}
		values[c.Value] = true
		if i == 0 && (c.Name != "ok" || c.Value != 0) {
			return fmt.Errorf("the first code must be ok = 0")
		}
	}
	for _, t := range s.Traps {
		if !snake.MatchString(t.Name) || t.Doc == "" {
			return fmt.Errorf("trap %q: need a snake_case name and a doc", t.Name)
		}
		if err := unique("trap", t.Name); err != nil {
			return err
		}
	}
	for i := range s.Limits {
		l := &s.Limits[i]
		if !camel.MatchString(l.Name) || l.Doc == "" {
			return fmt.Errorf("limit %q: need a CamelCase name and a doc", l.Name)
		}
		if err := unique("limit", l.Name); err != nil {
			return err
		}
		if p, ok := strings.CutPrefix(l.Value, "params."); ok {
			n, found := params[p]
			if !found {
				return fmt.Errorf("limit %s: params.yaml has no numeric constant %s", l.Name, p)
			}
			l.N, l.Param = n, p
		} else {
			n, err := strconv.ParseUint(l.Value, 10, 32)
			if err != nil {
				return fmt.Errorf("limit %s: %w", l.Name, err)
			}
			l.N = n
		}
	}
	encodings := map[string]bool{}
	for _, e := range s.Encodings {
		if !camel.MatchString(e.Name) || e.Doc == "" {
			return fmt.Errorf("encoding %q: need a CamelCase name and a doc", e.Name)
		}
		encodings[e.Name] = true
	}
	for i := range s.Interfaces {
		in := &s.Interfaces[i]
		if !camel.MatchString(in.Name) || in.Doc == "" || in.Module == "" {
			return fmt.Errorf("interface %q: need a CamelCase name, a module and a doc", in.Name)
		}
		if in.Module != "orama" && !strings.HasPrefix(in.Module, "orama.") {
			return fmt.Errorf("interface %s: module %q is not orama or orama.*", in.Name, in.Module)
		}
		if err := unique("interface", in.Name); err != nil {
			return err
		}
		for j := range in.Functions {
			f := &in.Functions[j]
			f.Module, f.Iface = in.Module, in
			if err := s.checkFunction(f, encodings); err != nil {
				return fmt.Errorf("%s: %w", f.Import(), err)
			}
			if err := unique("function", f.Import()); err != nil {
				return err
			}
			if err := unique("method "+in.Name, f.Go); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Spec) checkFunction(f *Function, encodings map[string]bool) error {
	if !snake.MatchString(f.Name) || !camel.MatchString(f.Go) || f.Doc == "" || f.Determinism == "" {
		return fmt.Errorf("need a snake_case name, a Go name, a doc and determinism notes")
	}
	pnames := map[string]bool{}
	for _, p := range f.Params {
		if !snake.MatchString(p.Name) || p.Doc == "" || pnames[p.Name] {
			return fmt.Errorf("parameter %q: need a unique snake_case name and a doc", p.Name)
		}
		pnames[p.Name] = true
		switch p.Type {
		case TBytes, TString, TEncoded:
			if s.Limit(p.Max) == nil {
				return fmt.Errorf("parameter %s: max %q is not a limit", p.Name, p.Max)
			}
		case TAddress, TSignature, TU32, TU64, TAsset:
			if p.Max != "" {
				return fmt.Errorf("parameter %s: a %s has no max", p.Name, p.Type)
			}
		default:
			return fmt.Errorf("parameter %s: unknown type %q", p.Name, p.Type)
		}
		if (p.Type == TEncoded) != (p.Encoding != "") || (p.Encoding != "" && !encodings[p.Encoding]) {
			return fmt.Errorf("parameter %s: an encoded parameter names a known encoding, and only it", p.Name)
		}
		if p.UTF8 && p.Type != TString {
			return fmt.Errorf("parameter %s: utf8 applies to strings", p.Name)
		}
	}
	switch f.Result.Type {
	case RResult:
		if f.Result.Encoding != "" && !encodings[f.Result.Encoding] {
			return fmt.Errorf("result encoding %q is not defined", f.Result.Encoding)
		}
		if f.Result.Empty && !f.Result.Absent {
			return fmt.Errorf("an empty result is given as an absent one: empty needs absent")
		}
	case RStatus, RU64, RBool, RDigest, RNone:
		if f.Result.Encoding != "" || f.Result.Absent || f.Result.Empty {
			return fmt.Errorf("a %s result has no encoding and is never absent", f.Result.Type)
		}
	default:
		return fmt.Errorf("unknown result type %q", f.Result.Type)
	}
	if f.Gas.PerOutputByte != 0 && f.Result.Type != RResult {
		return fmt.Errorf("per_output_byte applies to result functions only")
	}
	if f.Gas.PerInputByte > 1<<16 || f.Gas.PerOutputByte > 1<<16 {
		return fmt.Errorf("per-byte gas over 65536 could overflow")
	}
	if f.Gas.PerRow != 0 && (f.Result.Type != RResult || f.Result.Encoding != "ExecResult") {
		return fmt.Errorf("per_row applies to ExecResult functions only: their implementation counts the rows")
	}
	if len(f.Codes) == 0 || f.Codes[0] != "ok" {
		return fmt.Errorf("codes must start with ok")
	}
	for _, c := range f.Codes {
		if s.Code(c) == nil {
			return fmt.Errorf("unknown code %q", c)
		}
	}
	if len(f.Codes) > 1 && f.Result.Type != RStatus && !(f.Result.Type == RResult && isDB(f.Result.Encoding)) {
		return fmt.Errorf("only status functions and database results carry codes other than ok")
	}
	traps := map[string]bool{}
	for _, t := range s.Traps {
		traps[t.Name] = true
	}
	for _, t := range f.Traps {
		if !traps[t] {
			return fmt.Errorf("unknown trap %q", t)
		}
	}
	return nil
}

// isDB reports whether a result encoding opens with a status word.
func isDB(encoding string) bool { return encoding == "ExecResult" || encoding == "Rows" }

// HasCode reports whether f lists the code.
func (f *Function) HasCode(c string) bool { return contains(f.Codes, c) }

// HasTrap reports whether f lists the trap.
func (f *Function) HasTrap(t string) bool { return contains(f.Traps, t) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
