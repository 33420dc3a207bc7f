package vm

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/oramanetwork/orama-chain/runtime/vm/internal/wasmgen"
	"github.com/oramanetwork/orama-chain/runtime/vm/meter"
)

type outcome struct {
	Values    []uint64
	Output    []byte
	GasUsed   uint64
	Committed []uint32
	Err       string // the sentinel it wraps, "" on success
}

func kind(err error) string {
	for _, e := range []error{ErrOutOfGas, ErrStackOverflow, ErrTrap, ErrNoFunction, ErrArgs, ErrGasLimit} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func call(v *VM, c *Contract, fn string, gas uint64, bytes bool, params ...uint64) outcome {
	tx := &fakeTx{}
	res, err := v.Call(context.Background(), c, fn, CallOptions{Gas: gas, Params: params, Imports: tx, Tx: tx, ReturnsBytes: bytes})
	o := outcome{Committed: tx.committed, Err: kind(err)}
	var ce *CallError
	if errors.As(err, &ce) {
		o.GasUsed = ce.GasUsed
	}
	if res != nil {
		o.Values, o.Output, o.GasUsed = res.Values, res.Output, res.GasUsed
	}
	if len(o.Values) == 0 { // the engines differ in nil versus empty
		o.Values = nil
	}
	return o
}

var propertyCalls = []struct {
	module, fn string
	bytes      bool
	params     []uint64
}{
	{"basic.wasm", "fib", false, []uint64{12}},
	{"basic.wasm", "sum", false, []uint64{300}},
	{"basic.wasm", "effects", false, []uint64{6}},
	{"basic.wasm", "copy", false, []uint64{1000}},
	{"basic.wasm", "greet", true, nil},
	{"basic.wasm", "grow", false, []uint64{3}},
	{"basic.wasm", "nan_add", false, []uint64{0x7ff4000000000123}},
	{"start.wasm", "get", false, nil},
	{"wasi.wasm", "random", false, []uint64{100}},
	{"bench.wasm", "cpu", false, []uint64{1}},
	{"bench.wasm", "hostloop", false, []uint64{50}},
	{"adversarial.wasm", "fat", false, []uint64{20}},
	{"adversarial.wasm", "grow_loop", false, nil},
}

// TestRandomGasLimits: with any gas limit, a call either completes exactly
// as with unlimited gas (values, output, writes, gas) or fails out of gas
// having used the whole limit and written nothing; the same on both engines.
func TestRandomGasLimits(t *testing.T) {
	vms := []*VM{newVM(t, EngineCompiler), newVM(t, EngineInterpreter)}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, pc := range propertyCalls {
		var cs []*Contract
		for _, v := range vms {
			cs = append(cs, deploy(t, v, pc.module))
		}
		full := call(vms[0], cs[0], pc.fn, meter.MaxGas, pc.bytes, pc.params...)
		if full.Err != "" {
			t.Fatalf("%s: %s", pc.fn, full.Err)
		}
		if other := call(vms[1], cs[1], pc.fn, meter.MaxGas, pc.bytes, pc.params...); !reflect.DeepEqual(full, other) {
			t.Fatalf("%s: compiler %+v, interpreter %+v", pc.fn, full, other)
		}
		limits := []uint64{0, full.GasUsed - 1, full.GasUsed, full.GasUsed + 1}
		for i := 0; i < 12; i++ {
			limits = append(limits, rng.Uint64N(full.GasUsed*5/4+1))
		}
		for _, limit := range limits {
			var first *outcome
			for e, v := range vms {
				o := call(v, cs[e], pc.fn, limit, pc.bytes, pc.params...)
				switch {
				case limit >= full.GasUsed:
					if !reflect.DeepEqual(o, full) {
						t.Fatalf("%s with %d gas (needs %d): %+v, want %+v", pc.fn, limit, full.GasUsed, o, full)
					}
				case o.Err != ErrOutOfGas.Error() || o.GasUsed != limit || len(o.Committed) != 0:
					t.Fatalf("%s with %d gas (needs %d): %+v, want out of gas using all, no writes", pc.fn, limit, full.GasUsed, o)
				}
				if first == nil {
					first = &o
				} else if !reflect.DeepEqual(*first, o) {
					t.Fatalf("%s with %d gas: engines differ: %+v vs %+v", pc.fn, limit, *first, o)
				}
			}
		}
	}
}

// TestEnginesAgreeOnFailures: traps and limits give the same error and gas
// on both engines.
func TestEnginesAgreeOnFailures(t *testing.T) {
	vms := []*VM{newVM(t, EngineCompiler), newVM(t, EngineInterpreter)}
	for _, tc := range []struct {
		module, fn string
		params     []uint64
	}{
		{"adversarial.wasm", "spin", nil},
		{"adversarial.wasm", "recurse", nil},
		{"adversarial.wasm", "recurse_indirect", nil},
		{"adversarial.wasm", "fat", []uint64{5000}},
		{"adversarial.wasm", "read_oob", nil},
		{"adversarial.wasm", "load_oob", nil},
		{"adversarial.wasm", "fill_loop", nil},
		{"basic.wasm", "div", []uint64{1, 0}},
		{"basic.wasm", "effects", []uint64{5}},
	} {
		var got []outcome
		for _, v := range vms {
			got = append(got, call(v, deploy(t, v, tc.module), tc.fn, 3_000_000, false, tc.params...))
		}
		if got[0].Err == "" || !reflect.DeepEqual(got[0], got[1]) {
			t.Fatalf("%s: compiler %+v, interpreter %+v", tc.fn, got[0], got[1])
		}
	}
}

// FuzzEngines: random valid modules (internal/wasmgen), instrumented,
// compile, and give the same outcome on both engines with any gas limit;
// without floats, a completed call gives what the uninstrumented module
// gives.
func FuzzEngines(f *testing.F) {
	for _, s := range []string{"", "\x03\x04\x05", "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b", "\x09\x02\x02\x02\x05\x05\x05", "\x03\x03\x03\x03\x0b\x0b\x02\x02"} {
		f.Add([]byte(s), uint32(1), uint64(1), uint32(1_000_000), false)
		f.Add([]byte(s), uint32(7), uint64(1<<40), uint32(5_000), true)
	}
	ctx := context.Background()
	vms := []*VM{newVM(f, EngineCompiler), newVM(f, EngineInterpreter)}
	plain := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(Features))
	f.Cleanup(func() { plain.Close(ctx) })
	f.Fuzz(func(t *testing.T, data []byte, a uint32, b uint64, gas uint32, noFloat bool) {
		wasm := wasmgen.Random(data, noFloat)
		var got []outcome
		var fn string
		for _, v := range vms {
			c, err := v.Deploy(ctx, wasm)
			if err != nil {
				t.Fatalf("deploy of a generated module: %v", err)
			}
			fn = c.Info().Exports[len(c.Info().Exports)-1]
			got = append(got, call(v, c, fn, uint64(gas), false, uint64(a), b))
		}
		if !reflect.DeepEqual(got[0], got[1]) {
			t.Fatalf("compiler %+v, interpreter %+v", got[0], got[1])
		}
		if !noFloat || got[0].Err != "" {
			return
		}
		mod, err := plain.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(""))
		if err != nil {
			t.Fatal(err)
		}
		defer mod.Close(ctx)
		res, err := mod.ExportedFunction(fn).Call(ctx, uint64(a), b)
		if err != nil || !reflect.DeepEqual(res, got[0].Values) {
			t.Fatalf("uninstrumented: %v %v, metered: %+v", res, err, got[0])
		}
	})
}

// FuzzHostHelpers: Read, Return and the result copy with any pointer and
// length either succeed exactly when the range is in bounds or trap; never
// anything else.
func FuzzHostHelpers(f *testing.F) {
	f.Add(uint32(16), uint32(12))
	f.Add(uint32(65530), uint32(6))
	f.Add(uint32(65530), uint32(7))
	f.Add(uint32(0xfffffff0), uint32(0x20))
	f.Add(uint32(0), uint32(1<<16+1))
	v := newVM(f, EngineCompiler)
	c := deploy(f, v, "basic.wasm")
	f.Fuzz(func(t *testing.T, ptr, n uint32) {
		inBounds := uint64(ptr)+uint64(n) <= 65536
		for _, fn := range []string{"read", "echo"} {
			o := call(v, c, fn, 1<<30, fn == "echo", uint64(ptr), uint64(n))
			maxN := uint32(1 << 20)
			if fn == "echo" {
				maxN = 1 << 16
			}
			want := inBounds && n <= maxN
			switch {
			case want && o.Err != "":
				t.Fatalf("%s(%d, %d): %s", fn, ptr, n, o.Err)
			case !want && o.Err != ErrTrap.Error():
				t.Fatalf("%s(%d, %d): %+v, want a trap", fn, ptr, n, o)
			case want && fn == "read" && o.Values[0] != uint64(n):
				t.Fatalf("read(%d, %d) read %d bytes", ptr, n, o.Values[0])
			case want && fn == "echo" && uint32(len(o.Output)) != n:
				t.Fatalf("echo(%d, %d) returned %d bytes", ptr, n, len(o.Output))
			}
		}
	})
	_ = api.EncodeU32
}
