package wasm

// Allocators a probe can export as orama_alloc.
const (
	AllocBump        = "bump"          // a bump allocator from AllocBase
	AllocZero        = "zero"          // always returns 0 (failure)
	AllocOutOfBounds = "out_of_bounds" // returns 0xFFFFFFF0, outside any memory
	AllocNone        = "none"          // no orama_alloc export
)

// Check codes run returns: 0 when every check passed.
const (
	CheckOK         = 0
	CheckResult     = 1 // the raw result differs
	CheckNullResult = 2 // result pointer 0, bytes expected
	CheckLength     = 3 // the result's length prefix differs
	CheckBytes      = 4 // a result byte differs
	CheckOut        = 5 // a byte at the out pointer differs
	CheckNotNull    = 6 // a result pointer, 0 expected
)

// Probe describes a module that calls one host function once, from its
// export run () -> i32, with constant arguments, and checks in wasm what it
// got: the raw result, the bytes at the result pointer, the bytes written at
// an out pointer. run returns a Check code, so the checks need no access to
// the instance's memory after the call.
type Probe struct {
	Module, Name string
	Params       []byte   // wasm parameter types
	Result       byte     // 0 for none, I32 or I64
	Args         []uint64 // one per parameter (i32 in the low 32 bits)
	Pages        uint32
	Data         []Data
	Alloc        string
	AllocBase    uint32 // where the bump allocator starts

	WantResult  *uint64 // the raw result, when checked
	WantPayload []byte  // the bytes at the result pointer (after the length), when checked
	WantNull    bool    // result pointer 0
	OutAt       uint32  // where the function wrote (digest)
	WantOut     []byte  // the bytes expected there, when checked
	ExpectAt    uint32  // where the probe keeps the expected bytes (a data segment it adds)
}

// Build returns the probe's module.
func (p *Probe) Build() *Module {
	m := &Module{
		Imports: []Import{{Module: p.Module, Name: p.Name, Type: FuncType{Params: p.Params, Results: results(p.Result)}}},
		Pages:   p.Pages,
		Data:    append([]Data{}, p.Data...),
	}
	expect := append(append([]byte{}, p.WantPayload...), p.WantOut...)
	if len(expect) > 0 {
		m.Data = append(m.Data, Data{Offset: p.ExpectAt, Bytes: expect})
	}
	// run: locals 0 = result (i32 or i64), 1 = index.
	var b []byte
	for i, t := range p.Params {
		if t == I64 {
			b = I64Const(b, int64(p.Args[i]))
		} else {
			b = I32Const(b, int32(uint32(p.Args[i])))
		}
	}
	b = U32(append(b, OpCall), 0)
	resLocal := I32
	if p.Result == I64 {
		resLocal = I64
	}
	if p.Result != 0 {
		b = U32(append(b, OpLocalSet), 0)
	}
	fail := func(b []byte, code int32) []byte {
		b = append(b, OpIf, BlockVoid)
		b = I32Const(b, code)
		return append(b, OpReturn, OpEnd)
	}
	if p.WantResult != nil {
		b = U32(append(b, OpLocalGet), 0)
		if p.Result == I64 {
			b = I64Const(b, int64(*p.WantResult))
			b = append(b, OpI64Ne)
		} else {
			b = I32Const(b, int32(uint32(*p.WantResult)))
			b = append(b, OpI32Ne)
		}
		b = fail(b, CheckResult)
	}
	if p.WantNull {
		b = U32(append(b, OpLocalGet), 0)
		b = append(b, OpI32Eqz, OpI32Eqz)
		b = fail(b, CheckNotNull)
	}
	if p.WantPayload != nil {
		b = U32(append(b, OpLocalGet), 0)
		b = append(b, OpI32Eqz)
		b = fail(b, CheckNullResult)
		b = U32(append(b, OpLocalGet), 0)
		b = Mem(b, OpI32Load, 0)
		b = I32Const(b, int32(len(p.WantPayload)))
		b = append(b, OpI32Ne)
		b = fail(b, CheckLength)
		// Compare [result+4, +n) with the expected bytes.
		b = compare(b, func(b []byte) []byte { return U32(append(b, OpLocalGet), 0) }, 4, p.ExpectAt, len(p.WantPayload), CheckBytes)
	}
	if p.WantOut != nil {
		at := p.OutAt
		b = compare(b, func(b []byte) []byte { return I32Const(b, int32(at)) }, 0, p.ExpectAt+uint32(len(p.WantPayload)), len(p.WantOut), CheckOut)
	}
	b = I32Const(b, CheckOK)
	m.Funcs = append(m.Funcs, Func{Type: FuncType{Results: []byte{I32}}, Locals: []byte{resLocal, I32}, Body: b, Export: "run"})
	switch p.Alloc {
	case AllocNone:
	case AllocZero:
		m.Funcs = append(m.Funcs, Func{Type: allocType, Body: I32Const(nil, 0), Export: "orama_alloc"})
	case AllocOutOfBounds:
		m.Funcs = append(m.Funcs, Func{Type: allocType, Body: I32Const(nil, -16), Export: "orama_alloc"})
	default:
		m.Globals = []int32{int32(p.AllocBase)}
		body := []byte{OpGlobalGet, 0, OpGlobalGet, 0}
		body = U32(append(body, OpLocalGet), 0)
		body = append(body, OpI32Add, OpGlobalSet, 0)
		m.Funcs = append(m.Funcs, Func{Type: allocType, Body: body, Export: "orama_alloc"})
	}
	return m
}

var allocType = FuncType{Params: []byte{I32}, Results: []byte{I32}}

func results(t byte) []byte {
	if t == 0 {
		return nil
	}
	return []byte{t}
}

// compare appends a loop checking n bytes at base()+off against the bytes
// at expectAt, returning code from run at the first difference. It uses
// local 1 as the index.
func compare(b []byte, base func([]byte) []byte, off, expectAt uint32, n int, code int32) []byte {
	b = I32Const(b, 0)
	b = U32(append(b, OpLocalSet), 1)
	b = append(b, OpBlock, BlockVoid, OpLoop, BlockVoid)
	b = U32(append(b, OpLocalGet), 1)
	b = I32Const(b, int32(n))
	b = append(b, OpI32Eq)
	b = U32(append(b, OpBrIf), 1)
	b = base(b)
	b = U32(append(b, OpLocalGet), 1)
	b = append(b, OpI32Add)
	b = Mem(b, OpI32Load8U, off)
	b = U32(append(b, OpLocalGet), 1)
	b = Mem(b, OpI32Load8U, expectAt)
	b = append(b, OpI32Ne, OpIf, BlockVoid)
	b = I32Const(b, code)
	b = append(b, OpReturn, OpEnd)
	b = U32(append(b, OpLocalGet), 1)
	b = I32Const(b, 1)
	b = append(b, OpI32Add)
	b = U32(append(b, OpLocalSet), 1)
	b = U32(append(b, OpBr), 0)
	return append(b, OpEnd, OpEnd)
}
