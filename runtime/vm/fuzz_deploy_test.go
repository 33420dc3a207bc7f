package vm

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDeployAny: any bytes offered as a module either are refused with one
// of vm.md's refusals, or deploy; every export of a deployed module can
// then be called with any arguments on both engines without the process
// crashing or a panic escaping, and both engines give the same outcome.
// The seeds are the test modules and a reference-typed export, whose call
// with an ordinary number once crashed the process (D38).
func FuzzDeployAny(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.wasm")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, []byte{1, 2, 3, 4, 5, 6, 7, 8}, uint32(100_000))
		}
	}
	refParam := wCat(wHeader, wSec(1, wType([]byte{tFuncref}, nil)), wSec(3, []byte{0}), wSec(4, []byte{tFuncref, 0, 1}),
		wSec(7, wExport("g", 0, 0)), wSec(10, wBody(0x41, 0, 0x20, 0, 0x26, 0, 0x0b)))
	f.Add(refParam, []byte{0x41, 0x41, 0x41, 0x41, 0x41, 0, 0, 0}, uint32(100_000))
	ctx := context.Background()
	vms := []*VM{newVM(f, EngineCompiler), newVM(f, EngineInterpreter)}
	f.Fuzz(func(t *testing.T, wasm, args []byte, gas uint32) {
		var params []uint64
		for len(args) >= 8 && len(params) < 8 {
			params = append(params, binary.LittleEndian.Uint64(args))
			args = args[8:]
		}
		var contracts []*Contract
		for _, v := range vms {
			c, err := v.Deploy(ctx, wasm)
			if err != nil {
				if classifyRefusal(err) == "" {
					t.Fatalf("deploy: %v is none of vm.md's refusals", err)
				}
				return
			}
			contracts = append(contracts, c)
		}
		for _, fn := range contracts[0].Info().Exports {
			var got []outcome
			for i, v := range vms {
				// As many parameters as the export takes, from the input.
				var n int
				if def, ok := contracts[i].exports[fn]; ok {
					n = len(def.ParamTypes())
				}
				p := make([]uint64, n)
				copy(p, params)
				got = append(got, call(v, contracts[i], fn, uint64(gas), false, p...))
			}
			if !reflect.DeepEqual(got[0], got[1]) {
				t.Fatalf("%s: compiler %+v, interpreter %+v", fn, got[0], got[1])
			}
		}
	})
}

func classifyRefusal(err error) string {
	for _, e := range []error{ErrMalformed, ErrLimit, ErrFeature, ErrReserved, ErrImport} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return ""
}
