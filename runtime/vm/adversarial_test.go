package vm

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/oramanetwork/orama-chain/runtime/vm/internal/wasmgen"
	"github.com/oramanetwork/orama-chain/runtime/vm/meter"
)

// TestAdversarial: each hostile call ends with the error it must, having
// used at most its gas and written nothing.
func TestAdversarial(t *testing.T) {
	const gas = 50_000_000
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			v := newVM(t, eng.e)
			c := deploy(t, v, "adversarial.wasm")
			// allGas: out of gas and traps raised by guest instructions use
			// the whole limit; host errors and stack overflow what they used.
			for _, tc := range []struct {
				fn     string
				want   error
				allGas bool
			}{
				{"spin", ErrOutOfGas, true},
				{"recurse", ErrStackOverflow, false},
				{"recurse_indirect", ErrStackOverflow, false},
				{"grow_huge", ErrOutOfGas, true}, // 65535 pages cost more than the limit
				{"fill_loop", ErrOutOfGas, true},
				{"read_huge", ErrTrap, false},
				{"read_oob", ErrTrap, false},
				{"read_wrap", ErrTrap, false},
				{"write_oob", ErrTrap, false},
				{"load_oob", ErrTrap, true},
			} {
				_, tx, err := run(v, c, tc.fn, gas, nil...)
				var ce *CallError
				if !errors.Is(err, tc.want) || !errors.As(err, &ce) {
					t.Fatalf("%s: %v, want %v", tc.fn, err, tc.want)
				}
				if ce.GasUsed > gas || tc.allGas != (ce.GasUsed == gas) {
					t.Fatalf("%s: gas used %d of %d", tc.fn, ce.GasUsed, gas)
				}
				if len(tx.committed) != 0 || tx.rollbacks != 1 {
					t.Fatalf("%s: committed %v, rollbacks %d", tc.fn, tx.committed, tx.rollbacks)
				}
			}
		})
	}
}

// TestStackLimit: a frame weighs FrameBase plus its values, so recursion
// depth is bounded by StackLimit/FrameBase whatever the engine, and frames
// with more locals nest less deeply.
func TestStackLimit(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			v := newVM(t, eng.e)
			c := deploy(t, v, "adversarial.wasm")
			depth := func() uint64 { // the deepest fat(n) that succeeds
				lo, hi := uint64(0), uint64(meter.StackLimit/meter.FrameBase)
				for lo < hi {
					mid := (lo + hi + 1) / 2
					if _, _, err := run(v, c, "fat", bigGas, mid); err == nil {
						lo = mid
					} else if !errors.Is(err, ErrStackOverflow) {
						t.Fatalf("fat(%d): %v", mid, err)
					} else {
						hi = mid - 1
					}
				}
				return lo
			}()
			// fat's frame: FrameBase + 1 parameter + 16 locals + the values
			// its instructions push (i32.eqz excluded: local.get, i32.eqz,
			// i32.const, i32.const, local.get, i32.const, i32.sub, call,
			// i32.add = 9 pushes). The entry call is frame 1 of depth+1.
			weight := uint64(meter.FrameBase + 1 + 16 + 9)
			if want := uint64(meter.StackLimit)/weight - 1; depth != want {
				t.Fatalf("fat nests %d deep, want %d", depth, want)
			}
		})
	}
}

// TestMemoryBounded: growing page by page stops at MaxMemoryPages, and the
// process's heap does not keep what a call allocated.
func TestMemoryBounded(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			v := newVM(t, eng.e)
			c := deploy(t, v, "adversarial.wasm")
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := 0; i < 3; i++ {
				res, _, err := run(v, c, "grow_loop", bigGas)
				if err != nil {
					t.Fatal(err)
				}
				if max := meter.DefaultLimits().MaxMemoryPages; res.Values[0] != uint64(max-1) {
					t.Fatalf("grew %d pages, want %d (the limit less the initial page)", res.Values[0], max-1)
				}
			}
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 32<<20 {
				t.Fatalf("heap in use grew by %d bytes over three 64 MiB calls", grown)
			}
		})
	}
}

// compileBomb is a function of n blocks each ending in a branch over 4,096
// locals: cheap to write, and wazero's optimising compiler takes time
// quadratic in blocks and in locals times blocks to compile it (minutes at
// n = 20,000).
func compileBomb(locals, n int) []byte {
	f := wasmgen.Func{}
	for i := 0; i < locals; i++ {
		f.Locals = append(f.Locals, wasmgen.I64)
	}
	for i := 0; i < n; i++ {
		f.Body = append(f.Body, 0x02, 0x40, 0x20)
		f.Body = wasmgen.U32(f.Body, uint32(i%locals))
		f.Body = append(f.Body, 0x20)
		f.Body = wasmgen.U32(f.Body, uint32((i*7+1)%locals))
		f.Body = append(f.Body, 0x7c, 0x21)
		f.Body = wasmgen.U32(f.Body, uint32((i*13+2)%locals))
		f.Body = append(f.Body, 0x41, 1, 0x0d, 0, 0x0b)
	}
	m := wasmgen.Module{Funcs: []wasmgen.Func{f}, NoMemory: true}
	return m.Encode()
}

// TestCompileBombRefused: the bomb is refused by the static limits, before
// any compilation; a module just as large but without the quadratic shape
// deploys.
func TestCompileBombRefused(t *testing.T) {
	v := newVM(t, EngineCompiler)
	ctx := context.Background()
	for _, bomb := range [][]byte{compileBomb(4096, 20000), compileBomb(4, 20000)} {
		_, err := v.Deploy(ctx, bomb)
		if !errors.Is(err, ErrLimit) {
			t.Fatalf("compile bomb: %v, want ErrLimit", err)
		}
	}
	// Negative control: the limits, not luck, refuse it: with them lifted
	// the instrumentation accepts the module and wazero starts compiling.
	lim := meter.DefaultLimits()
	lim.MaxSegmentWork, lim.MaxLocalWork = 1<<62, 1<<62
	if _, err := meter.Instrument(compileBomb(4096, 20000), lim); err != nil {
		t.Fatalf("without the limits: %v", err)
	}
	ok := compileBomb(4, 500)
	if _, err := v.Deploy(ctx, ok); err != nil {
		t.Fatalf("a small module of the same shape: %v", err)
	}
}

// BenchmarkDeployCompileBomb: refusing the bomb takes the time of reading it.
func BenchmarkDeployCompileBomb(b *testing.B) {
	v := newVM(b, EngineCompiler)
	bomb := compileBomb(4096, 20000)
	b.SetBytes(int64(len(bomb)))
	for b.Loop() {
		if _, err := v.Deploy(context.Background(), bomb); !errors.Is(err, ErrLimit) {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeployAtLimits: compiling the worst module the limits accept
// (one function at MaxSegmentWork and MaxLocalWork).
func BenchmarkDeployAtLimits(b *testing.B) {
	lim := meter.DefaultLimits()
	// 2,600 blocks give about 7,800 segments: 7,800^2 < 64 Mi, and with
	// 512 locals, 512 * 7,800 < 4 Mi.
	bomb := compileBomb(512, 2600)
	if _, err := meter.Instrument(bomb, lim); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r := wazero.NewRuntimeWithConfig(context.Background(), wazero.NewRuntimeConfigCompiler())
		m, _ := meter.Instrument(bomb, lim)
		t0 := time.Now()
		if _, err := r.CompileModule(context.Background(), m.Wasm); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "compile-s")
		r.Close(context.Background())
	}
}

// TestNameSectionBombHarmless: a "name" custom section claiming 0x7fffffff
// function names makes wazero preallocate ~10 GB when it compiles the raw
// module (fuzzing found it). The VM compiles only the instrumented module,
// from which the meter drops custom sections, so deploying costs nothing.
func TestNameSectionBombHarmless(t *testing.T) {
	bomb := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x08\x02\x60\x01\x7f\x00\x60\x00\x00" + // types: (i32)->(), ()->()
		"\x03\x02\x01\x00" + // one function of type 0
		"\x07\x07\x01\x03run\x00\x00" + // export "run" = function 0
		"\x0a\x08\x01\x06\x00\x41\x01\x10\x00\x0b" + // i32.const 1; call 0; end
		"\x00\x12\x04name\x01\x7f\xff\xff\xff\x66\x02\x05\x02\x00\x00\x01\x00") // name section
	v := newVM(t, EngineCompiler)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c, err := v.Deploy(context.Background(), bomb)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if len(c.Info().Exports) != 1 {
		t.Fatalf("exports %v", c.Info().Exports)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Fatalf("deploy allocated %d MiB", grew>>20)
	}
}

// TestElementCountBombRefused: 36 bytes whose element segment claims 2^32-1
// entries. Compiled raw, wazero allocates for them first and the process
// dies (fatal out of memory, which no recover catches); deploying is
// refused before compilation.
func TestElementCountBombRefused(t *testing.T) {
	bomb := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x04\x01\x60\x00\x00" +
		"\x03\x02\x01\x00" +
		"\x04\x04\x01\x70\x00\x01" +
		"\x09\x0a\x01\x00\x41\x00\x0b\xff\xff\xff\xff\x0f" +
		"\x0a\x04\x01\x02\x00\x0b")
	for _, eng := range engines {
		v := newVM(t, eng.e)
		if _, err := v.Deploy(context.Background(), bomb); !errors.Is(err, ErrLimit) {
			t.Fatalf("%s: %v, want ErrLimit", eng.name, err)
		}
	}
}
