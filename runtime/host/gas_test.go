package host

import (
	"context"
	"testing"

	"github.com/oramanetwork/orama-chain/gen/hostgen/wasm"
	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

// The spies record whether an implementation was reached.
type spyCache struct {
	hostabi.Cache
	called *bool
}

func (s spyCache) Set(ctx context.Context, k, v []byte, ttl uint32) error {
	*s.called = true
	return s.Cache.Set(ctx, k, v, ttl)
}

type spyStorage struct {
	hostabi.Storage
	called *bool
}

func (s spyStorage) Put(ctx context.Context, d []byte) ([]byte, error) {
	*s.called = true
	return s.Storage.Put(ctx, d)
}

type spyToken struct {
	hostabi.Token
	called *bool
}

func (s spyToken) TransferOrama(ctx context.Context, to types.Address, amount uint64) error {
	*s.called = true
	return s.Token.TransferOrama(ctx, to, amount)
}

// TestChargeBeforeWork: a call with gas for its instructions but not for
// the host function's charge ends with out_of_gas before the implementation
// runs, and changes nothing.
func TestChargeBeforeWork(t *testing.T) {
	ctx := context.Background()
	v := newVM(t)
	to := fill(0x33)
	for _, c := range []struct {
		module, name string
		params       []byte
		result       byte
		args         []uint64
		data         []wasm.Data
		swap         func(*hostabi.Imports, *bool)
	}{
		{"orama.cache", "set", []byte{wasm.I32, wasm.I32, wasm.I32, wasm.I32, wasm.I32}, wasm.I32, []uint64{1024, 3, 1032, 5, 0},
			[]wasm.Data{{Offset: 1024, Bytes: []byte("key")}, {Offset: 1032, Bytes: []byte("value")}},
			func(imp *hostabi.Imports, called *bool) { imp.Cache = spyCache{imp.Cache, called} }},
		{"orama.storage", "put", []byte{wasm.I32, wasm.I32}, wasm.I32, []uint64{1024, 5},
			[]wasm.Data{{Offset: 1024, Bytes: []byte("hello")}},
			func(imp *hostabi.Imports, called *bool) { imp.Storage = spyStorage{imp.Storage, called} }},
		{"orama", "transfer_orama", []byte{wasm.I32, wasm.I64}, wasm.I32, []uint64{1024, 7},
			[]wasm.Data{{Offset: 1024, Bytes: to[:]}},
			func(imp *hostabi.Imports, called *bool) { imp.Token = spyToken{imp.Token, called} }},
	} {
		t.Run(c.module+"."+c.name, func(t *testing.T) {
			p := wasm.Probe{Module: c.module, Name: c.name, Params: c.params, Result: c.result, Args: c.args,
				Pages: 1, Data: c.data, AllocBase: 8192}
			code, err := v.Deploy(ctx, p.Build().Bytes())
			if err != nil {
				t.Fatal(err)
			}
			run := func(gas uint64) (uint64, uint64, bool, error, *Env) {
				env := newEnv(t)
				env.SetBalance(Balance{Address: fill(0x11), Orama: 100})
				call, _ := env.Begin(CallContext{Contract: fill(0x11)})
				called := false
				c.swap(call.Imports, &called)
				var charged uint64
				call.Imports.OnCharge = func(_ string, g uint64) { charged += g }
				res, err := v.Call(ctx, code, "run", vm.CallOptions{Gas: gas, Imports: call.Imports, Tx: call})
				var used uint64
				if err == nil {
					used = res.GasUsed
				}
				return used, charged, called, err, env
			}
			used, charged, called, err, _ := run(10_000_000)
			if err != nil || !called || charged < 2 {
				t.Fatalf("with ample gas: %v, called %v, charged %d", err, called, charged)
			}
			_, _, called, err, env := run(used - charged/2)
			if reason := hostabi.TrapReason(err); reason != "out_of_gas" {
				t.Fatalf("with gas for the instructions only: %q (%v), want out_of_gas", reason, err)
			}
			if called {
				t.Fatal("the implementation ran before its charge was taken")
			}
			if len(env.CacheEntries()) != 0 || len(env.Objects()) != 0 || env.Balances()[0].Orama != 100 {
				t.Fatalf("state changed: %v %v %v", env.CacheEntries(), env.Objects(), env.Balances())
			}
		})
	}
}
