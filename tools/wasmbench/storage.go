package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	wasmvm "github.com/CosmWasm/wasmvm/v2"
	wasmvmtypes "github.com/CosmWasm/wasmvm/v2/types"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/host"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

// storageBench compares one counter increment (orama.state.get and
// orama.state.set of one key: the contract's own key-value state) with
// wasmvm executing queue.wasm's enqueue.
//
// Why queue's enqueue: of the contracts wasmvm ships, it is the one whose
// execute does the same storage work: it reads one entry (the queue's last,
// through a reverse range of length one) and writes one key, and returns an
// empty response. hackatom's release reads its config, queries a bank
// balance and returns a bank message, and writes nothing; cyberpunk's
// messages loop or burn CPU. Both sides start a fresh instance from a
// compiled module held in memory (wasmvm: Pin), meter gas, and write to an
// in-memory store; wasmvm also JSON-encodes env, info and the message and
// parses the response, which is part of executing a CosmWasm contract.
func storageBench(ctx context.Context, tmp string, counter []byte, rounds int) ([]series, error) {
	oramaFull, err := oramaCounter(ctx, tmp, counter, false)
	if err != nil {
		return nil, err
	}
	oramaMap, err := oramaCounter(ctx, tmp, counter, true)
	if err != nil {
		return nil, err
	}
	queue, err := wasmvmQueue(tmp)
	if err != nil {
		return nil, err
	}
	return measure(rounds, rounds/10, []engine{oramaFull, oramaMap, queue})
}

// oramaCounter calls counter.increment(1) through runtime/vm. With bare, the
// call's imports are a map-backed contract state and nothing else, which shows what
// the reference host (runtime/host's Env: a SQLite transaction per call)
// adds to the VM and the generated bindings.
func oramaCounter(ctx context.Context, tmp string, code []byte, bare bool) (engine, error) {
	v, err := vm.New(ctx, vm.Config{Engine: vm.EngineCompiler, CacheDir: filepath.Join(tmp, "wazero"), HostModules: hostabi.Instantiate})
	if err != nil {
		return engine{}, err
	}
	c, err := v.Deploy(ctx, code)
	if err != nil {
		return engine{}, err
	}
	var n uint64
	check := func(res *vm.Result, err error) error {
		if err != nil {
			return err
		}
		n++
		if len(res.Values) != 1 || res.Values[0] != n {
			return fmt.Errorf("increment returned %v, want %d", res.Values, n)
		}
		return nil
	}
	if bare {
		state := &mapState{m: map[string][]byte{}}
		imports := &hostabi.Imports{State: state}
		return engine{
			name: "orama, runtime/vm + bindings, map state",
			note: "the same call with a map for the contract state and no runtime/host Env (no SQLite transaction)",
			run: func() error {
				return check(v.Call(ctx, c, "increment", vm.CallOptions{Gas: 10_000_000, Params: []uint64{1}, Imports: imports, Tx: state}))
			},
		}, nil
	}
	env, err := host.NewEnv()
	if err != nil {
		return engine{}, err
	}
	var contract, caller types.Address
	contract[0], caller[0] = 0xc1, 0xa1
	cc := host.CallContext{Contract: contract, Caller: caller, BlockHeight: 1, BlockTimestamp: 1_700_000_000}
	return engine{
		name: "orama counter.increment (AssemblyScript)",
		note: "runtime/vm + generated/host + runtime/host Env: state.get and state.set of one key, commit",
		run: func() error {
			call, err := env.Begin(cc)
			if err != nil {
				return err
			}
			return check(v.Call(ctx, c, "increment", vm.CallOptions{Gas: 10_000_000, Params: []uint64{1}, Imports: call.Imports, Tx: call}))
		},
	}, nil
}

// mapState is orama.state on a map (one contract), with the call's writes
// kept aside until the VM commits them: the least a host can do.
type mapState struct {
	m       map[string][]byte
	pending map[string][]byte
}

func (c *mapState) Get(_ context.Context, key []byte) ([]byte, error) {
	if v, ok := c.pending[string(key)]; ok {
		return v, nil
	}
	if v, ok := c.m[string(key)]; ok {
		return v, nil
	}
	return nil, hostabi.ErrNotFound
}

func (c *mapState) Set(_ context.Context, key, value []byte) error {
	if c.pending == nil {
		c.pending = map[string][]byte{}
	}
	c.pending[string(key)] = append([]byte(nil), value...)
	return nil
}

func (c *mapState) Delete(context.Context, []byte) error { return errors.New("not used") }

func (c *mapState) Commit() error {
	for k, v := range c.pending {
		c.m[k] = v
	}
	c.pending = nil
	return nil
}

func (c *mapState) Rollback() { c.pending = nil }

// wasmvmQueue executes {"enqueue":{"value":7}} on queue.wasm, which holds
// one entry before each call: the reset deletes the entry the call added.
func wasmvmQueue(tmp string) (engine, error) {
	dir, err := moduleDir("github.com/CosmWasm/wasmvm/v2")
	if err != nil {
		return engine{}, err
	}
	code, err := os.ReadFile(filepath.Join(dir, "testdata", "queue.wasm"))
	if err != nil {
		return engine{}, err
	}
	caps := []string{"staking", "stargate", "iterator", "cosmwasm_1_1", "cosmwasm_1_2", "cosmwasm_1_3", "cosmwasm_1_4", "cosmwasm_2_0", "cosmwasm_2_1", "cosmwasm_2_2"}
	w, err := wasmvm.NewVM(filepath.Join(tmp, "wasmvm"), caps, 32, false, 100)
	if err != nil {
		return engine{}, err
	}
	const gasLimit = 100_000_000_000_000
	checksum, _, err := w.StoreCode(code, gasLimit)
	if err != nil {
		return engine{}, fmt.Errorf("wasmvm: store code: %w", err)
	}
	if err := w.Pin(checksum); err != nil {
		return engine{}, fmt.Errorf("wasmvm: pin: %w", err)
	}
	store := newKV()
	env := wasmvmtypes.Env{
		Block:    wasmvmtypes.BlockInfo{Height: 1, Time: 1_700_000_000_000_000_000, ChainID: "orama-bench"},
		Contract: wasmvmtypes.ContractInfo{Address: "queue"},
	}
	info := wasmvmtypes.MessageInfo{Sender: "sender", Funds: []wasmvmtypes.Coin{}}
	api := wasmvmtypes.GoAPI{
		HumanizeAddress:     func(b []byte) (string, uint64, error) { return string(b), 0, nil },
		CanonicalizeAddress: func(s string) ([]byte, uint64, error) { return []byte(s), 0, nil },
		ValidateAddress:     func(string) (uint64, error) { return 0, nil },
	}
	var querier noQuerier
	var meter zeroMeter
	deser := wasmvmtypes.UFraction{Numerator: 1, Denominator: 1}
	if res, _, err := w.Instantiate(checksum, env, info, []byte(`{}`), store, api, querier, meter, gasLimit, deser); err != nil || res.Err != "" {
		return engine{}, fmt.Errorf("wasmvm: instantiate queue: %v %v", err, res)
	}
	execute := func() error {
		res, _, err := w.Execute(checksum, env, info, []byte(`{"enqueue":{"value":7}}`), store, api, querier, meter, gasLimit, deser)
		if err != nil {
			return err
		}
		if res.Err != "" {
			return errors.New(res.Err)
		}
		return nil
	}
	// One entry, so every measured enqueue reads one and writes one.
	if err := execute(); err != nil {
		return engine{}, fmt.Errorf("wasmvm: enqueue: %w", err)
	}
	base := store.keys()
	if len(base) != 1 {
		return engine{}, fmt.Errorf("wasmvm: queue holds %d keys after one enqueue", len(base))
	}
	return engine{
		name: "wasmvm v2.2.4 queue.wasm enqueue",
		note: "CosmWasm: reverse range of one entry, write one key; JSON env, info, message and response",
		run: func() error {
			if err := execute(); err != nil {
				return err
			}
			if n := len(store.m); n != 2 {
				return fmt.Errorf("queue holds %d keys after an enqueue, want 2", n)
			}
			return nil
		},
		reset: func() error {
			for k := range store.m {
				if k != base[0] {
					delete(store.m, k)
				}
			}
			return nil
		},
	}, nil
}

// moduleDir is the directory of a module of this one's build list.
func moduleDir(path string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w", path, err)
	}
	return strings.TrimSpace(string(out)), nil
}

type noQuerier struct{}

func (noQuerier) Query(wasmvmtypes.QueryRequest, uint64) ([]byte, error) {
	return nil, errors.New("no queries in this benchmark")
}
func (noQuerier) GasConsumed() uint64 { return 0 }

type zeroMeter struct{}

func (zeroMeter) GasConsumed() wasmvmtypes.Gas { return 0 }
