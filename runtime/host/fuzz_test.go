package host

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/oramanetwork/orama-chain/gen/hostgen/wasm"
	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

// FuzzHostFunctions calls every host function through the VM and the
// generated bindings with fuzzed pointers, lengths and scalars, on a memory
// holding fuzzed bytes (loaded at fuzzData by a cache.get before the call)
// beside well-formed inputs (at fuzzSeeds). Whatever the input, the call
// either succeeds or ends with one of the function's trap reasons (never a
// host failure or a Go panic), a failed call leaves the state unchanged,
// and the function's first charge is the spec's base plus per-byte cost of
// what it reads.
func FuzzHostFunctions(f *testing.F) {
	for i := range hostabi.Functions {
		f.Add(uint8(i), uint64(fuzzSeeds), uint64(8), uint64(fuzzSeeds+64), uint64(0), uint64(60), []byte("hello"))
		f.Add(uint8(i), uint64(fuzzData), uint64(5), uint64(fuzzData+1), uint64(3), uint64(1), []byte("\x01\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"))
	}
	f.Add(uint8(0), uint64(fuzzSeeds+paramsAt), uint64(len(seedSQL)), uint64(fuzzSeeds+paramsAt), uint64(len(seedParams)), uint64(0), []byte{})
	f.Add(uint8(0), uint64(0xFFFFFFF0), uint64(0x20), uint64(0), uint64(0xFFFFFFFF), uint64(7), []byte{0xff})
	fz := newFuzzer(f)
	f.Fuzz(func(t *testing.T, which uint8, a0, a1, a2, a3, a4 uint64, data []byte) {
		fz.run(t, int(which)%len(hostabi.Functions), []uint64{a0, a1, a2, a3, a4}, data)
	})
}

// Layout of the fuzz modules: well-formed inputs from fuzzSeeds, the fuzzed
// bytes (a cache value) at fuzzData, results after them.
const (
	fuzzSeeds = 1024
	fuzzData  = 65536 + 4 // the bump allocator starts at 65536; the value follows its length
	paramsAt  = 256
	eventAt   = 512
	cidAt     = 640
	maxData   = 32 << 10
)

var (
	seedSQL    = "INSERT INTO t(n, s) VALUES (?1, ?1)"
	seedParams = abi.AppendParams(nil, []abi.Value{abi.Integer(7)})
)

type fuzzer struct {
	v    *vm.VM
	once sync.Once
	mods []*vm.Contract
	err  error
}

func newFuzzer(f *testing.F) *fuzzer {
	v, err := vm.New(context.Background(), vm.Config{HostModules: hostabi.Instantiate})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { v.Close(context.Background()) })
	return &fuzzer{v: v}
}

// module builds, once, a module per function whose run(params...) loads the
// fuzzed bytes with cache.get, then calls the function with its parameters.
func (fz *fuzzer) module(t *testing.T, i int) *vm.Contract {
	fz.once.Do(func() {
		seeds := make([]byte, 1024)
		copy(seeds, seedSQL)
		copy(seeds[paramsAt:], seedParams)
		copy(seeds[eventAt:], abi.AppendEvent(nil, "topic", []byte{1, 2}))
		copy(seeds[cidAt:], abi.RawCID([]byte("hello")))
		for _, fn := range hostabi.Functions {
			def := signature(fn)
			var body []byte
			body = wasm.I32Const(body, 0) // the key "fuzz" at 0
			body = wasm.I32Const(body, 4)
			body = wasm.U32(append(body, wasm.OpCall), 0)
			body = append(body, wasm.OpDrop)
			for j := range def.Params {
				body = wasm.U32(append(body, wasm.OpLocalGet), uint32(j))
			}
			body = wasm.U32(append(body, wasm.OpCall), 1)
			if len(def.Results) > 0 {
				body = append(body, wasm.OpDrop)
			}
			body = wasm.I32Const(body, 0)
			alloc := wasm.U32(append([]byte{wasm.OpGlobalGet, 0, wasm.OpGlobalGet, 0}, wasm.OpLocalGet), 0)
			alloc = append(alloc, wasm.OpI32Add, wasm.OpGlobalSet, 0)
			m := &wasm.Module{
				Imports: []wasm.Import{
					{Module: "orama.cache", Name: "get", Type: wasm.FuncType{Params: []byte{wasm.I32, wasm.I32}, Results: []byte{wasm.I32}}},
					{Module: fn.Module, Name: fn.Name, Type: def},
				},
				Funcs: []wasm.Func{
					{Type: wasm.FuncType{Params: def.Params, Results: []byte{wasm.I32}}, Body: body, Export: "run"},
					{Type: wasm.FuncType{Params: []byte{wasm.I32}, Results: []byte{wasm.I32}}, Body: alloc, Export: "orama_alloc"},
				},
				Pages:   4,
				Globals: []int32{65536},
				Data:    []wasm.Data{{Offset: 0, Bytes: []byte("fuzz")}, {Offset: fuzzSeeds, Bytes: seeds}},
			}
			c, err := fz.v.Deploy(context.Background(), m.Bytes())
			if err != nil {
				fz.err = fmt.Errorf("%s.%s: %w", fn.Module, fn.Name, err)
				return
			}
			fz.mods = append(fz.mods, c)
		}
	})
	if fz.err != nil {
		t.Fatal(fz.err)
	}
	return fz.mods[i]
}

// signature is a function's wasm type, from the host module itself.
func signature(fn hostabi.Function) wasm.FuncType {
	return sigs[fn.Module+"."+fn.Name]
}

// sigs is filled from the instantiated host modules.
var sigs = func() map[string]wasm.FuncType {
	ctx := context.Background()
	out := map[string]wasm.FuncType{}
	v, err := vm.New(ctx, vm.Config{HostModules: func(ctx context.Context, r vmRuntime) error {
		if err := hostabi.Instantiate(ctx, r); err != nil {
			return err
		}
		for _, fn := range hostabi.Functions {
			def := r.Module(fn.Module).ExportedFunctionDefinitions()[fn.Name]
			out[fn.Module+"."+fn.Name] = wasm.FuncType{Params: toTypes(def.ParamTypes()), Results: toTypes(def.ResultTypes())}
		}
		return nil
	}})
	if err != nil {
		panic(err)
	}
	v.Close(ctx)
	return out
}()

func (fz *fuzzer) run(t *testing.T, i int, raw []uint64, data []byte) {
	fn := hostabi.Functions[i]
	name := fn.Module + "." + fn.Name
	def := signature(fn)
	params := make([]uint64, len(def.Params))
	for j, typ := range def.Params {
		params[j] = raw[j%len(raw)]
		if typ == wasm.I32 {
			params[j] = uint64(uint32(params[j]))
		}
	}
	if len(data) > maxData {
		data = data[:maxData]
	}
	env, err := NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	env.DB().Exec("CREATE TABLE t(n, s)")
	env.SetCache(CacheEntry{Key: []byte("fuzz"), Value: data})
	env.SetCache(CacheEntry{Key: []byte("hello"), Value: []byte("world")})
	env.Store([]byte("hello"))
	env.SetState(StateEntry{Contract: fill(0x11), Key: []byte("fuzz"), Value: data})
	env.SetState(StateEntry{Contract: fill(0x33), Key: []byte("hello"), Value: []byte("other contract")})
	env.SetBalance(Balance{Address: fill(0x11), Orama: 1000, BTC: 1000})
	before := fuzzState(env)
	call, err := env.Begin(CallContext{Contract: fill(0x11), Caller: fill(0x22), BlockHeight: 5, BlockTimestamp: 1000, Input: data})
	if err != nil {
		t.Fatal(err)
	}
	var charges []uint64
	call.Imports.OnCharge = func(f string, gas uint64) {
		if f == name {
			charges = append(charges, gas)
		}
	}
	_, err = fz.v.Call(context.Background(), fz.module(t, i), "run", vm.CallOptions{Gas: 1 << 40, Params: params, Imports: call.Imports, Tx: call})
	if name == "orama.cache.get" {
		charges = charges[2:] // the loader's own cache.get: its base and output charges
	}
	reason := hostabi.TrapReason(err)
	if err != nil {
		if strings.Contains(err.Error(), "runtime error") || reason == "host_failure" {
			t.Fatalf("%s%v: %v", name, params, err)
		}
		allowed := reason == "trap" && hasResult(def) // a result beyond memory
		for _, tr := range fn.Traps {
			allowed = allowed || tr == reason
		}
		if !allowed {
			t.Fatalf("%s%v: trap %q (%v) is not one the spec lists %v", name, params, reason, err, fn.Traps)
		}
		if after := fuzzState(env); after != before {
			t.Fatalf("%s%v failed (%v) but changed the state:\n%s\nwas\n%s", name, params, err, after, before)
		}
	}
	if reason == "too_long" {
		if len(charges) != 0 {
			t.Fatalf("%s: charged %v before refusing a length", name, charges)
		}
		return
	}
	if want := firstCharge(fn, def, params); len(charges) == 0 || charges[0] != want {
		t.Fatalf("%s%v: charges %v, want %d first", name, params, charges, want)
	}
}

// firstCharge is the spec's base plus per-input-byte charge for params,
// computed from the signature: a pointer followed by a length is a pair,
// a lone pointer reads 20 bytes (an address) or 65 (a signature).
func firstCharge(fn hostabi.Function, def wasm.FuncType, params []uint64) uint64 {
	var in uint64
	switch fn.Module + "." + fn.Name {
	case "orama.db.execute", "orama.db.query", "orama.db.query_one", "orama.cache.set", "orama.state.set":
		in = params[1] + params[3]
	case "orama.cache.get", "orama.cache.delete", "orama.storage.put", "orama.storage.get", "orama.state.get", "orama.state.delete",
		"orama.emit", "orama.log.info", "orama.log.error", "orama.crypto.sha256", "orama.crypto.keccak256":
		in = params[1]
	case "orama.crypto.verify_signature":
		in = params[1] + 65 + 20
	case "orama.transfer_orama", "orama.transfer_btc", "orama.get_balance":
		in = 20
	}
	return fn.Gas.Base + fn.Gas.PerInputByte*in
}

func hasResult(def wasm.FuncType) bool { return len(def.Results) > 0 }

func fuzzState(env *Env) string {
	var b strings.Builder
	for _, e := range env.CacheEntries() {
		fmt.Fprintf(&b, "cache %x %x %d\n", e.Key, e.Value, e.Expires)
	}
	for _, c := range env.Objects() {
		fmt.Fprintf(&b, "object %x\n", c)
	}
	for _, e := range env.StateEntries() {
		fmt.Fprintf(&b, "state %x %x %x\n", e.Contract[:], e.Key, e.Value)
	}
	for _, bal := range env.Balances() {
		fmt.Fprintf(&b, "balance %x %d %d\n", bal.Address[:], bal.Orama, bal.BTC)
	}
	rows, err := env.DB().QueryHost("SELECT n, s FROM t ORDER BY rowid")
	fmt.Fprintf(&b, "rows %v %v\n", rows, err)
	return b.String()
}
