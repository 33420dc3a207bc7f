// Package wasmgen builds WebAssembly binaries for runtime/vm's tests: a
// small encoder for hand-assembled modules, and a generator of random valid
// modules driven by a byte string (for fuzzing the meter and the engines).
// Test support only; it must never be imported by production code.
package wasmgen

// Value types and a few opcodes.
const (
	I32 = 0x7f
	I64 = 0x7e
	F32 = 0x7d
	F64 = 0x7c
)

// Func is a function to encode.
type Func struct {
	Params, Results []byte
	Locals          []byte // one entry per local
	Body            []byte // instructions, without the final end
	Export          string
}

// Import is an imported function.
type Import struct {
	Module, Name    string
	Params, Results []byte
}

// Module is a module to encode: imports, then functions; one memory.
type Module struct {
	Imports     []Import
	Funcs       []Func
	MemoryMin   uint32
	MemoryMax   uint32 // 0: none
	NoMemory    bool
	ExportMem   bool
	TableFuncs  []uint32 // a funcref table holding these function indices
	GlobalsI64  int      // mutable i64 globals, initialised to 0
	RawSections [][]byte // appended as they are (id + size + content)
}

// U32 appends v as unsigned LEB128.
func U32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// S64 appends v as signed LEB128.
func S64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func vec(b []byte, items ...[]byte) []byte {
	b = U32(b, uint32(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

func name(b []byte, s string) []byte { return append(U32(b, uint32(len(s))), s...) }

func section(b []byte, id byte, content []byte) []byte {
	b = append(b, id)
	b = U32(b, uint32(len(content)))
	return append(b, content...)
}

// Encode returns the binary.
func (m *Module) Encode() []byte {
	type sig struct{ p, r string }
	var types [][]byte
	index := map[sig]uint32{}
	typeOf := func(p, r []byte) uint32 {
		k := sig{string(p), string(r)}
		if i, ok := index[k]; ok {
			return i
		}
		t := []byte{0x60}
		t = U32(t, uint32(len(p)))
		t = append(t, p...)
		t = U32(t, uint32(len(r)))
		t = append(t, r...)
		index[k] = uint32(len(types))
		types = append(types, t)
		return index[k]
	}
	var imports, funcs, codes, exports [][]byte
	for _, im := range m.Imports {
		e := name(name(nil, im.Module), im.Name)
		e = append(e, 0)
		imports = append(imports, U32(e, typeOf(im.Params, im.Results)))
	}
	for i, f := range m.Funcs {
		funcs = append(funcs, U32(nil, typeOf(f.Params, f.Results)))
		var body []byte
		body = U32(body, uint32(len(f.Locals)))
		for _, l := range f.Locals {
			body = append(body, 1, l)
		}
		body = append(body, f.Body...)
		body = append(body, 0x0b)
		codes = append(codes, append(U32(nil, uint32(len(body))), body...))
		if f.Export != "" {
			e := name(nil, f.Export)
			e = append(e, 0)
			exports = append(exports, U32(e, uint32(len(m.Imports)+i)))
		}
	}
	if m.ExportMem && !m.NoMemory {
		exports = append(exports, append(name(nil, "memory"), 2, 0))
	}
	b := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	b = section(b, 1, vec(nil, types...))
	if len(imports) > 0 {
		b = section(b, 2, vec(nil, imports...))
	}
	b = section(b, 3, vec(nil, funcs...))
	if len(m.TableFuncs) > 0 {
		t := []byte{0x70, 0}
		t = U32(t, uint32(len(m.TableFuncs)))
		b = section(b, 4, vec(nil, t))
	}
	if !m.NoMemory {
		var l []byte
		if m.MemoryMax > 0 {
			l = U32(U32([]byte{1}, m.MemoryMin), m.MemoryMax)
		} else {
			l = U32([]byte{0}, m.MemoryMin)
		}
		b = section(b, 5, vec(nil, l))
	}
	if m.GlobalsI64 > 0 {
		var gs [][]byte
		for i := 0; i < m.GlobalsI64; i++ {
			gs = append(gs, []byte{I64, 1, 0x42, 0, 0x0b})
		}
		b = section(b, 6, vec(nil, gs...))
	}
	b = section(b, 7, vec(nil, exports...))
	if len(m.TableFuncs) > 0 {
		e := []byte{0, 0x41, 0, 0x0b}
		e = U32(e, uint32(len(m.TableFuncs)))
		for _, f := range m.TableFuncs {
			e = U32(e, f)
		}
		b = section(b, 9, vec(nil, e))
	}
	b = section(b, 10, vec(nil, codes...))
	for _, s := range m.RawSections {
		b = append(b, s...)
	}
	return b
}
