package vm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/oramanetwork/orama-chain/runtime/vm/meter"
)

// Modules built byte by byte, for inputs a toolchain would not emit.

var wHeader = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}

const (
	tI32       = 0x7f
	tI64       = 0x7e
	tFuncref   = 0x70
	tExternref = 0x6f
)

func wLEB(v uint64) []byte {
	var b []byte
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func wCat(bs ...[]byte) []byte {
	var o []byte
	for _, b := range bs {
		o = append(o, b...)
	}
	return o
}

// wSec is a section holding a vector of items.
func wSec(id byte, items ...[]byte) []byte {
	return wRawSec(id, wCat(wLEB(uint64(len(items))), wCat(items...)))
}

func wRawSec(id byte, content []byte) []byte {
	return wCat([]byte{id}, wLEB(uint64(len(content))), content)
}

func wName(s string) []byte { return wCat(wLEB(uint64(len(s))), []byte(s)) }

func wType(params, results []byte) []byte {
	return wCat([]byte{0x60}, wLEB(uint64(len(params))), params, wLEB(uint64(len(results))), results)
}

// wBody is a code entry without locals.
func wBody(code ...byte) []byte {
	b := append([]byte{0}, code...)
	return wCat(wLEB(uint64(len(b))), b)
}

func wExport(n string, kind byte, idx uint64) []byte {
	return wCat(wName(n), []byte{kind}, wLEB(idx))
}

func wImport(mod, n string, typ uint64) []byte {
	return wCat(wName(mod), wName(n), []byte{0}, wLEB(typ))
}

// TestRefTypedExportRefused: a reference crosses the call boundary as a raw
// u64; a funcref parameter made from a caller's number crashed the process
// (SIGSEGV), and a funcref result leaked a host address.
func TestRefTypedExportRefused(t *testing.T) {
	one := func(ty []byte, code ...byte) []byte {
		return wCat(wHeader, wSec(1, ty), wSec(3, []byte{0}), wSec(7, wExport("g", 0, 0)), wSec(10, wBody(code...)))
	}
	for name, wasm := range map[string][]byte{
		"funcref param":     one(wType([]byte{tFuncref}, nil), 0x0b),
		"funcref result":    one(wType(nil, []byte{tFuncref}), 0xd2, 0x00, 0x0b),
		"externref result":  one(wType(nil, []byte{tExternref}), 0xd0, tExternref, 0x0b),
		"externref in, out": one(wType([]byte{tI32, tExternref}, []byte{tI64, tExternref}), 0x42, 0, 0x20, 1, 0x0b),
	} {
		for _, eng := range engines {
			if _, err := newVM(t, eng.e).Deploy(context.Background(), wasm); !errors.Is(err, ErrFeature) {
				t.Errorf("%s [%s]: %v, want ErrFeature", name, eng.name, err)
			}
		}
	}
	// Negative control: references inside the module are fine.
	wasm := wCat(wHeader, wSec(1, wType([]byte{tFuncref}, nil), wType(nil, nil)), wSec(3, []byte{0}, []byte{1}),
		wSec(7, wExport("f", 0, 1)), wSec(10, wBody(0x0b), wBody(0xd0, tFuncref, 0x10, 0, 0x0b)))
	v := newVM(t, EngineCompiler)
	c, err := v.Deploy(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(v, c, "f", bigGas); err != nil {
		t.Fatal(err)
	}
}

// rawContract wraps a module compiled without the meter, as no deployed
// contract can be: for the call path's own checks.
func rawContract(t *testing.T, v *VM, wasm []byte) *Contract {
	t.Helper()
	compiled, err := v.rt.CompileModule(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	return &Contract{compiled: compiled, info: &meter.Module{}, exports: compiled.ExportedFunctions()}
}

// TestCallRefusesRefTypedExport: the call path refuses a reference-typed
// export even if one reached it.
func TestCallRefusesRefTypedExport(t *testing.T) {
	for _, eng := range engines {
		v := newVM(t, eng.e)
		c := rawContract(t, v, wCat(wHeader, wSec(1, wType(nil, []byte{tFuncref})), wSec(3, []byte{0}),
			wSec(7, wExport("r", 0, 0)), wSec(10, wBody(0xd2, 0x00, 0x0b))))
		if res, _, err := run(v, c, "r", bigGas); !errors.Is(err, ErrNoFunction) {
			t.Errorf("%s: %v %v, want ErrNoFunction", eng.name, res, err)
		}
	}
}

// TestCallWithoutGasGlobal: a module without the instrumentation's exports
// is an error of the VM, not a panic.
func TestCallWithoutGasGlobal(t *testing.T) {
	for _, eng := range engines {
		v := newVM(t, eng.e)
		c := rawContract(t, v, wCat(wHeader, wSec(1, wType(nil, nil)), wSec(3, []byte{0}),
			wSec(7, wExport("f", 0, 0)), wSec(10, wBody(0x0b))))
		_, _, err := run(v, c, "f", bigGas)
		if err == nil || errors.Is(err, ErrTrap) {
			t.Errorf("%s: %v, want an error that is not the contract's", eng.name, err)
		}
	}
}

// TestSectionTrailingBytesRefused: the meter copies a section's entries
// after their count; bytes the entries do not consume are refused, not
// copied. Trailing bytes in the export section made wazero mis-parse the
// appended __orama_gas export, and every call panicked.
func TestSectionTrailingBytesRefused(t *testing.T) {
	types := wSec(1, wType(nil, nil))
	funcs := wSec(3, []byte{0})
	code := wSec(10, wBody(0x0b))
	for name, wasm := range map[string][]byte{
		"export":   wCat(wHeader, types, funcs, wRawSec(7, wCat(wLEB(1), wExport("f", 0, 0), []byte{13, 'x'})), code),
		"start":    wCat(wHeader, types, funcs, wRawSec(8, []byte{0, 0xff, 0xff}), code),
		"type":     wCat(wHeader, wRawSec(1, wCat(wLEB(1), wType(nil, nil), wType(nil, nil))), funcs, code),
		"global":   wCat(wHeader, wRawSec(6, wCat(wLEB(1), []byte{tI32, 0, 0x41, 0, 0x0b}, []byte{tI32, 0, 0x41, 0, 0x0b}))),
		"import":   wCat(wHeader, wSec(1, wType([]byte{tI32}, nil)), wRawSec(2, wCat(wLEB(1), wImport("test", "nop", 0), []byte{0}))),
		"function": wCat(wHeader, types, wRawSec(3, []byte{1, 0, 0}), code),
		"data":     wCat(wHeader, wSec(5, []byte{0, 1}), wRawSec(11, []byte{1, 1, 0, 0xff})),
		"element":  wCat(wHeader, wRawSec(9, []byte{0, 0xff})),
	} {
		if _, err := meter.Instrument(wasm, meter.DefaultLimits()); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: instrument: %v, want ErrMalformed", name, err)
		}
		if _, err := newVM(t, EngineCompiler).Deploy(context.Background(), wasm); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: deploy: %v, want ErrMalformed", name, err)
		}
	}
}

// TestWASIWithoutMemory: in a module without memory every range is out of
// bounds (errno 21); WASI functions used to dereference the nil memory.
func TestWASIWithoutMemory(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params []byte
		code   []byte
	}{
		{"random_get", []byte{tI32, tI32}, []byte{0x41, 0, 0x41, 1, 0x10, 0, 0x0b}},
		{"fd_write", []byte{tI32, tI32, tI32, tI32}, []byte{0x41, 1, 0x41, 0, 0x41, 0, 0x41, 0, 0x10, 0, 0x0b}},
		{"poll_oneoff", []byte{tI32, tI32, tI32, tI32}, []byte{0x41, 0, 0x41, 0, 0x41, 1, 0x41, 0, 0x10, 0, 0x0b}},
	} {
		wasm := wCat(wHeader, wSec(1, wType(tc.params, []byte{tI32}), wType(nil, []byte{tI32})),
			wSec(2, wImport(wasiModule, tc.name, 0)), wSec(3, []byte{1}), wSec(7, wExport("f", 0, 1)),
			wSec(10, wBody(tc.code...)))
		for _, eng := range engines {
			v := newVM(t, eng.e)
			c, err := v.Deploy(context.Background(), wasm)
			if err != nil {
				t.Fatal(err)
			}
			res, _, err := run(v, c, "f", bigGas)
			if err != nil || res.Values[0] != errnoFault {
				t.Errorf("%s [%s]: %v %v, want errno %d", tc.name, eng.name, res, err, errnoFault)
			}
		}
	}
}

// TestResultPtrWithoutMemory: a result_ptr of a module without memory is
// out of bounds.
func TestResultPtrWithoutMemory(t *testing.T) {
	wasm := wCat(wHeader, wSec(1, wType(nil, []byte{tI32})), wSec(3, []byte{0}), wSec(7, wExport("f", 0, 0)),
		wSec(10, wBody(0x41, 8, 0x0b)))
	for _, eng := range engines {
		v := newVM(t, eng.e)
		c, err := v.Deploy(context.Background(), wasm)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Call(context.Background(), c, "f", CallOptions{Gas: bigGas, ReturnsBytes: true})
		if !errors.Is(err, ErrTrap) {
			t.Errorf("%s: %v, want ErrTrap", eng.name, err)
		}
	}
}

// TestImportedFunctionExportRefused: an export (or the start function)
// that is an imported function would be called with no guest module: host
// functions panicked on it.
func TestImportedFunctionExportRefused(t *testing.T) {
	ty := wSec(1, wType([]byte{tI32, tI32}, []byte{tI32}), wType([]byte{tI32}, nil), wType(nil, nil))
	imports := wSec(2, wImport(wasiModule, "random_get", 0), wImport("test", "nop", 1), wImport("test", "unit", 2))
	mem := wSec(5, []byte{0, 1})
	for name, wasm := range map[string][]byte{
		"export":      wCat(wHeader, ty, imports, mem, wSec(7, wExport("rg", 0, 0))),
		"orama_alloc": wCat(wHeader, ty, imports, mem, wSec(7, wExport(AllocExport, 0, 1))),
		"_initialize": wCat(wHeader, ty, imports, mem, wSec(7, wExport(InitializeExport, 0, 2))),
		"start":       wCat(wHeader, ty, imports, mem, wRawSec(8, wLEB(2))),
	} {
		for _, eng := range engines {
			if _, err := newVM(t, eng.e).Deploy(context.Background(), wasm); !errors.Is(err, ErrImport) {
				t.Errorf("%s [%s]: %v, want ErrImport", name, eng.name, err)
			}
		}
	}
}

// TestAllocOfWrongTypeIsAbsent: an orama_alloc that is not (i32) -> i32 is
// no allocator: Return fails with alloc_failed instead of panicking on a
// missing result or reading an i64.
func TestAllocOfWrongTypeIsAbsent(t *testing.T) {
	for _, alloc := range []struct {
		name string
		ty   []byte
		code []byte
	}{
		{"(i32) -> ()", wType([]byte{tI32}, nil), []byte{0x0b}},
		{"() -> i32", wType(nil, []byte{tI32}), []byte{0x41, 16, 0x0b}},
		{"(i64) -> i64", wType([]byte{tI64}, []byte{tI64}), []byte{0x42, 16, 0x0b}},
		{"(i32) -> (i32, i32)", wType([]byte{tI32}, []byte{tI32, tI32}), []byte{0x41, 16, 0x41, 16, 0x0b}},
	} {
		wasm := wCat(wHeader, wSec(1, wType([]byte{tI32, tI32}, []byte{tI32}), wType(nil, nil), alloc.ty),
			wSec(2, wImport("test", "echo", 0)), wSec(3, []byte{1}, []byte{2}), wSec(5, []byte{0, 1}),
			wSec(7, wExport("f", 0, 1), wExport(AllocExport, 0, 2)),
			wSec(10, wBody(0x41, 0, 0x41, 1, 0x10, 0, 0x1a, 0x0b), wBody(alloc.code...)))
		for _, eng := range engines {
			v := newVM(t, eng.e)
			c, err := v.Deploy(context.Background(), wasm)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := run(v, c, "f", bigGas); !errors.Is(err, ErrAllocFailed) || !errors.Is(err, ErrTrap) {
				t.Errorf("%s [%s]: %v, want ErrAllocFailed", alloc.name, eng.name, err)
			}
		}
	}
}

// TestAllocWithoutMemory: with no memory no block can hold a result, so
// an allocator's non-zero pointer is alloc_failed too (vm.md "A call").
func TestAllocWithoutMemory(t *testing.T) {
	// give returns bytes and reads none: only its result needs memory.
	wasm := wCat(wHeader, wSec(1, wType(nil, []byte{tI32}), wType(nil, nil), wType([]byte{tI32}, []byte{tI32})),
		wSec(2, wImport("test", "give", 0)), wSec(3, []byte{1}, []byte{2}),
		wSec(7, wExport("f", 0, 1), wExport(AllocExport, 0, 2)),
		wSec(10, wBody(0x10, 0, 0x1a, 0x0b), wBody(0x41, 16, 0x0b)))
	for _, eng := range engines {
		v := newVM(t, eng.e)
		c, err := v.Deploy(context.Background(), wasm)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := run(v, c, "f", bigGas); !errors.Is(err, ErrAllocFailed) || !errors.Is(err, ErrTrap) {
			t.Errorf("[%s]: %v, want ErrAllocFailed", eng.name, err)
		}
	}
}

// TestStartOfWrongTypeRefused: the start section is removed by the
// rewrite, so its type is checked before: a start function must be
// [] -> [].
func TestStartOfWrongTypeRefused(t *testing.T) {
	for name, ty := range map[string][]byte{
		"param":  wType([]byte{tI32}, nil),
		"result": wType(nil, []byte{tI32}),
	} {
		code := []byte{0x0b}
		if name == "result" {
			code = []byte{0x41, 5, 0x0b}
		}
		wasm := wCat(wHeader, wSec(1, ty), wSec(3, []byte{0}), wRawSec(8, wLEB(0)), wSec(10, wBody(code...)))
		if _, err := newVM(t, EngineCompiler).Deploy(context.Background(), wasm); !errors.Is(err, ErrMalformed) {
			t.Errorf("start with a %s: %v, want ErrMalformed", name, err)
		}
	}
}

// TestLimitsValidBeforeCapping: the meter lowers a maximum to the VM's
// limit; the limits as written must be valid first (a memory of at most
// 65,536 pages, a maximum not below the minimum).
func TestLimitsValidBeforeCapping(t *testing.T) {
	limits := func(flag byte, min, max uint64) []byte {
		b := wCat([]byte{flag}, wLEB(min))
		if flag == 1 {
			b = wCat(b, wLEB(max))
		}
		return b
	}
	mem := func(flag byte, min, max uint64) []byte { return wCat(wHeader, wSec(5, limits(flag, min, max))) }
	table := func(flag byte, min, max uint64) []byte {
		return wCat(wHeader, wSec(4, wCat([]byte{tFuncref}, limits(flag, min, max))))
	}
	for _, tc := range []struct {
		name string
		wasm []byte
		want error
	}{
		{"memory max 65537", mem(1, 1, 65537), ErrMalformed},
		{"memory max 70000", mem(1, 1, 70000), ErrMalformed},
		{"memory min 70000", mem(0, 70000, 0), ErrMalformed},
		{"memory min 3 max 2", mem(1, 3, 2), ErrMalformed},
		{"memory min 2000 max 3", mem(1, 2000, 3), ErrMalformed},
		{"table min 3 max 2", table(1, 3, 2), ErrMalformed},
		{"table min 70000 max 3", table(1, 70000, 3), ErrMalformed},
		{"memory min 2000", mem(0, 2000, 0), ErrLimit},
		{"table min 70000", table(0, 70000, 0), ErrLimit},
		{"memory max 65536", mem(1, 1, 65536), nil},
		{"table max 2^32-1", table(1, 1, 1<<32-1), nil},
	} {
		_, err := newVM(t, EngineCompiler).Deploy(context.Background(), tc.wasm)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestBrTableTargetsCountedOnce: compile work counts each br_table target
// and the default once (spec/vm.md); both passes of the rewrite used to
// count them.
func TestBrTableTargetsCountedOnce(t *testing.T) {
	const n = 9
	code := []byte{0x02, 0x40, 0x41, 0x00, 0x0e}
	code = append(code, wLEB(n)...)
	for i := 0; i <= n; i++ {
		code = append(code, 0)
	}
	code = append(code, 0x0b, 0x0b)
	wasm := wCat(wHeader, wSec(1, wType(nil, nil)), wSec(3, []byte{0}), wSec(10, wBody(code...)))
	m, err := meter.Instrument(wasm, meter.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if want := m.Instructions + n + 1; m.CompileWork != want {
		t.Fatalf("compile work %d, want %d instructions + %d targets", m.CompileWork, m.Instructions, n+1)
	}
	lim := meter.DefaultLimits()
	lim.MaxCompileWork = m.CompileWork
	if _, err := meter.Instrument(wasm, lim); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	lim.MaxCompileWork--
	if _, err := meter.Instrument(wasm, lim); !errors.Is(err, ErrLimit) {
		t.Fatalf("over the limit: %v", err)
	}
}

// TestInitializeOfWrongTypeRefused: _initialize runs before every other
// export with no arguments and its results dropped: any other type than
// [] -> [] made every call trap.
func TestInitializeOfWrongTypeRefused(t *testing.T) {
	for name, ty := range map[string][]byte{
		"param":  wType([]byte{tI32}, nil),
		"result": wType(nil, []byte{tI32}),
	} {
		code := []byte{0x0b}
		if name == "result" {
			code = []byte{0x41, 5, 0x0b}
		}
		wasm := wCat(wHeader, wSec(1, ty, wType(nil, nil)), wSec(3, []byte{0}, []byte{1}),
			wSec(7, wExport(InitializeExport, 0, 0), wExport("f", 0, 1)), wSec(10, wBody(code...), wBody(0x0b)))
		if _, err := newVM(t, EngineCompiler).Deploy(context.Background(), wasm); !errors.Is(err, ErrMalformed) {
			t.Errorf("_initialize with a %s: %v, want ErrMalformed", name, err)
		}
	}
}

// deployRefusal reports whether err is one of Deploy's refusals of the
// module.
func deployRefusal(err error) bool {
	for _, e := range []error{ErrMalformed, ErrLimit, ErrFeature, ErrReserved, ErrImport} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// TestHostFailuresAreNotRefusals: a compilation that fails for a reason of
// the node (the runtime closed, the compilation cache unusable) is not the
// module's fault, and neither is an instantiation on a closed VM.
func TestHostFailuresAreNotRefusals(t *testing.T) {
	ctx := context.Background()
	wasm := testdata(t, "basic.wasm")

	v := newVM(t, EngineCompiler)
	c := deploy(t, v, "basic.wasm")
	v.Close(ctx)
	if _, err := v.Deploy(ctx, testdata(t, "wasi.wasm")); err == nil || deployRefusal(err) { // it has imports
		t.Errorf("deploy on a closed VM: %v, want a host failure", err)
	}
	if _, _, err := run(v, c, "add", bigGas, 1, 2); err == nil || errors.Is(err, ErrTrap) {
		t.Errorf("call on a closed VM: %v, want a host failure", err)
	}

	// The compilation cache's directory replaced by a file.
	dir := t.TempDir()
	v, err := New(ctx, Config{CacheDir: dir, HostModules: testHost})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close(ctx)
	subs, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(subs) == 0 {
		t.Fatalf("no cache directory in %s", dir)
	}
	for _, s := range subs {
		if err := os.RemoveAll(s); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.Deploy(ctx, wasm); err == nil || deployRefusal(err) {
		t.Errorf("deploy with a broken cache: %v, want a host failure", err)
	}
	// A module the meter passes and wazero's validation refuses (its body
	// leaves a value on the stack) is still refused as malformed.
	invalid := wCat(wHeader, wSec(1, wType(nil, nil)), wSec(3, []byte{0}), wSec(10, wBody(0x41, 0, 0x0b)))
	if _, err := v.Deploy(ctx, invalid); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed module with a broken cache: %v, want ErrMalformed", err)
	}
}

// TestHostHelpersWithoutMemory: wazero gives a module without memory a
// non-nil api.Memory holding a nil pointer; Read and Write trap on it
// rather than panic.
func TestHostHelpersWithoutMemory(t *testing.T) {
	wasm := wCat(wHeader, wSec(1, wType([]byte{tI32, tI32}, []byte{tI32}), wType([]byte{tI32, tI32}, nil), wType(nil, nil)),
		wSec(2, wImport("test", "read", 0), wImport("test", "write", 1)), wSec(3, []byte{2}, []byte{2}),
		wSec(7, wExport("read", 0, 2), wExport("write", 0, 3)),
		wSec(10, wBody(0x41, 0, 0x41, 0, 0x10, 0, 0x1a, 0x0b), wBody(0x41, 0, 0x41, 0, 0x10, 1, 0x0b)))
	for _, eng := range engines {
		v := newVM(t, eng.e)
		c, err := v.Deploy(context.Background(), wasm)
		if err != nil {
			t.Fatal(err)
		}
		for _, fn := range []string{"read", "write"} {
			if _, _, err := run(v, c, fn, bigGas); !errors.Is(err, ErrTrap) || errors.Is(err, ErrHostPanic) {
				t.Errorf("%s [%s]: %v, want ErrTrap", fn, eng.name, err)
			}
		}
	}
}
