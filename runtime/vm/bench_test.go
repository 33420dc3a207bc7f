package vm

import (
	"context"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/oramanetwork/orama-chain/runtime/vm/meter"
)

// BenchmarkMeteringOverhead runs bench.wasm's CPU-bound functions metered
// and unmetered on wazero's compiler, in one instance each, interleaved, and
// reports metered/unmetered as "ratio" (the bar: at most 1.15 on a
// CPU-bound contract): cpu(20), a sieve and a hash over 64 KiB, and fib(25),
// recursion, where every call adds the stack check and gas synchronisation.
func BenchmarkMeteringOverhead(b *testing.B) {
	for _, tc := range []struct {
		fn  string
		arg uint64
	}{{"cpu", 20}, {"fib", 25}} {
		b.Run(tc.fn, func(b *testing.B) { meteringOverhead(b, tc.fn, tc.arg) })
	}
}

func meteringOverhead(b *testing.B, fn string, arg uint64) {
	ctx := context.Background()
	wasm := testdata(b, "bench.wasm")
	inst, err := meter.Instrument(wasm, meter.DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCoreFeatures(Features))
	defer r.Close(ctx)
	nop := r.NewHostModuleBuilder("test")
	nop.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}),
		[]api.ValueType{api.ValueTypeI32}, nil).Export("nop")
	if _, err := nop.Instantiate(ctx); err != nil {
		b.Fatal(err)
	}
	plain, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName("plain"))
	if err != nil {
		b.Fatal(err)
	}
	metered, err := r.InstantiateWithConfig(ctx, inst.Wasm, wazero.NewModuleConfig().WithName("metered").WithStartFunctions())
	if err != nil {
		b.Fatal(err)
	}
	gas := metered.ExportedGlobal(meter.GasExport).(api.MutableGlobal)
	var tPlain, tMetered time.Duration
	for b.Loop() {
		t0 := time.Now()
		want, err := plain.ExportedFunction(fn).Call(ctx, arg)
		t1 := time.Now()
		gas.Set(meter.MaxGas)
		got, err2 := metered.ExportedFunction(fn).Call(ctx, arg)
		t2 := time.Now()
		if err != nil || err2 != nil || got[0] != want[0] {
			b.Fatal(err, err2, got, want)
		}
		tPlain += t1.Sub(t0)
		tMetered += t2.Sub(t1)
	}
	b.ReportMetric(float64(tMetered)/float64(tPlain), "ratio")
	b.ReportMetric(float64(tPlain.Nanoseconds())/float64(b.N), "plain-ns/call")
	b.ReportMetric(float64(tMetered.Nanoseconds())/float64(b.N), "metered-ns/call")
	b.ReportMetric(float64(meter.MaxGas-gas.Get()), "gas/call")
}

// BenchmarkHostCall: a trivial host function (which charges 1 gas through
// Charge) called from a loop in a metered module, through VM.Call; reports
// ns per host call including the loop's metering (the bar: 250 ns).
func BenchmarkHostCall(b *testing.B) {
	for _, eng := range engines {
		b.Run(eng.name, func(b *testing.B) {
			v := newVM(b, eng.e)
			c := deploy(b, v, "bench.wasm")
			const n = 100_000
			for b.Loop() {
				if _, _, err := run(v, c, "hostloop", bigGas, n); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/hostcall")
		})
	}
}

// BenchmarkCall: the fixed cost of a call (a fresh instance, the entry, a
// trivial function).
func BenchmarkCall(b *testing.B) {
	v := newVM(b, EngineCompiler)
	c := deploy(b, v, "basic.wasm")
	for b.Loop() {
		if _, _, err := run(v, c, "add", bigGas, 1, 2); err != nil {
			b.Fatal(err)
		}
	}
}
