package meter

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/oramanetwork/orama-chain/runtime/vm/internal/wasmgen"
)

const features = api.CoreFeaturesV2 &^ api.CoreFeatureSIMD

// compiles reports whether wazero accepts wasm (validation included).
func compiles(t testing.TB, wasm []byte) error {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(features))
	defer r.Close(ctx)
	_, err := r.CompileModule(ctx, wasm)
	return err
}

// withoutCustom returns wasm with its custom sections removed, or wasm
// itself if its section framing does not parse.
func withoutCustom(wasm []byte) []byte {
	if len(wasm) < 8 {
		return wasm
	}
	out := append([]byte(nil), wasm[:8]...)
	r := &reader{b: wasm, pos: 8}
	for !r.done() {
		start := r.pos
		id := r.byte()
		size := r.u32()
		r.bytes(size)
		if r.err != nil {
			return wasm
		}
		if id != secCustom {
			out = append(out, wasm[start:r.pos]...)
		}
	}
	return out
}

// hasCustom reports whether a well-framed module has a custom section.
func hasCustom(wasm []byte) bool {
	r := &reader{b: wasm, pos: 8}
	for !r.done() {
		id := r.byte()
		r.bytes(r.u32())
		if r.err == nil && id == secCustom {
			return true
		}
	}
	return false
}

// TestHugeNameSectionNeverReachesWazero is the input fuzzing found: a
// "name" custom section claiming 0x7fffffff function names. wazero
// preallocates for them; the meter drops custom sections, so the module
// the VM compiles has none and costs nothing to compile.
func TestHugeNameSectionNeverReachesWazero(t *testing.T) {
	wasm := []byte("\x00asm\x01\x00\x00\x00\x01\b\x02`\x01\x7f\x00`\x00\x00\x03\x02\x01\x01\a\a\x01\x03run\x00\x01\n\b\x01\x06\x00A\x01\x10\x00\v\x00\x12\x04name\x01\x7f\xff\xff\xfff\x02\x05\x02\x00\x00\x01\x00")
	if !hasCustom(wasm) {
		t.Fatal("test input lost its custom section")
	}
	m, err := Instrument(wasm, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if hasCustom(m.Wasm) {
		t.Fatal("instrumented module still has a custom section")
	}
	// The module is invalid (its export names function 1 of 1); compiling
	// the instrumented form must say so at once, as the stripped original does.
	origErr, instErr := compiles(t, withoutCustom(wasm)), compiles(t, m.Wasm)
	if origErr == nil || instErr == nil {
		t.Fatalf("want both invalid: original %v, instrumented %v", origErr, instErr)
	}
}

func testdataModules(t testing.TB) map[string][]byte {
	files, _ := filepath.Glob("../testdata/*.wasm")
	if len(files) == 0 {
		t.Fatal("no testdata modules")
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func TestInstrumentedModulesValidate(t *testing.T) {
	for name, wasm := range testdataModules(t) {
		m, err := Instrument(wasm, DefaultLimits())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := compiles(t, m.Wasm); err != nil {
			t.Fatalf("%s instrumented does not validate: %v", name, err)
		}
	}
}

// mod builds a module of one function with the given body.
func mod(body []byte, locals ...byte) *wasmgen.Module {
	return &wasmgen.Module{Funcs: []wasmgen.Func{{Body: body, Locals: locals, Export: "f"}}, MemoryMin: 1}
}

func TestLimits(t *testing.T) {
	small := func(edit func(*Limits)) Limits {
		l := DefaultLimits()
		edit(&l)
		return l
	}
	nest := func(n int) []byte {
		var b []byte
		for i := 0; i < n; i++ {
			b = append(b, opBlock, blockEmpty)
		}
		for i := 0; i < n; i++ {
			b = append(b, opEnd)
		}
		return b
	}
	straight := bytes.Repeat([]byte{opNop}, 100)
	loops := bytes.Repeat([]byte{opLoop, blockEmpty, opEnd}, 100)
	twoFuncs := &wasmgen.Module{Funcs: []wasmgen.Func{{Body: loops}, {Body: loops}}}
	for _, tc := range []struct {
		name string
		wasm []byte
		lim  Limits
	}{
		{"module bytes", mod(straight).Encode(), small(func(l *Limits) { l.MaxModuleBytes = 50 })},
		{"memory pages", (&wasmgen.Module{MemoryMin: 9}).Encode(), small(func(l *Limits) { l.MaxMemoryPages = 8 })},
		{"table elements", (&wasmgen.Module{Funcs: []wasmgen.Func{{}}, TableFuncs: []uint32{0, 0, 0}}).Encode(), small(func(l *Limits) { l.MaxTableElements = 2 })},
		{"functions", twoFuncs.Encode(), small(func(l *Limits) { l.MaxFunctions = 1 })},
		{"imports", (&wasmgen.Module{Imports: []wasmgen.Import{{Module: "a", Name: "b"}, {Module: "a", Name: "c"}}}).Encode(), small(func(l *Limits) { l.MaxImports = 1 })},
		{"globals", (&wasmgen.Module{GlobalsI64: 3}).Encode(), small(func(l *Limits) { l.MaxGlobals = 2 })},
		{"type arity", (&wasmgen.Module{Funcs: []wasmgen.Func{{Params: []byte{I32, I32, I32}}}}).Encode(), small(func(l *Limits) { l.MaxTypeArity = 2 })},
		{"locals", mod(nil, I32, I32, I32).Encode(), small(func(l *Limits) { l.MaxLocals = 2 })},
		{"instructions", mod(straight).Encode(), small(func(l *Limits) { l.MaxFunctionInstructions = 100 })},
		{"nesting", mod(nest(10)).Encode(), small(func(l *Limits) { l.MaxNesting = 9 })},
		{"compile work", twoFuncs.Encode(), small(func(l *Limits) { l.MaxCompileWork = 401 })},
		{"segment work", twoFuncs.Encode(), small(func(l *Limits) { l.MaxSegmentWork = 2 * 201 * 201 / 2 })},
		{"local work", (&wasmgen.Module{Funcs: []wasmgen.Func{{Body: loops, Locals: []byte{I32, I32}}}}).Encode(), small(func(l *Limits) { l.MaxLocalWork = 2*201 - 1 })},
		{"frame weight", mod(bytes.Repeat([]byte{opI32Const, 0}, StackLimit-FrameBase+1)).Encode(), DefaultLimits()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Instrument(tc.wasm, tc.lim); !errors.Is(err, ErrLimit) {
				t.Fatalf("got %v, want ErrLimit", err)
			}
			// Negative control: within the default limits the module is
			// accepted (except the frame weight, a fixed rule).
			if tc.name != "frame weight" {
				if _, err := Instrument(tc.wasm, DefaultLimits()); err != nil {
					t.Fatalf("with the default limits: %v", err)
				}
			}
		})
	}
}

func TestRefusedFeatures(t *testing.T) {
	raw := func(id byte, content ...byte) []byte {
		return append([]byte{id, byte(len(content))}, content...)
	}
	for _, tc := range []struct {
		name string
		wasm []byte
		want error
	}{
		{"simd", mod([]byte{0xfd, 0x0c}).Encode(), ErrFeature},
		{"atomics", mod([]byte{0xfe, 0x03, 0x00}).Encode(), ErrFeature},
		{"tail call", mod([]byte{0x12, 0x00}).Encode(), ErrFeature},
		{"exceptions", mod([]byte{0x06, 0x40, 0x0b}).Encode(), ErrFeature},
		{"v128 local", mod(nil, 0x7b).Encode(), ErrFeature},
		{"shared memory", memorySection(1, 3, 1, 1), ErrFeature},
		{"64-bit memory", memorySection(1, 4, 1), ErrFeature},
		{"two memories", memorySection(2, 0, 1, 0, 1), ErrFeature},
		{"memory import", importKind(2, 0x00, 0x01), ErrFeature},
		{"global import", importKind(3, I32, 0x00), ErrFeature},
		{"reserved export", (&wasmgen.Module{Funcs: []wasmgen.Func{{Export: "__orama_gas"}}}).Encode(), ErrReserved},
		{"gc type", typeSection(0x5f, 0x00), ErrFeature},
		{"global out of range", mod([]byte{opGlobalGet, 0, opDrop}).Encode(), ErrMalformed},
		{"local out of range", mod([]byte{opLocalGet, 0, opDrop}).Encode(), ErrMalformed},
		{"call out of range", mod([]byte{opCall, 5}).Encode(), ErrMalformed},
		{"bytes after end", mod([]byte{opEnd, opNop}).Encode(), ErrMalformed},
		{"unknown opcode", mod([]byte{0xc5}).Encode(), ErrMalformed},
		{"overlong u32", mod([]byte{opLocalGet, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}).Encode(), ErrMalformed},
		{"unknown section", append((&wasmgen.Module{}).Encode(), raw(13, 0)...), ErrMalformed},
		{"bad magic", []byte("\x00asn\x01\x00\x00\x00"), ErrMalformed},
		{"truncated", (&wasmgen.Module{}).Encode()[:12], ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Instrument(tc.wasm, DefaultLimits())
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

const (
	I32 = wasmgen.I32
	I64 = wasmgen.I64
)

var header8 = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}

func sectionBytes(id byte, content ...byte) []byte {
	return append(appendU32([]byte{id}, uint32(len(content))), content...)
}

func memorySection(content ...byte) []byte {
	return append(append([]byte(nil), header8...), sectionBytes(secMemory, content...)...)
}

func importKind(kind byte, desc ...byte) []byte {
	c := append([]byte{1, 1, 'a', 1, 'b', kind}, desc...)
	return append(append([]byte(nil), header8...), sectionBytes(secImport, c...)...)
}

func typeSection(content ...byte) []byte {
	return append(append([]byte(nil), header8...), sectionBytes(secType, append([]byte{1}, content...)...)...)
}

// TestMaximaCapped: a memory or table without a maximum, or with one above
// the limit, gets the limit as its maximum; memory.grow beyond fails. A
// maximum above what WebAssembly allows (65,536 pages) is invalid, not
// capped.
func TestMaximaCapped(t *testing.T) {
	lim := DefaultLimits()
	if _, err := Instrument((&wasmgen.Module{MemoryMin: 1, MemoryMax: 70000}).Encode(), lim); !errors.Is(err, ErrMalformed) {
		t.Fatalf("max 70000: %v, want ErrMalformed", err)
	}
	for _, max := range []uint32{0, lim.MaxMemoryPages + 1, 65536} {
		wasm := (&wasmgen.Module{MemoryMin: 1, MemoryMax: max}).Encode()
		m, err := Instrument(wasm, lim)
		if err != nil {
			t.Fatal(err)
		}
		if err := compiles(t, m.Wasm); err != nil {
			t.Fatal(err)
		}
		want := append([]byte{1, 1, 1}, appendU32(nil, lim.MaxMemoryPages)...)
		if !bytes.Contains(m.Wasm, want) {
			t.Fatalf("max %d: memory limits not rewritten to %x", max, want)
		}
	}
}

func TestLEB(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 10000; i++ {
		v := int64(rng.Uint64()) >> rng.IntN(64)
		r := reader{b: appendS64(nil, v)}
		if got := r.sleb(64); r.err != nil || got != v || !r.done() {
			t.Fatalf("sleb64 %d: %d %v", v, got, r.err)
		}
		w := int32(v)
		r = reader{b: appendS32(nil, w)}
		if got := r.sleb(32); r.err != nil || int32(got) != w {
			t.Fatalf("sleb32 %d: %d %v", w, got, r.err)
		}
		u := uint32(v)
		r = reader{b: appendU32(nil, u)}
		if got := r.u32(); r.err != nil || got != u {
			t.Fatalf("u32 %d: %d %v", u, got, r.err)
		}
	}
	for _, bad := range [][]byte{
		{0x80, 0x80, 0x80, 0x80, 0x10},       // u32: bit 32 set
		{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, // u32: 6 bytes
		{0x80},                               // truncated
	} {
		r := reader{b: bad}
		if r.u32(); !errors.Is(r.err, ErrMalformed) {
			t.Fatalf("u32 %x accepted", bad)
		}
	}
	for _, bad := range [][]byte{
		{0x80, 0x80, 0x80, 0x80, 0x70&^0x40 | 0x10}, // s32: unused bits not a sign extension
		{0xff, 0xff, 0xff, 0xff, 0x4f},
	} {
		r := reader{b: bad}
		if r.sleb(32); !errors.Is(r.err, ErrMalformed) {
			t.Fatalf("s32 %x accepted", bad)
		}
	}
	r := reader{b: []byte{0xff, 0xff, 0xff, 0xff, 0x7f}} // -1 as s32
	if v := r.sleb(32); r.err != nil || v != -1 {
		t.Fatalf("s32 -1: %d %v", v, r.err)
	}
	r = reader{b: appendS64(nil, math.MinInt64)}
	if v := r.sleb(64); r.err != nil || v != math.MinInt64 {
		t.Fatalf("s64 min: %d %v", v, r.err)
	}
}

// FuzzInstrument: Instrument never panics; when it accepts a module, the
// result validates exactly when the original does (instrumentation makes no
// invalid module valid: it would reach the gas global), and the result is
// deterministic.
func FuzzInstrument(f *testing.F) {
	for _, b := range testdataModules(f) {
		f.Add(b)
	}
	for _, s := range []string{"", "\x01\x02\x03\x04\x05\x06\x07", "\x0b\x0b\x03\x03\x09"} {
		f.Add(wasmgen.Random([]byte(s), false))
	}
	f.Fuzz(func(t *testing.T, wasm []byte) {
		m, err := Instrument(wasm, DefaultLimits())
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrLimit) && !errors.Is(err, ErrFeature) && !errors.Is(err, ErrReserved) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		again, _ := Instrument(wasm, DefaultLimits())
		if !bytes.Equal(again.Wasm, m.Wasm) {
			t.Fatal("instrumentation is not deterministic")
		}
		// The original is compiled without its custom sections: the meter
		// drops them, and wazero's name-section decoder preallocates by a
		// count it has not checked (0x7fffffff names cost it ~10 GB), which
		// would kill the fuzzer rather than test the meter.
		origErr, instErr := compiles(t, withoutCustom(wasm)), compiles(t, m.Wasm)
		if (origErr == nil) != (instErr == nil) {
			// wazero refuses a few things the meter drops (custom sections it
			// cannot parse) or rejects only at instantiation; only a module
			// made valid is a failure.
			if instErr == nil && !strings.Contains(origErr.Error(), "custom") {
				t.Fatalf("invalid module made valid: original %v", origErr)
			}
			if origErr == nil {
				t.Fatalf("valid module made invalid: %v", instErr)
			}
		}
	})
}

// FuzzRandomModules: every generated valid module instruments into a valid
// module.
func FuzzRandomModules(f *testing.F) {
	f.Add([]byte{}, false)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, true)
	f.Fuzz(func(t *testing.T, data []byte, noFloat bool) {
		wasm := wasmgen.Random(data, noFloat)
		if err := compiles(t, wasm); err != nil {
			t.Fatalf("generator made an invalid module: %v", err)
		}
		m, err := Instrument(wasm, DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if err := compiles(t, m.Wasm); err != nil {
			t.Fatalf("instrumented: %v", err)
		}
	})
}

func BenchmarkInstrument(b *testing.B) {
	wasm := wasmgen.Random(bytes.Repeat([]byte{3, 5, 2, 9, 11, 4, 1, 2, 3}, 200), false)
	b.SetBytes(int64(len(wasm)))
	for b.Loop() {
		if _, err := Instrument(wasm, DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestElementEntriesBounded: a segment's entry count is checked before the
// compiler sees it (wazero allocates by it: 2^32-1 entries killed the
// process), and all segments together are bounded.
func TestElementEntriesBounded(t *testing.T) {
	mod := func(elem string) []byte {
		return []byte("\x00asm\x01\x00\x00\x00" +
			"\x01\x04\x01\x60\x00\x00" + // type ()->()
			"\x03\x02\x01\x00" + // one function
			"\x04\x04\x01\x70\x00\x01" + // a funcref table of 1
			"\x09" + string(rune(len(elem))) + elem +
			"\x0a\x04\x01\x02\x00\x0b")
	}
	for name, elem := range map[string]string{
		"2^32-1 function entries":   "\x01\x00\x41\x00\x0b\xff\xff\xff\xff\x0f",
		"2^32-1 expression entries": "\x01\x04\x41\x00\x0b\xff\xff\xff\xff\x0f",
		"passive, 2^32-1 entries":   "\x01\x01\x00\xff\xff\xff\xff\x0f",
	} {
		_, err := Instrument(mod(elem), DefaultLimits())
		if !errors.Is(err, ErrLimit) {
			t.Errorf("%s: %v, want ErrLimit", name, err)
		}
	}
	for name, elem := range map[string]string{
		"entries past the end":  "\x01\x00\x41\x00\x0b\x05\x00",
		"function out of range": "\x01\x00\x41\x00\x0b\x01\x01",
		"flag 8":                "\x01\x08\x00",
	} {
		_, err := Instrument(mod(elem), DefaultLimits())
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	// The entries of all segments count together.
	lim := DefaultLimits()
	lim.MaxElementEntries = 2
	two := "\x02\x00\x41\x00\x0b\x01\x00\x00\x41\x00\x0b\x02\x00\x00"
	if _, err := Instrument(mod(two), lim); !errors.Is(err, ErrLimit) {
		t.Errorf("3 entries in two segments with a limit of 2: %v", err)
	}
	lim.MaxElementEntries = 3
	m, err := Instrument(mod(two), lim)
	if err != nil {
		t.Fatalf("3 entries with a limit of 3: %v", err)
	}
	if err := compiles(t, m.Wasm); err != nil {
		t.Fatalf("a valid element section: %v", err)
	}
}
