package vm

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"testing"

	"github.com/tetratelabs/wazero"
)

func TestWASIDeterministic(t *testing.T) {
	// The random stream, from its definition in spec/vm.md.
	block0 := sha256.Sum256(append([]byte(wasiRandomDomain), 0, 0, 0, 0, 0, 0, 0, 0))
	want := map[string][]uint64{}
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			v := newVM(t, eng.e)
			c := deploy(t, v, "wasi.wasm")
			call := func(fn string, params ...uint64) uint64 {
				res, _, err := run(v, c, fn, bigGas, params...)
				if err != nil {
					t.Fatalf("%s: %v", fn, err)
				}
				return res.Values[0]
			}
			got := map[string][]uint64{
				"realtime":  {call("clock", 0)},
				"monotonic": {call("clock", 1)},
				"random":    {call("random", 8), call("random", 8)},
				"print":     {call("print")},
				"errno":     {call("clock_errno")},
			}
			if got["realtime"][0] != WASIRealtimeEpoch+2*WASIClockStep || got["monotonic"][0] != 2*WASIClockStep {
				t.Fatalf("clocks %d %d: the second reading of a call must be 2 steps", got["realtime"][0], got["monotonic"][0])
			}
			if r := got["random"]; r[0] != binary.LittleEndian.Uint64(block0[:]) || r[0] != r[1] {
				t.Fatalf("random_get gave %x, %x; want the stream's first 8 bytes %x in every call", r[0], r[1], block0[:8])
			}
			if got["print"][0] != errnoSuccess || got["errno"][0] != errnoInval {
				t.Fatalf("fd_write errno %d, clock_time_get(99) errno %d", got["print"][0], got["errno"][0])
			}
			if len(want) == 0 {
				want = got
			}
			for k := range want {
				for i := range want[k] {
					if got[k][i] != want[k][i] {
						t.Fatalf("%s differs between engines: %v vs %v", k, got[k], want[k])
					}
				}
			}
		})
	}
	// Random bytes charge per byte.
	v := newVM(t, EngineCompiler)
	c := deploy(t, v, "wasi.wasm")
	a, _, _ := run(v, c, "random", bigGas, 8)
	b, _, _ := run(v, c, "random", bigGas, 1008)
	if d := b.GasUsed - a.GasUsed; d != 1000 {
		t.Fatalf("1000 more random bytes cost %d gas, want 1000", d)
	}
}

func TestWASIStreamSpansBlocks(t *testing.T) {
	var w wasiState
	a := make([]byte, 40)
	w.readRandom(a[:5])
	w.readRandom(a[5:])
	var want []byte
	for i := uint64(0); i < 2; i++ {
		in := append([]byte(wasiRandomDomain), make([]byte, 8)...)
		binary.LittleEndian.PutUint64(in[len(wasiRandomDomain):], i)
		s := sha256.Sum256(in)
		want = append(want, s[:]...)
	}
	if string(a) != string(want[:40]) {
		t.Fatalf("stream %x, want %x", a, want[:40])
	}
}

// TestNaNCanonical: float results that may be NaN are canonical, whatever
// the payload of the inputs and whatever the hardware would give.
func TestNaNCanonical(t *testing.T) {
	const canon64, canon32 = 0x7ff8000000000000, 0x7fc00000
	payload := uint64(0x7ff4000000000123) // a signalling NaN with a payload
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			v := newVM(t, eng.e)
			c := deploy(t, v, "basic.wasm")
			for _, tc := range []struct {
				fn     string
				params []uint64
				want   uint64
			}{
				{"sqrt_neg", nil, canon64},
				{"nan_add", []uint64{payload}, canon64},
				{"nan_add", []uint64{0xfff8000000000000}, canon64}, // negative NaN
				{"nan_add", []uint64{math.Float64bits(1.5)}, math.Float64bits(2.5)},
				{"nan_mul32", []uint64{0xffc00001}, canon32},
				{"demote", []uint64{payload}, canon32},
				// neg is a bit operation: its NaN keeps its payload.
				{"neg", []uint64{payload}, payload ^ 1<<63},
			} {
				res, _, err := run(v, c, tc.fn, bigGas, tc.params...)
				if err != nil {
					t.Fatal(err)
				}
				if got := res.Values[0]; got != tc.want && uint64(uint32(got)) != tc.want {
					t.Fatalf("%s(%x) = %x, want %x", tc.fn, tc.params, got, tc.want)
				}
			}
		})
	}
	// Negative control: uninstrumented, the hardware keeps the payload.
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	if err := testHost(ctx, r); err != nil {
		t.Fatal(err)
	}
	mod, err := r.Instantiate(ctx, testdata(t, "basic.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := mod.ExportedFunction("nan_add").Call(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	if res[0] == canon64 {
		t.Fatalf("uninstrumented nan_add gave the canonical NaN: the test would not see a missing canonicalisation")
	}
	t.Logf("uninstrumented nan_add: %x", res[0])
}
