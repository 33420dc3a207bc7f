package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/bytecodealliance/wasmtime-go/v25"
	"github.com/tetratelabs/wazero"

	"github.com/oramanetwork/orama-chain/runtime/vm"
	"github.com/oramanetwork/orama-chain/runtime/vm/meter"
)

// workload is a CPU-bound call: fn(params) of a module, returning want.
type workload struct {
	name   string
	code   []byte
	fn     string
	params []int32
	want   uint64
}

// hashBlock is the hasher's block size: digest(hashBlock, rounds).
const hashBlock = 4096

// hasherWorkload is the AssemblyScript hasher (examples/contracts): SHA-256
// of rounds copies of a 4-KiB block, compiled code with large basic blocks,
// as contracts are.
func hasherWorkload(code []byte, rounds int32) workload {
	block := make([]byte, hashBlock)
	for i := range block {
		block[i] = byte(i*31 + 7)
	}
	sum := sha256.Sum256(bytes.Repeat(block, int(rounds)))
	return workload{name: fmt.Sprintf("hasher digest(%d, %d) (AssemblyScript SHA-256)", hashBlock, rounds),
		code: code, fn: "digest", params: []int32{hashBlock, rounds}, want: binary.BigEndian.Uint64(sum[:8])}
}

// loopWAT is the worst case for metering: a three-instruction loop body, so
// the meter's charge at each iteration is as large as the work.
const loopWAT = `(module
  (memory (export "memory") 1)
  ;; fnv(rounds): FNV-1a over 64 KiB (byte i = i*31+7), rounds times.
  (func (export "fnv") (param $rounds i32) (result i64)
    (local $i i32) (local $r i32) (local $h i64)
    (loop $fill
      (i32.store8 (local.get $i) (i32.add (i32.mul (local.get $i) (i32.const 31)) (i32.const 7)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 65536))))
    (local.set $h (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $round
        (br_if $done (i32.ge_u (local.get $r) (local.get $rounds)))
        (local.set $i (i32.const 0))
        (loop $byte
          (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load8_u (local.get $i))) (i64.const 0x100000001b3)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $byte (i32.lt_u (local.get $i) (i32.const 65536))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $round)))
    (local.get $h)))`

func loopWorkload(rounds int32) (workload, error) {
	code, err := wasmtime.Wat2Wasm(loopWAT)
	if err != nil {
		return workload{}, err
	}
	block := make([]byte, 65536)
	for i := range block {
		block[i] = byte(i*31 + 7)
	}
	h := fnv.New64a()
	for range rounds {
		h.Write(block)
	}
	return workload{name: fmt.Sprintf("tight loop fnv(%d) (WAT, worst case)", rounds),
		code: code, fn: "fnv", params: []int32{rounds}, want: h.Sum64()}, nil
}

// cpuBench runs a workload on the same module four ways, each call on a
// fresh instance of a module compiled once: wazero's compiler
// uninstrumented, runtime/vm (instrumented by runtime/vm/meter, on the same
// wazero compiler), and wasmtime v25 (Cranelift) with fuel and without.
// Every result is checked.
func cpuBench(ctx context.Context, w workload, n int) ([]series, error) {
	check := func(got uint64) error {
		if got != w.want {
			return fmt.Errorf("%s returned %#x, want %#x", w.fn, got, w.want)
		}
		return nil
	}
	params := make([]uint64, len(w.params))
	args := make([]any, len(w.params))
	for i, p := range w.params {
		params[i], args[i] = uint64(uint32(p)), p
	}

	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCoreFeatures(vm.Features))
	compiled, err := rt.CompileModule(ctx, w.code)
	if err != nil {
		return nil, err
	}
	modCfg := wazero.NewModuleConfig().WithName("")
	plain := engine{name: "wazero v1.12.0, uninstrumented", run: func() error {
		mod, err := rt.InstantiateModule(ctx, compiled, modCfg)
		if err != nil {
			return err
		}
		defer mod.Close(ctx)
		res, err := mod.ExportedFunction(w.fn).Call(ctx, params...)
		if err != nil {
			return err
		}
		return check(res[0])
	}}

	v, err := vm.New(ctx, vm.Config{Engine: vm.EngineCompiler})
	if err != nil {
		return nil, err
	}
	c, err := v.Deploy(ctx, w.code)
	if err != nil {
		return nil, err
	}
	var gas uint64
	metered := engine{name: "runtime/vm (wazero + runtime/vm/meter)", run: func() error {
		res, err := v.Call(ctx, c, w.fn, vm.CallOptions{Gas: meter.MaxGas, Params: params})
		if err != nil {
			return err
		}
		gas = res.GasUsed
		return check(res.Values[0])
	}}

	withFuel, fuel, err := wasmtimeEngine(w, true, args, check)
	if err != nil {
		return nil, err
	}
	noFuel, _, err := wasmtimeEngine(w, false, args, check)
	if err != nil {
		return nil, err
	}
	out, err := measure(n, n/10+1, []engine{plain, metered, withFuel, noFuel})
	if err != nil {
		return nil, err
	}
	out[1].note = fmt.Sprintf("gas used per call: %d", gas)
	out[2].note = fmt.Sprintf("fuel used per call: %d", *fuel)
	return out, nil
}

// wasmtimeEngine runs the workload on wasmtime, in a new store and instance
// per call as fuel is set per store; fuel reports the fuel the last call
// used.
func wasmtimeEngine(w workload, consumeFuel bool, args []any, check func(uint64) error) (engine, *uint64, error) {
	cfg := wasmtime.NewConfig()
	cfg.SetConsumeFuel(consumeFuel)
	eng := wasmtime.NewEngineWithConfig(cfg)
	mod, err := wasmtime.NewModule(eng, w.code)
	if err != nil {
		return engine{}, nil, fmt.Errorf("wasmtime: %w", err)
	}
	const fuelLimit = 1 << 62
	var used uint64
	name := "wasmtime v25.0.0, no fuel"
	if consumeFuel {
		name = "wasmtime v25.0.0 with fuel"
	}
	return engine{name: name, run: func() error {
		store := wasmtime.NewStore(eng)
		defer store.Close()
		if consumeFuel {
			if err := store.SetFuel(fuelLimit); err != nil {
				return err
			}
		}
		inst, err := wasmtime.NewInstance(store, mod, nil)
		if err != nil {
			return err
		}
		f := inst.GetFunc(store, w.fn)
		if f == nil {
			return errors.New("wasmtime: no export " + w.fn)
		}
		res, err := f.Call(store, args...)
		if err != nil {
			return err
		}
		if consumeFuel {
			left, err := store.GetFuel()
			if err != nil {
				return err
			}
			used = fuelLimit - left
		}
		return check(uint64(res.(int64)))
	}}, &used, nil
}
