// Package wasm writes small WebAssembly modules in the binary format: the
// guest modules of the ABI vectors and of the host binding tests, which call
// one host function with chosen arguments and check what it gave back.
//
// It knows only what those modules need (function imports, one memory,
// i32 globals, exports, active data segments, code given as bytes) and
// writes them byte for byte the same every time. It must never depend on
// the VM or the host: its modules are inputs to them.
package wasm

import "bytes"

// Value types.
const (
	I32 byte = 0x7f
	I64 byte = 0x7e
)

// Opcodes the modules use.
const (
	OpUnreachable = 0x00
	OpBlock       = 0x02
	OpLoop        = 0x03
	OpIf          = 0x04
	OpEnd         = 0x0b
	OpBr          = 0x0c
	OpBrIf        = 0x0d
	OpReturn      = 0x0f
	OpCall        = 0x10
	OpDrop        = 0x1a
	OpLocalGet    = 0x20
	OpLocalSet    = 0x21
	OpLocalTee    = 0x22
	OpGlobalGet   = 0x23
	OpGlobalSet   = 0x24
	OpI32Load     = 0x28
	OpI64Load     = 0x29
	OpI32Load8U   = 0x2d
	OpI32Store    = 0x36
	OpI64Store    = 0x37
	OpI32Const    = 0x41
	OpI64Const    = 0x42
	OpI32Eqz      = 0x45
	OpI32Eq       = 0x46
	OpI32Ne       = 0x47
	OpI32LtU      = 0x49
	OpI64Ne       = 0x52
	OpI32Add      = 0x6a
	BlockVoid     = 0x40
)

// FuncType is a function signature.
type FuncType struct{ Params, Results []byte }

// Import is an imported function.
type Import struct {
	Module, Name string
	Type         FuncType
}

// Func is a defined function: its locals (beyond the parameters) and body,
// without the final end.
type Func struct {
	Type   FuncType
	Locals []byte
	Body   []byte
	Export string // "" for none
}

// Data is an active data segment of memory 0.
type Data struct {
	Offset uint32
	Bytes  []byte
}

// Module is a module to write.
type Module struct {
	Imports []Import
	Funcs   []Func
	// Pages is the memory's initial (and maximum) size in 64 KiB pages;
	// the memory is exported as "memory".
	Pages   uint32
	Globals []int32 // mutable i32 globals
	Data    []Data
}

// U32 appends v as unsigned LEB128.
func U32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// S64 appends v as signed LEB128 (i32.const and i64.const operands).
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

// I32Const appends i32.const v.
func I32Const(b []byte, v int32) []byte { return S64(append(b, OpI32Const), int64(v)) }

// I64Const appends i64.const v.
func I64Const(b []byte, v int64) []byte { return S64(append(b, OpI64Const), v) }

// Mem appends a memory instruction with alignment 0 and the offset.
func Mem(b []byte, op byte, offset uint32) []byte { return U32(U32(append(b, op), 0), offset) }

func name(b []byte, s string) []byte { return append(U32(b, uint32(len(s))), s...) }

func vec(b []byte, items [][]byte) []byte {
	b = U32(b, uint32(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

func section(out *bytes.Buffer, id byte, body []byte) {
	out.WriteByte(id)
	out.Write(U32(nil, uint32(len(body))))
	out.Write(body)
}

func typeBytes(t FuncType) []byte {
	b := []byte{0x60}
	b = append(U32(b, uint32(len(t.Params))), t.Params...)
	return append(U32(b, uint32(len(t.Results))), t.Results...)
}

// Bytes returns the module's binary encoding.
func (m *Module) Bytes() []byte {
	var types [][]byte
	typeIndex := func(t FuncType) uint32 {
		enc := typeBytes(t)
		for i, e := range types {
			if bytes.Equal(e, enc) {
				return uint32(i)
			}
		}
		types = append(types, enc)
		return uint32(len(types) - 1)
	}
	var imports, funcs, code, exports, globals, data [][]byte
	for _, im := range m.Imports {
		b := name(name(nil, im.Module), im.Name)
		imports = append(imports, U32(append(b, 0x00), typeIndex(im.Type)))
	}
	for i, f := range m.Funcs {
		funcs = append(funcs, U32(nil, typeIndex(f.Type)))
		var body []byte
		body = U32(body, uint32(len(f.Locals)))
		for _, l := range f.Locals {
			body = append(U32(body, 1), l)
		}
		body = append(append(body, f.Body...), OpEnd)
		code = append(code, append(U32(nil, uint32(len(body))), body...))
		if f.Export != "" {
			exports = append(exports, U32(append(name(nil, f.Export), 0x00), uint32(len(m.Imports)+i)))
		}
	}
	exports = append(exports, U32(append(name(nil, "memory"), 0x02), 0))
	for _, g := range m.Globals {
		globals = append(globals, append(I32Const([]byte{I32, 0x01}, g), OpEnd))
	}
	for _, d := range m.Data {
		b := append(I32Const([]byte{0x00}, int32(d.Offset)), OpEnd)
		data = append(data, append(U32(b, uint32(len(d.Bytes))), d.Bytes...))
	}
	var out bytes.Buffer
	out.Write([]byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00})
	section(&out, 1, vec(nil, types))
	if len(imports) > 0 {
		section(&out, 2, vec(nil, imports))
	}
	section(&out, 3, vec(nil, funcs))
	section(&out, 5, U32(U32([]byte{0x01, 0x01}, m.Pages), m.Pages))
	if len(globals) > 0 {
		section(&out, 6, vec(nil, globals))
	}
	section(&out, 7, vec(nil, exports))
	section(&out, 10, vec(nil, code))
	if len(data) > 0 {
		section(&out, 11, vec(nil, data))
	}
	return out.Bytes()
}
