package suite

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/oramanetwork/orama-chain/gen/hostgen/wasm"
)

// The suite's contract modules are hex in its source (it imports nothing of
// the node, nor the module writer); these tests rebuild them with
// gen/hostgen/wasm from what their comments say they do.

// bumpAlloc is orama_alloc(n): return the global, add n to it.
func bumpAlloc() wasm.Func {
	body := wasm.U32(append([]byte{wasm.OpGlobalGet, 0, wasm.OpGlobalGet, 0}, wasm.OpLocalGet), 0)
	body = append(body, wasm.OpI32Add, wasm.OpGlobalSet, 0)
	return wasm.Func{Type: wasm.FuncType{Params: []byte{wasm.I32}, Results: []byte{wasm.I32}}, Body: body, Export: "orama_alloc"}
}

func call(b []byte, fn uint32) []byte { return wasm.U32(append(b, wasm.OpCall), fn) }

func probeModule() []byte {
	i32x2 := wasm.FuncType{Params: []byte{wasm.I32, wasm.I32}, Results: []byte{wasm.I32}}
	i32x4 := wasm.FuncType{Params: []byte{wasm.I32, wasm.I32, wasm.I32, wasm.I32}, Results: []byte{wasm.I32}}
	store := wasm.I32Const(wasm.I32Const(nil, 1024), 10)
	store = append(call(store, 0), wasm.OpDrop)
	store = wasm.I32Const(wasm.I32Const(wasm.I32Const(wasm.I32Const(store, 1100), 1), 1101), 1)
	store = append(call(store, 1), wasm.OpDrop)
	store = wasm.I32Const(wasm.I32Const(store, 1200), 15)
	store = append(call(store, 2), wasm.OpDrop)
	m := &wasm.Module{
		Imports: []wasm.Import{
			{Module: "orama.storage", Name: "put", Type: i32x2},
			{Module: "orama.state", Name: "set", Type: i32x4},
			{Module: "orama", Name: "emit", Type: i32x2},
		},
		Funcs: []wasm.Func{
			{Type: wasm.FuncType{}, Body: store, Export: "store"},
			{Type: wasm.FuncType{Results: []byte{wasm.I64}}, Body: wasm.I64Const(nil, 42), Export: "answer"},
			bumpAlloc(),
		},
		Pages:   2,
		Globals: []int32{4096},
		Data: []wasm.Data{
			{Offset: 1024, Bytes: nsProbeBlob},
			{Offset: 1100, Bytes: []byte("kv")},
			{Offset: 1200, Bytes: append([]byte{6, 0, 0, 0}, append([]byte("stored"), 1, 0, 0, 0, 7)...)},
		},
	}
	return m.Bytes()
}

func sqlModule() []byte {
	i32x4 := wasm.FuncType{Params: []byte{wasm.I32, wasm.I32, wasm.I32, wasm.I32}, Results: []byte{wasm.I32}}
	body := wasm.U32(append(call(nil, 0), wasm.OpLocalSet), 0)
	body = wasm.I32Const(wasm.U32(append(body, wasm.OpLocalGet), 0), 4)
	body = append(body, wasm.OpI32Add)
	body = wasm.Mem(wasm.U32(append(body, wasm.OpLocalGet), 0), wasm.OpI32Load, 0)
	body = wasm.I32Const(wasm.I32Const(body, 0), 0)
	body = wasm.Mem(call(body, 1), wasm.OpI32Load, 4)
	m := &wasm.Module{
		Imports: []wasm.Import{
			{Module: "orama.ctx", Name: "input", Type: wasm.FuncType{Results: []byte{wasm.I32}}},
			{Module: "orama.db", Name: "execute", Type: i32x4},
		},
		Funcs: []wasm.Func{
			{Type: wasm.FuncType{Results: []byte{wasm.I32}}, Locals: []byte{wasm.I32}, Body: body, Export: "exec"},
			bumpAlloc(),
		},
		Pages:   2,
		Globals: []int32{1024},
	}
	return m.Bytes()
}

func TestProbeModules(t *testing.T) {
	for _, tc := range []struct {
		name      string
		have, got []byte
	}{
		{"nsProbeModule", nsProbeModule, probeModule()},
		{"nsSQLModule", nsSQLModule, sqlModule()},
	} {
		if !bytes.Equal(tc.have, tc.got) {
			t.Errorf("%s is not what its comment says; rebuilt:\n%s", tc.name, hex.EncodeToString(tc.got))
		}
	}
}
