package meter

import (
	"bytes"
	"fmt"
	"math"
	"strings"
)

// The gas schedule and stack rule of spec/vm.md. They are protocol rules:
// changing one changes the gas of every call.
const (
	// InstructionGas is the gas of every instruction of the original module.
	InstructionGas = 1
	// PageGas is the gas of each 64 KiB page memory.grow asks for (charged
	// before growing, whether or not the growth succeeds) and of each page
	// of initial memory.
	PageGas = 4096
	// BytesPerGas: memory.copy, memory.fill and memory.init cost one gas per
	// 8 bytes of their length, rounded up; so does each data segment at
	// instantiation.
	BytesPerGas      = 8
	bytesPerGasShift = 3
	// ElementGas is the gas of each table element table.grow, table.fill,
	// table.copy and table.init touch, and of each initial table element.
	ElementGas = 1
	// CallGas is the fixed gas of starting a call (a fresh instance).
	CallGas = 10_000
	// FrameBase is the weight of every call frame; a frame weighs FrameBase
	// plus its parameters, locals and the number of values its instructions
	// push. StackLimit bounds the sum of the weights of the live frames, so
	// no more than StackLimit/FrameBase calls nest.
	FrameBase  = 1024
	StackLimit = 1 << 20
	// MaxGas is the largest gas limit of a call. Larger values are reserved
	// as sentinels.
	MaxGas = 1 << 62
)

// Names the instrumented module exports for the VM. A module that exports a
// name starting with ReservedPrefix is refused.
const (
	ReservedPrefix = "__orama_"
	GasExport      = "__orama_gas"   // i64 mutable global: gas left
	DepthExport    = "__orama_depth" // i32 mutable global: stack units in use
	StartExport    = "__orama_start" // the module's start function, if any
	// OutOfGas and StackOverflow are the values the instrumentation stores
	// in the gas and depth globals before it traps.
	OutOfGas      = ^uint64(0)
	StackOverflow = ^uint32(0)
)

// Limits are the static limits a module must meet to be deployed. They are
// protocol rules (spec/vm.md "Limits"); DefaultLimits gives them.
type Limits struct {
	MaxModuleBytes          uint32 // size of the binary
	MaxTypes                uint32 // function types
	MaxTypeArity            uint32 // parameters plus results of one type
	MaxImports              uint32 // imported functions
	MaxFunctions            uint32 // imported plus defined functions
	MaxGlobals              uint32 // defined globals
	MaxExports              uint32
	MaxTables               uint32
	MaxTableElements        uint32 // initial and maximum elements of each table
	MaxMemoryPages          uint32 // initial and maximum pages of the memory
	MaxDataSegments         uint32
	MaxElementSegments      uint32
	MaxElementEntries       uint32 // entries of all element segments together
	MaxLocals               uint32 // parameters plus locals of one function
	MaxFunctionInstructions uint32 // instructions of one function
	MaxNesting              uint32 // nested blocks in one function
	// MaxCompileWork bounds the sum over functions of instructions plus
	// locals plus br_table targets: compile time grows with it.
	MaxCompileWork uint64
	// MaxSegmentWork bounds the sum over functions of the square of the
	// number of metered segments: wazero's optimising compiler takes time
	// quadratic in a function's basic blocks (spec/vm.md "Compile work").
	MaxSegmentWork uint64
	// MaxLocalWork bounds the sum over functions of locals (parameters
	// included) times metered segments: the compiler's SSA construction
	// can take time in proportion to it.
	MaxLocalWork uint64
}

// DefaultLimits returns the limits of spec/vm.md.
func DefaultLimits() Limits {
	return Limits{
		MaxModuleBytes:          4 << 20,
		MaxTypes:                4096,
		MaxTypeArity:            128,
		MaxImports:              512,
		MaxFunctions:            65536,
		MaxGlobals:              1024,
		MaxExports:              1024,
		MaxTables:               8,
		MaxTableElements:        65536,
		MaxMemoryPages:          1024,
		MaxDataSegments:         65536,
		MaxElementSegments:      4096,
		MaxElementEntries:       65536,
		MaxLocals:               4096,
		MaxFunctionInstructions: 1 << 20,
		MaxNesting:              1024,
		MaxCompileWork:          4 << 20,
		MaxSegmentWork:          64 << 20,
		MaxLocalWork:            4 << 20,
	}
}

// Import is a function the module imports.
type Import struct {
	Module, Name    string
	Params, Results []byte // value types
}

// FuncExport is a function the instrumented module exports.
type FuncExport struct {
	Name string
	// Imported: the export is an imported function, not one the module
	// defines.
	Imported        bool
	Params, Results []byte // value types
}

// Module is an instrumented module and what the VM needs to know about it.
type Module struct {
	Wasm []byte // the instrumented binary

	Imports  []Import
	Exports  []string // exported function names, in the module's order
	HasStart bool     // StartExport runs the original start function
	// FuncExports are the exported functions, in the module's order, then
	// StartExport if HasStart.
	FuncExports []FuncExport

	// InitGas is the gas of instantiation beyond CallGas: the initial
	// memory pages, data segment bytes and initial table elements.
	InitGas uint64

	Functions    uint32 // defined functions
	Instructions uint64 // instructions of all defined functions
	CompileWork  uint64 // the measure MaxCompileWork bounds
	SegmentWork  uint64 // the measure MaxSegmentWork bounds
	LocalWork    uint64 // the measure MaxLocalWork bounds
}

type funcType struct{ params, results []byte }

// section is one section of the input: its id and content.
type section struct {
	id      byte
	content []byte
}

// module is the state of one Instrument call.
type module struct {
	lim      Limits
	sections []section

	types      []funcType
	newTypes   []funcType
	imports    []Import
	importType []uint32 // type index of each imported function
	numImports uint32
	funcs      []uint32 // type index of each defined function
	numGlobals uint32
	numTables  uint32
	numMems    uint32
	start      int64 // -1 if none
	exports    []FuncExport

	curLocals    uint64
	brTargets    uint64
	instructions uint64
	compileWork  uint64
	segSquares   uint64
	localWork    uint64
	initGas      uint64
}

func (m *module) numFuncs() uint32 { return m.numImports + uint32(len(m.funcs)) }

func (m *module) funcType(f uint32) uint32 {
	if f < m.numImports {
		return m.importType[f]
	}
	return m.funcs[f-m.numImports]
}

func (m *module) gasGlobal() uint32   { return m.numGlobals }
func (m *module) depthGlobal() uint32 { return m.numGlobals + 1 }

// resultType returns the index of a type [] -> results, adding one if the
// module has none.
func (m *module) resultType(results []byte) uint32 {
	for i, t := range m.types {
		if len(t.params) == 0 && bytes.Equal(t.results, results) {
			return uint32(i)
		}
	}
	for i, t := range m.newTypes {
		if bytes.Equal(t.results, results) {
			return uint32(len(m.types) + i)
		}
	}
	m.newTypes = append(m.newTypes, funcType{results: results})
	return uint32(len(m.types) + len(m.newTypes) - 1)
}

var header = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}

// maxPages is the most pages a 32-bit memory's limits may give
// (WebAssembly's validity rule: 4 GiB).
const maxPages = 1 << 16

// Section ids.
const (
	secCustom = iota
	secType
	secImport
	secFunction
	secTable
	secMemory
	secGlobal
	secExport
	secStart
	secElement
	secCode
	secData
	secDataCount
)

// order gives the position a section must have; data count sits between
// element and code.
func order(id byte) int {
	if id == secDataCount {
		return 2*secElement + 1
	}
	return 2 * int(id)
}

// Instrument checks wasm against lim and returns it metered.
func Instrument(wasm []byte, lim Limits) (*Module, error) {
	if uint64(len(wasm)) > uint64(lim.MaxModuleBytes) {
		return nil, overLimit("module bytes", uint64(len(wasm)), uint64(lim.MaxModuleBytes))
	}
	if len(wasm) < len(header) || !bytes.Equal(wasm[:len(header)], header) {
		return nil, malformed("not a WebAssembly 1.0 binary")
	}
	m := &module{lim: lim, start: -1}
	r := reader{b: wasm, pos: len(header)}
	last := 0
	for !r.done() {
		id := r.byte()
		content := r.bytes(r.u32())
		if r.err != nil {
			return nil, r.err
		}
		if id > secDataCount {
			return nil, malformed("section id %d", id)
		}
		if id == secCustom {
			continue // dropped
		}
		if order(id) <= last {
			return nil, malformed("section %d out of order or repeated", id)
		}
		last = order(id)
		m.sections = append(m.sections, section{id, content})
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := m.decode(); err != nil {
		return nil, err
	}
	return m.encode()
}

// decode reads the sections the rewrite needs to understand.
func (m *module) decode() error {
	for _, s := range m.sections {
		r := reader{b: s.content}
		var err error
		switch s.id {
		case secType:
			err = m.decodeTypes(&r)
		case secImport:
			err = m.decodeImports(&r)
		case secFunction:
			err = m.decodeFunctions(&r)
		case secTable:
			n := r.u32()
			if r.err == nil && n > m.lim.MaxTables {
				return overLimit("tables", uint64(n), uint64(m.lim.MaxTables))
			}
			m.numTables = n
		case secMemory:
			m.numMems = r.u32()
			if r.err == nil && m.numMems > 1 {
				return unsupported("%d memories", m.numMems)
			}
		case secGlobal:
			err = m.decodeGlobals(&r)
		case secStart:
			f := r.u32()
			if r.err != nil {
				return r.err
			}
			if f >= m.numFuncs() {
				return malformed("start function %d out of range", f)
			}
			// The rewrite removes the start section (the VM calls it
			// through an export), and with it the validator's check.
			if t := m.types[m.funcType(f)]; len(t.params)+len(t.results) != 0 {
				return malformed("start function %d of type %v -> %v, not [] -> []", f, t.params, t.results)
			}
			m.start = int64(f)
		case secElement:
			err = m.decodeElements(&r)
		case secData:
			err = m.decodeData(&r)
		case secCode:
			if n := r.u32(); r.err == nil && n != uint32(len(m.funcs)) {
				return malformed("%d code entries for %d functions", n, len(m.funcs))
			}
		}
		if err != nil {
			return err
		}
		if r.err != nil {
			return r.err
		}
		// Sections read in full here must end with their entries: the
		// rewrite copies a section's bytes after its count, so trailing
		// bytes would reach wazero as part of the entries the rewrite
		// appends. (Table, memory, export and code sections are read in
		// full, and checked, by encode.)
		switch s.id {
		case secType, secImport, secFunction, secGlobal, secStart, secElement, secData:
			if !r.done() {
				return malformed("bytes after the end of section %d", s.id)
			}
		}
	}
	if len(m.funcs) > 0 && !m.has(secCode) {
		return malformed("functions without a code section")
	}
	return nil
}

func (m *module) has(id byte) bool {
	for _, s := range m.sections {
		if s.id == id {
			return true
		}
	}
	return false
}

func (m *module) decodeTypes(r *reader) error {
	n := r.u32()
	if r.err == nil && n > m.lim.MaxTypes {
		return overLimit("types", uint64(n), uint64(m.lim.MaxTypes))
	}
	m.types = make([]funcType, 0, n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		if form := r.byte(); r.err == nil && form != 0x60 {
			if form == 0x5e || form == 0x5f || form == 0x50 || form == 0x4e {
				return unsupported("GC type form 0x%x", form)
			}
			return malformed("type form 0x%x", form)
		}
		params := r.bytes(r.u32())
		results := r.bytes(r.u32())
		if r.err != nil {
			break
		}
		if uint64(len(params))+uint64(len(results)) > uint64(m.lim.MaxTypeArity) {
			return overLimit("parameters and results of a type", uint64(len(params)+len(results)), uint64(m.lim.MaxTypeArity))
		}
		w := funcWalker{m: m}
		for _, t := range params {
			w.valType(t)
		}
		for _, t := range results {
			w.valType(t)
		}
		if w.r.err != nil {
			return w.r.err
		}
		m.types = append(m.types, funcType{params, results})
	}
	return r.err
}

// decodeGlobals reads every global, so that the section is known to end
// with them (the rewrite appends its own).
func (m *module) decodeGlobals(r *reader) error {
	n := r.u32()
	if r.err == nil && n > m.lim.MaxGlobals {
		return overLimit("globals", uint64(n), uint64(m.lim.MaxGlobals))
	}
	if r.err == nil && uint64(n) > uint64(len(r.b)) { // each global takes a byte at least
		return malformed("%d globals past the end of the section", n)
	}
	m.numGlobals = n
	for i := uint32(0); i < n && r.err == nil; i++ {
		w := funcWalker{m: m}
		w.valType(r.byte())
		if r.err == nil && w.r.err != nil {
			return w.r.err
		}
		if mut := r.byte(); r.err == nil && mut > 1 {
			return malformed("global %d mutability %d", i, mut)
		}
		skipConstExpr(r)
	}
	return r.err
}

func (m *module) decodeImports(r *reader) error {
	n := r.u32()
	if r.err == nil && n > m.lim.MaxImports {
		return overLimit("imports", uint64(n), uint64(m.lim.MaxImports))
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		mod, name := r.name(), r.name()
		kind := r.byte()
		if r.err != nil {
			break
		}
		if kind != 0 {
			return unsupported("import %s.%s is not a function (kind %d); only functions may be imported", mod, name, kind)
		}
		t := r.u32()
		if r.err == nil && t >= uint32(len(m.types)) {
			return malformed("import %s.%s of type %d out of range", mod, name, t)
		}
		if r.err != nil {
			break
		}
		m.importType = append(m.importType, t)
		m.imports = append(m.imports, Import{Module: mod, Name: name, Params: m.types[t].params, Results: m.types[t].results})
	}
	m.numImports = uint32(len(m.imports))
	return r.err
}

func (m *module) decodeFunctions(r *reader) error {
	n := r.u32()
	if r.err == nil && uint64(n)+uint64(m.numImports) > uint64(m.lim.MaxFunctions) {
		return overLimit("functions", uint64(n)+uint64(m.numImports), uint64(m.lim.MaxFunctions))
	}
	if r.err == nil && uint64(n) > uint64(len(r.b)) { // each entry takes a byte
		return malformed("%d functions past the end of the section", n)
	}
	m.funcs = make([]uint32, 0, n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		t := r.u32()
		if r.err == nil && t >= uint32(len(m.types)) {
			return malformed("function %d of type %d out of range", i, t)
		}
		m.funcs = append(m.funcs, t)
	}
	return r.err
}

func (m *module) decodeData(r *reader) error {
	n := r.u32()
	if r.err == nil && n > m.lim.MaxDataSegments {
		return overLimit("data segments", uint64(n), uint64(m.lim.MaxDataSegments))
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		switch flag := r.u32(); flag {
		case 0:
			skipConstExpr(r)
		case 1:
		case 2:
			if x := r.u32(); x != 0 {
				return unsupported("data segment for memory %d", x)
			}
			skipConstExpr(r)
		default:
			if r.err == nil {
				return malformed("data segment flag %d", flag)
			}
		}
		size := r.u32()
		r.bytes(size)
		m.initGas += (uint64(size) + BytesPerGas - 1) / BytesPerGas
	}
	return r.err
}

// decodeElements reads every element segment, so that no vector count
// reaches the compiler unchecked: wazero allocates a segment's entries by
// its count before reading them, and a 36-byte module claiming 2^32-1
// entries made it fail with a fatal out-of-memory error (not a panic: the
// node process died).
func (m *module) decodeElements(r *reader) error {
	n := r.u32()
	if r.err == nil && n > m.lim.MaxElementSegments {
		return overLimit("element segments", uint64(n), uint64(m.lim.MaxElementSegments))
	}
	var entries uint64
	for i := uint32(0); i < n && r.err == nil; i++ {
		flag := r.u32()
		if r.err != nil {
			break
		}
		if flag > 7 {
			return malformed("element segment flag %d", flag)
		}
		// Bit 0: passive or declarative; bit 1: explicit table index (active)
		// or declarative (passive); bit 2: entries are expressions.
		if flag&1 == 0 {
			if flag&2 != 0 {
				if x := r.u32(); r.err == nil && x >= m.numTables { // only functions are imported
					return malformed("element segment for table %d", x)
				}
			}
			skipConstExpr(r)
		}
		if flag&3 != 0 {
			r.byte() // elemkind or reftype; the validator checks it
		}
		count := r.u32()
		if r.err != nil {
			break
		}
		entries += uint64(count)
		if entries > uint64(m.lim.MaxElementEntries) {
			return overLimit("element entries", entries, uint64(m.lim.MaxElementEntries))
		}
		if uint64(count) > uint64(len(r.b)-r.pos) { // each entry takes a byte at least
			return malformed("element segment with %d entries past the end", count)
		}
		for j := uint32(0); j < count && r.err == nil; j++ {
			if flag&4 != 0 {
				skipConstExpr(r)
			} else if f := r.u32(); r.err == nil && f >= m.numFuncs() {
				return malformed("element of function %d out of range", f)
			}
		}
	}
	return r.err
}

// skipConstExpr skips a constant expression; the validator checks it.
func skipConstExpr(r *reader) {
	for r.err == nil {
		switch op := r.byte(); op {
		case opEnd:
			return
		case opI32Const:
			r.sleb(32)
		case opI64Const:
			r.sleb(64)
		case opF32Const:
			r.bytes(4)
		case opF64Const:
			r.bytes(8)
		case opGlobalGet, opRefFunc:
			r.u32()
		case opRefNull:
			r.byte()
		default:
			if r.err == nil {
				r.fail("opcode 0x%x in a constant expression", op)
			}
		}
	}
}

// limits reads a table's or memory's limits: flag 0 (min) or 1 (min, max).
func limits(r *reader, what string) (min uint32, max uint32, hasMax bool, err error) {
	switch flag := r.byte(); {
	case r.err != nil:
	case flag == 0:
		min = r.u32()
	case flag == 1:
		min, max, hasMax = r.u32(), r.u32(), true
	case flag == 2 || flag == 3:
		return 0, 0, false, unsupported("shared %s (threads)", what)
	case flag >= 4 && flag <= 7:
		return 0, 0, false, unsupported("64-bit %s", what)
	default:
		r.fail("%s limits flag %d", what, flag)
	}
	return min, max, hasMax, r.err
}

// capLimits rewrites limits so that the maximum is at most cap; a minimum
// above cap is refused. The limits as written are checked first against
// the validity rule (at most valid, maximum not below minimum): capping
// must not make an invalid module valid.
func capLimits(b []byte, r *reader, what string, capacity, valid uint32) ([]byte, uint32, error) {
	min, max, hasMax, err := limits(r, what)
	if err != nil {
		return nil, 0, err
	}
	if min > valid || hasMax && max > valid {
		return nil, 0, malformed("%s limit above %d", what, valid)
	}
	if hasMax && max < min {
		return nil, 0, malformed("%s maximum %d below the minimum %d", what, max, min)
	}
	if min > capacity {
		return nil, 0, overLimit("initial "+what, uint64(min), uint64(capacity))
	}
	if !hasMax || max > capacity {
		max = capacity
	}
	b = append(b, 1)
	b = appendU32(b, min)
	return appendU32(b, max), min, nil
}

// encode writes the instrumented module.
func (m *module) encode() (*Module, error) {
	out := &Module{Imports: m.imports, Functions: uint32(len(m.funcs)), HasStart: m.start >= 0}

	// The code section first: it may add block types.
	var code []byte
	for _, s := range m.sections {
		if s.id != secCode {
			continue
		}
		r := reader{b: s.content}
		n := r.u32()
		code = appendU32(code, n)
		for i := uint32(0); i < n; i++ {
			body := r.bytes(r.u32())
			if r.err != nil {
				return nil, r.err
			}
			var err error
			if code, err = m.rewriteFunc(int(i), body, code); err != nil {
				return nil, err
			}
		}
		if !r.done() {
			return nil, malformed("bytes after the last code entry")
		}
	}
	m.compileWork += m.brTargets
	if m.compileWork > m.lim.MaxCompileWork {
		return nil, overLimit("compile work", m.compileWork, m.lim.MaxCompileWork)
	}
	if m.segSquares > m.lim.MaxSegmentWork {
		return nil, overLimit("segment work", m.segSquares, m.lim.MaxSegmentWork)
	}

	b := append([]byte(nil), header...)
	emit := func(id byte, content []byte) {
		b = append(b, id)
		b = appendU32(b, uint32(len(content)))
		b = append(b, content...)
	}
	done := map[byte]bool{}
	// ensure emits the sections the rewrite adds when the module lacks them.
	ensure := func(upTo byte) error {
		for _, id := range []byte{secType, secGlobal, secExport} {
			if order(id) <= order(upTo) && !done[id] && !m.has(id) {
				done[id] = true
				c, err := m.rewriteSection(section{id: id})
				if err != nil {
					return err
				}
				if c != nil {
					emit(id, c)
				}
			}
		}
		return nil
	}
	for _, s := range m.sections {
		if err := ensure(s.id); err != nil {
			return nil, err
		}
		var c []byte
		var err error
		switch s.id {
		case secCode:
			c = code
		case secStart:
			continue // exported instead: the VM calls it with gas
		default:
			c, err = m.rewriteSection(s)
		}
		if err != nil {
			return nil, err
		}
		emit(s.id, c)
		done[s.id] = true
	}
	if err := ensure(secData); err != nil {
		return nil, err
	}
	out.Wasm = b
	out.InitGas = m.initGas
	out.Instructions = m.instructions
	out.CompileWork = m.compileWork
	out.SegmentWork = m.segSquares
	out.LocalWork = m.localWork
	out.FuncExports = m.exports
	for _, e := range m.exports {
		if e.Name != StartExport {
			out.Exports = append(out.Exports, e.Name)
		}
	}
	return out, nil
}

// exportFunc records the export of function f. A reference-typed
// parameter or result is refused: a call's parameters and results are
// u64s, and a reference made from a caller's number, or handed out as one,
// is a host address.
func (m *module) exportFunc(name string, f uint32) error {
	if f >= m.numFuncs() {
		return nil // invalid: the validator refuses it
	}
	t := m.types[m.funcType(f)]
	for _, v := range append(append([]byte(nil), t.params...), t.results...) {
		switch v {
		case valI32, valI64, valF32, valF64:
		default:
			return unsupported("export %q: a function with a reference-typed parameter or result", name)
		}
	}
	m.exports = append(m.exports, FuncExport{Name: name, Imported: f < m.numImports, Params: t.params, Results: t.results})
	return nil
}

// rewriteSection returns the content of a section as the instrumented
// module has it: unchanged unless the rewrite needs to change it.
func (m *module) rewriteSection(s section) ([]byte, error) {
	r := reader{b: s.content}
	var b []byte
	switch s.id {
	case secType:
		var n uint32
		if s.content != nil {
			n = r.u32()
		}
		if len(m.newTypes) == 0 {
			return s.content, nil
		}
		b = appendU32(b, n+uint32(len(m.newTypes)))
		b = append(b, s.content[r.pos:]...)
		for _, t := range m.newTypes {
			b = append(b, 0x60, 0)
			b = appendU32(b, uint32(len(t.results)))
			b = append(b, t.results...)
		}
		return b, nil
	case secTable:
		n := r.u32()
		b = appendU32(b, n)
		for i := uint32(0); i < n && r.err == nil; i++ {
			t := r.byte()
			b = append(b, t)
			var err error
			var min uint32
			if b, min, err = capLimits(b, &r, "table elements", m.lim.MaxTableElements, math.MaxUint32); err != nil {
				return nil, err
			}
			m.initGas += uint64(min) * ElementGas
		}
	case secMemory:
		n := r.u32()
		b = appendU32(b, n)
		for i := uint32(0); i < n && r.err == nil; i++ {
			var err error
			var min uint32
			if b, min, err = capLimits(b, &r, "memory pages", m.lim.MaxMemoryPages, maxPages); err != nil {
				return nil, err
			}
			m.initGas += uint64(min) * PageGas
		}
	case secGlobal:
		if s.content != nil {
			r.u32()
		}
		b = appendU32(b, m.numGlobals+2)
		b = append(b, s.content[r.pos:]...)
		b = append(b, valI64, 1, opI64Const, 0, opEnd) // gas left
		b = append(b, valI32, 1, opI32Const, 0, opEnd) // stack units
		return b, nil
	case secExport:
		var n uint32
		if s.content != nil {
			n = r.u32()
		}
		if n > m.lim.MaxExports {
			return nil, overLimit("exports", uint64(n), uint64(m.lim.MaxExports))
		}
		for i := uint32(0); i < n && r.err == nil; i++ {
			name, kind, x := r.name(), r.byte(), r.u32()
			if r.err != nil {
				break
			}
			if strings.HasPrefix(name, ReservedPrefix) {
				return nil, fmt.Errorf("%w: export %q", ErrReserved, name)
			}
			// An export past the module's own globals would expose the
			// instrumentation's.
			if kind == 3 && x >= m.numGlobals {
				return nil, malformed("export %q of global %d out of range", name, x)
			}
			if kind == 0 {
				if err := m.exportFunc(name, x); err != nil {
					return nil, err
				}
			}
		}
		if r.err != nil {
			return nil, r.err
		}
		// The entries are copied, then the instrumentation's appended:
		// bytes after the entries would be read as part of those.
		if !r.done() {
			return nil, malformed("bytes after the end of section %d", s.id)
		}
		if m.start >= 0 {
			if err := m.exportFunc(StartExport, uint32(m.start)); err != nil {
				return nil, err
			}
		}
		extra := uint32(2)
		if m.start >= 0 {
			extra++
		}
		b = appendU32(b, n+extra)
		if s.content != nil {
			b = append(b, s.content[skipU32(s.content):]...)
		}
		b = appendExport(b, GasExport, 3, m.gasGlobal())
		b = appendExport(b, DepthExport, 3, m.depthGlobal())
		if m.start >= 0 {
			b = appendExport(b, StartExport, 0, uint32(m.start))
		}
		return b, nil
	default:
		return s.content, nil
	}
	if r.err != nil {
		return nil, r.err
	}
	if !r.done() {
		return nil, malformed("bytes after the end of section %d", s.id)
	}
	return b, nil
}

func appendExport(b []byte, name string, kind byte, x uint32) []byte {
	b = appendU32(b, uint32(len(name)))
	b = append(b, name...)
	b = append(b, kind)
	return appendU32(b, x)
}
