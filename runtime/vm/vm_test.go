package vm

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/oramanetwork/orama-chain/runtime/vm/internal/wasmgen"
	"github.com/oramanetwork/orama-chain/runtime/vm/meter"
)

const bigGas = 1 << 40

func TestCallResults(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			v := newVM(t, eng.e)
			c := deploy(t, v, "basic.wasm")
			for _, tc := range []struct {
				fn     string
				params []uint64
				want   []uint64
			}{
				{"add", []uint64{2, 40}, []uint64{42}},
				{"fib", []uint64{20}, []uint64{6765}},
				{"sum", []uint64{1000}, []uint64{499500}},
				{"sum", []uint64{0}, []uint64{0}},
				{"multi", []uint64{0}, []uint64{7, 8}},
				{"multi", []uint64{1}, []uint64{1, 2}},
				{"grow", []uint64{2}, []uint64{1}},
				{"grow", []uint64{16}, []uint64{api.EncodeI32(-1)}}, // above the declared maximum
			} {
				res, _, err := run(v, c, tc.fn, bigGas, tc.params...)
				if err != nil {
					t.Fatalf("%s%v: %v", tc.fn, tc.params, err)
				}
				if len(res.Values) != len(tc.want) {
					t.Fatalf("%s%v = %v, want %v", tc.fn, tc.params, res.Values, tc.want)
				}
				for i := range tc.want {
					if uint32(res.Values[i]) != uint32(tc.want[i]) && res.Values[i] != tc.want[i] {
						t.Fatalf("%s%v = %v, want %v", tc.fn, tc.params, res.Values, tc.want)
					}
				}
			}
		})
	}
}

// TestGasSchedule checks gas against spec/vm.md's schedule, computed by
// hand from the instruction sequence of basic.wat.
func TestGasSchedule(t *testing.T) {
	v := newVM(t, EngineCompiler)
	c := deploy(t, v, "basic.wasm")
	// Entry: CallGas + 1 initial page + ceil(12 data bytes / 8).
	entry := uint64(meter.CallGas + meter.PageGas + 2)
	if got := meter.CallGas + c.Info().InitGas; got != entry {
		t.Fatalf("entry gas %d, want %d", got, entry)
	}
	res, _, err := run(v, c, "add", bigGas, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	// add: local.get, local.get, i32.add, end: one segment of 4.
	if res.GasUsed != entry+4 {
		t.Fatalf("add used %d, want %d", res.GasUsed, entry+4)
	}
	// sum: each further iteration is the loop body's segment: 14 instructions
	// from local.get $acc to the loop's end (a segment runs from a branch
	// target to the next; the br_if inside does not end it).
	g := func(n uint64) uint64 {
		res, _, err := run(v, c, "sum", bigGas, n)
		if err != nil {
			t.Fatal(err)
		}
		return res.GasUsed
	}
	if d := g(11) - g(10); d != 14 {
		t.Fatalf("sum: %d gas per iteration, want 14", d)
	}
	// copy(n): memory.copy and memory.fill each cost ceil(n/8) on top of
	// their instruction.
	cp := func(n uint64) uint64 {
		res, _, err := run(v, c, "copy", bigGas, n)
		if err != nil {
			t.Fatal(err)
		}
		return res.GasUsed
	}
	if d := cp(80) - cp(0); d != 2*10 {
		t.Fatalf("copy(80) costs %d more than copy(0), want 20", d)
	}
	if d := cp(81) - cp(80); d != 2 {
		t.Fatalf("copy(81) costs %d more than copy(80), want 2 (rounded up)", d)
	}
	// grow(n): PageGas per page asked for.
	gr := func(n uint64) uint64 {
		res, _, err := run(v, c, "grow", bigGas, n)
		if err != nil {
			t.Fatal(err)
		}
		return res.GasUsed
	}
	if d := gr(3) - gr(1); d != 2*meter.PageGas {
		t.Fatalf("grow(3) costs %d more than grow(1), want %d", d, 2*meter.PageGas)
	}
	// A host function's Charge is gas used.
	ch := func(n uint64) uint64 {
		res, _, err := run(v, c, "charge", bigGas, n)
		if err != nil {
			t.Fatal(err)
		}
		return res.GasUsed
	}
	if d := ch(1000) - ch(0); d != 1000 {
		t.Fatalf("Charge(1000) used %d, want 1000", d)
	}
}

func TestOutOfGas(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			v := newVM(t, eng.e)
			c := deploy(t, v, "basic.wasm")
			full, _, err := run(v, c, "fib", bigGas, 15)
			if err != nil {
				t.Fatal(err)
			}
			for _, limit := range []uint64{0, meter.CallGas, full.GasUsed / 2, full.GasUsed - 1} {
				_, _, err := run(v, c, "fib", limit, 15)
				var ce *CallError
				if !errors.Is(err, ErrOutOfGas) || !errors.As(err, &ce) || ce.GasUsed != limit {
					t.Fatalf("fib with %d gas: %v, want out of gas using all of it", limit, err)
				}
			}
			res, _, err := run(v, c, "fib", full.GasUsed, 15)
			if err != nil || res.GasUsed != full.GasUsed {
				t.Fatalf("fib with exactly the gas it needs: %v %v", res, err)
			}
			// Out of gas inside a host function's Charge.
			_, _, err = run(v, c, "charge", bigGas, bigGas)
			if !errors.Is(err, ErrOutOfGas) {
				t.Fatalf("Charge above the gas left: %v", err)
			}
		})
	}
}

func TestFailedCallWritesNothing(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			v := newVM(t, eng.e)
			c := deploy(t, v, "basic.wasm")
			_, tx, err := run(v, c, "effects", bigGas, 4)
			if err != nil || len(tx.committed) != 4 || tx.rollbacks != 0 {
				t.Fatalf("effects(4): %v, committed %v", err, tx.committed)
			}
			// effects(3) reports three effects, then traps.
			_, tx, err = run(v, c, "effects", bigGas, 3)
			if !errors.Is(err, ErrTrap) || len(tx.committed) != 0 || tx.rollbacks != 1 {
				t.Fatalf("effects(3): %v, committed %v, rollbacks %d", err, tx.committed, tx.rollbacks)
			}
			// Out of gas after two effects.
			ok, _, _ := run(v, c, "effects", bigGas, 2)
			_, tx, err = run(v, c, "effects", ok.GasUsed-1, 2)
			if !errors.Is(err, ErrOutOfGas) || len(tx.committed) != 0 || tx.rollbacks != 1 {
				t.Fatalf("effects(2) short of gas: %v, committed %v", err, tx.committed)
			}
		})
	}
}

func TestReturnAndRead(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			v := newVM(t, eng.e)
			c := deploy(t, v, "basic.wasm")
			tx := &fakeTx{}
			res, err := v.Call(context.Background(), c, "greet", CallOptions{Gas: bigGas, Imports: tx, ReturnsBytes: true})
			if err != nil || string(res.Output) != "hello, orama" {
				t.Fatalf("greet: %+v %v", res, err)
			}
			// The allocation is metered guest code: greet costs more than
			// the echo host function's own charge.
			_, err = v.Call(context.Background(), c, "greet", CallOptions{Gas: bigGas, Imports: tx, ReturnsBytes: true, MaxOutput: 11})
			if !errors.Is(err, ErrTrap) {
				t.Fatalf("output above MaxOutput: %v", err)
			}
			for _, tc := range []struct{ ptr, n uint32 }{{65536 - 4, 8}, {0xffffffff, 2}, {0, 1 << 17}} {
				_, _, err := run(v, c, "echo", bigGas, uint64(tc.ptr), uint64(tc.n))
				if !errors.Is(err, ErrTrap) {
					t.Fatalf("echo(%d, %d): %v, want a trap", tc.ptr, tc.n, err)
				}
			}
		})
	}
}

func TestStartRunsInEveryFreshInstance(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			v := newVM(t, eng.e)
			c := deploy(t, v, "start.wasm")
			for i := 0; i < 2; i++ {
				res, _, err := run(v, c, "get", bigGas)
				if err != nil || res.Values[0] != 42 {
					t.Fatalf("call %d: %v %v, want 42 (start ran once, state not kept)", i, res, err)
				}
			}
			if _, _, err := run(v, c, meter.StartExport, bigGas); !errors.Is(err, ErrNoFunction) {
				t.Fatalf("calling the start export: %v", err)
			}
		})
	}
}

func TestDeployRefusals(t *testing.T) {
	v := newVM(t, EngineCompiler)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		want error
	}{
		{"missing_import.wasm", ErrImport},
		{"bad_signature.wasm", ErrImport},
	} {
		if _, err := v.Deploy(ctx, testdata(t, tc.name)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := v.Deploy(ctx, []byte("\x00asm\x01\x00\x00\x00\x01")); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated module: %v", err)
	}
}

func TestCallErrors(t *testing.T) {
	v := newVM(t, EngineCompiler)
	c := deploy(t, v, "basic.wasm")
	for _, tc := range []struct {
		fn     string
		gas    uint64
		params []uint64
		want   error
	}{
		{"nope", bigGas, nil, ErrNoFunction},
		{"add", bigGas, []uint64{1}, ErrArgs},
		{"add", bigGas, []uint64{1 << 32, 2}, ErrArgs},             // an i32 parameter is not truncated
		{"add", bigGas, []uint64{1, 0xffffffff_00000002}, ErrArgs}, // whatever the engine would read
		{"add", meter.MaxGas + 1, []uint64{1, 2}, ErrGasLimit},
		{"div", bigGas, []uint64{1, 0}, ErrTrap},
	} {
		if _, _, err := run(v, c, tc.fn, tc.gas, tc.params...); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.fn, err, tc.want)
		}
	}
}

func TestHostPanicIsNotATrap(t *testing.T) {
	ctx := context.Background()
	v, err := New(ctx, Config{HostModules: func(ctx context.Context, r wazero.Runtime) error {
		if err := testHost(ctx, r); err != nil {
			return err
		}
		b := r.NewHostModuleBuilder("buggy")
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, s []uint64) {
			var p *fakeTx
			p.pending = nil // a nil dereference: a bug in the host
		}), nil, nil).Export("f")
		_, err := b.Instantiate(ctx)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close(ctx)
	wasm := (&wasmgen.Module{
		Imports: []wasmgen.Import{{Module: "buggy", Name: "f"}},
		Funcs:   []wasmgen.Func{{Body: []byte{0x10, 0}, Export: "run"}},
	}).Encode()
	c, err := v.Deploy(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = run(v, c, "run", bigGas)
	if !errors.Is(err, ErrHostPanic) || errors.Is(err, ErrTrap) {
		t.Fatalf("%v, want ErrHostPanic", err)
	}
}

func TestCompilationCacheOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		v, err := New(ctx, Config{CacheDir: dir, HostModules: testHost})
		if err != nil {
			t.Fatal(err)
		}
		c := deploy(t, v, "basic.wasm")
		if res, _, err := run(v, c, "add", bigGas, 1, 2); err != nil || res.Values[0] != 3 {
			t.Fatalf("run %d: %v %v", i, res, err)
		}
		v.Close(ctx)
		entries, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
		if len(entries) == 0 {
			t.Fatalf("nothing cached in %s", dir)
		}
	}
}

func TestConcurrentCalls(t *testing.T) {
	v := newVM(t, EngineCompiler)
	c := deploy(t, v, "basic.wasm")
	want, _, err := run(v, c, "effects", bigGas, 10)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 20; i++ {
				res, tx, err := run(v, c, "effects", bigGas, 10)
				if err != nil || res.GasUsed != want.GasUsed || len(tx.committed) != 10 {
					errs <- fmt.Errorf("%v %v %v", res, tx.committed, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
