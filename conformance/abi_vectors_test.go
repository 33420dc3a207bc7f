package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/host"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

// This file runs conformance/vectors-abi/ (format: vectors-abi/README.md)
// through the real VM (runtime/vm), the generated bindings (generated/host)
// and the reference implementations (runtime/host): each case's module is
// deployed and its run export called, and the trap reason, the module's own
// checks of the results, every charge the host functions made, and the
// state after are compared with the vector.

const abiDir = "vectors-abi"

type abiCase struct {
	Name     string `json:"name"`
	Function string `json:"function"`
	Context  struct {
		Contract, Caller                                  string
		BlockHeight, BlockTimestamp, OramaValue, BTCValue string
	} `json:"-"`
	RawContext map[string]string `json:"context"`
	Before     abiState          `json:"before"`
	Expect     struct {
		Trap    *string  `json:"trap"`
		Gas     string   `json:"gas"`
		Charges []string `json:"charges"`
		After   struct {
			abiState
			Events []struct{ Emitter, Topic, Data string } `json:"events"`
			Logs   []struct{ Level, Msg string }           `json:"logs"`
			Checks []struct{ Query, Rows string }          `json:"sql_checks"`
		} `json:"after"`
	} `json:"expect"`
	Wasm string `json:"wasm"`
}

type abiState struct {
	SQL      []string                                `json:"sql"`
	Cache    []struct{ Key, Value, Expires string }  `json:"cache"`
	Storage  []string                                `json:"storage"`
	State    []struct{ Contract, Key, Value string } `json:"state"`
	Balances []struct{ Address, Orama, BTC string }  `json:"balances"`
}

func abiHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil || !strings.HasPrefix(s, "0x") {
		t.Fatalf("bad hex %q", s)
	}
	return b
}

func abiU64(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("bad u64 %q", s)
	}
	return v
}

func abiAddr(t *testing.T, s string) types.Address {
	var a types.Address
	if b := abiHex(t, s); len(b) == len(a) {
		copy(a[:], b)
		return a
	}
	t.Fatalf("bad address %q", s)
	return a
}

// abiEnv builds the state before a case.
func abiEnv(t *testing.T, st abiState) *host.Env {
	env, err := host.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range st.SQL {
		if err := env.DB().Exec(q); err != nil {
			t.Fatalf("before: %v", err)
		}
	}
	for _, c := range st.Cache {
		env.SetCache(host.CacheEntry{Key: abiHex(t, c.Key), Value: abiHex(t, c.Value), Expires: abiU64(t, c.Expires)})
	}
	for _, d := range st.Storage {
		env.Store(abiHex(t, d))
	}
	for _, e := range st.State {
		env.SetState(host.StateEntry{Contract: abiAddr(t, e.Contract), Key: abiHex(t, e.Key), Value: abiHex(t, e.Value)})
	}
	for _, b := range st.Balances {
		env.SetBalance(host.Balance{Address: abiAddr(t, b.Address), Orama: abiU64(t, b.Orama), BTC: abiU64(t, b.BTC)})
	}
	return env
}

// abiShow renders an Env's state as the vectors do, for comparison.
func abiShow(env *host.Env) string {
	var b strings.Builder
	for _, e := range env.CacheEntries() {
		fmt.Fprintf(&b, "cache %x=%x until %d\n", e.Key, e.Value, e.Expires)
	}
	for _, c := range env.Objects() {
		d, _ := env.Object(c)
		fmt.Fprintf(&b, "object %x\n", d)
	}
	for _, e := range env.StateEntries() {
		fmt.Fprintf(&b, "state %x %x=%x\n", e.Contract[:], e.Key, e.Value)
	}
	for _, bal := range env.Balances() {
		fmt.Fprintf(&b, "balance %x %d %d\n", bal.Address[:], bal.Orama, bal.BTC)
	}
	return b.String()
}

func abiShowState(t *testing.T, st abiState) string {
	var b strings.Builder
	for _, e := range st.Cache {
		fmt.Fprintf(&b, "cache %x=%x until %d\n", abiHex(t, e.Key), abiHex(t, e.Value), abiU64(t, e.Expires))
	}
	data := make([][]byte, 0, len(st.Storage))
	for _, d := range st.Storage {
		data = append(data, abiHex(t, d))
	}
	// Objects are listed by CID.
	sort.Slice(data, func(i, j int) bool { return bytes.Compare(abi.RawCID(data[i]), abi.RawCID(data[j])) < 0 })
	for _, d := range data {
		fmt.Fprintf(&b, "object %x\n", d)
	}
	for _, e := range st.State {
		fmt.Fprintf(&b, "state %x %x=%x\n", abiHex(t, e.Contract), abiHex(t, e.Key), abiHex(t, e.Value))
	}
	for _, bal := range st.Balances {
		fmt.Fprintf(&b, "balance %x %d %d\n", abiHex(t, bal.Address), abiU64(t, bal.Orama), abiU64(t, bal.BTC))
	}
	return b.String()
}

func TestABIVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(abiDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		FormatVersion int `json:"format_version"`
		Files         []struct {
			Path   string `json:"path"`
			Cases  int    `json:"cases"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	if man.FormatVersion != 1 {
		t.Fatalf("format_version %d, this runner implements 1", man.FormatVersion)
	}
	listed := map[string]bool{"manifest.json": true, "README.md": true}
	v, err := vm.New(context.Background(), vm.Config{HostModules: hostabi.Instantiate})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close(context.Background())
	ran, called := 0, map[string]bool{}
	for _, f := range man.Files {
		listed[f.Path] = true
		data, err := os.ReadFile(filepath.Join(abiDir, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(data); "0x"+hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Fatalf("%s: sha256 differs from the manifest", f.Path)
		}
		var vf struct {
			Kind  string    `json:"kind"`
			Cases []abiCase `json:"cases"`
		}
		if err := json.Unmarshal(data, &vf); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if vf.Kind != "abi" {
			t.Fatalf("%s: unknown kind %q", f.Path, vf.Kind)
		}
		if len(vf.Cases) != f.Cases {
			t.Fatalf("%s: %d cases, manifest says %d", f.Path, len(vf.Cases), f.Cases)
		}
		for _, c := range vf.Cases {
			t.Run(c.Name, func(t *testing.T) { runABICase(t, v, c) })
			ran++
			called[c.Function] = true
		}
	}
	entries, _ := os.ReadDir(abiDir)
	for _, e := range entries {
		if !listed[e.Name()] {
			t.Errorf("%s is not in the manifest", e.Name())
		}
	}
	for _, fn := range hostabi.Functions {
		if !called[fn.Module+"."+fn.Name] {
			t.Errorf("no vector calls %s.%s", fn.Module, fn.Name)
		}
	}
	t.Logf("%d ABI cases", ran)
}

func runABICase(t *testing.T, v *vm.VM, c abiCase) {
	ctx := context.Background()
	env := abiEnv(t, c.Before)
	defer env.Close()
	code, err := v.Deploy(ctx, abiHex(t, c.Wasm))
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	cc := c.RawContext
	call, err := env.Begin(host.CallContext{
		Contract: abiAddr(t, cc["contract"]), Caller: abiAddr(t, cc["caller"]),
		BlockHeight: abiU64(t, cc["block_height"]), BlockTimestamp: abiU64(t, cc["block_timestamp"]),
		OramaValue: abiU64(t, cc["orama_value"]), BTCValue: abiU64(t, cc["btc_value"]),
		Input: abiHex(t, cc["input"]),
	})
	if err != nil {
		t.Fatal(err)
	}
	charges := []string{}
	call.Imports.OnCharge = func(fn string, gas uint64) {
		if fn != c.Function {
			t.Errorf("charge by %s inside a call of %s", fn, c.Function)
		}
		charges = append(charges, strconv.FormatUint(gas, 10))
	}
	res, err := v.Call(ctx, code, "run", vm.CallOptions{Gas: 100_000_000, Imports: call.Imports, Tx: call})
	if c.Expect.Trap != nil {
		if got := hostabi.TrapReason(err); got != *c.Expect.Trap {
			t.Fatalf("trap %q (%v), want %s", got, err, *c.Expect.Trap)
		}
	} else {
		if err != nil {
			t.Fatalf("call failed: %v", err)
		}
		if res.Values[0] != 0 {
			t.Fatalf("the module's check %d failed (wasm/probe.go Check codes)", res.Values[0])
		}
	}
	if !reflect.DeepEqual(charges, c.Expect.Charges) {
		t.Fatalf("charges %v, want %v", charges, c.Expect.Charges)
	}
	var sum uint64
	for _, g := range charges {
		sum += abiU64(t, g)
	}
	if sum != abiU64(t, c.Expect.Gas) {
		t.Fatalf("gas %d, want %s", sum, c.Expect.Gas)
	}
	if got, want := abiShow(env), abiShowState(t, c.Expect.After.abiState); got != want {
		t.Fatalf("state after\n%s\nwant\n%s", got, want)
	}
	if len(call.Events) != len(c.Expect.After.Events) || len(call.Logs) != len(c.Expect.After.Logs) {
		t.Fatalf("%d events and %d logs, want %d and %d", len(call.Events), len(call.Logs), len(c.Expect.After.Events), len(c.Expect.After.Logs))
	}
	for i, e := range c.Expect.After.Events {
		g := call.Events[i]
		if g.Emitter != abiAddr(t, e.Emitter) || g.Topic != e.Topic || !bytes.Equal(g.Data, abiHex(t, e.Data)) {
			t.Fatalf("event %d: %+v, want %+v", i, g, e)
		}
	}
	for i, l := range c.Expect.After.Logs {
		if call.Logs[i].Level != l.Level || call.Logs[i].Msg != l.Msg {
			t.Fatalf("log %d: %+v, want %+v", i, call.Logs[i], l)
		}
	}
	for _, chk := range c.Expect.After.Checks {
		rows, err := env.DB().QueryHost(chk.Query)
		if err != nil {
			t.Fatalf("check %q: %v", chk.Query, err)
		}
		enc, _ := abi.AppendRows(nil, 0, rows)
		if !bytes.Equal(enc, abiHex(t, chk.Rows)) {
			t.Fatalf("check %q: %x, want %s", chk.Query, enc, chk.Rows)
		}
	}
}

// wrongCache gives a different value and says every delete succeeded: a host
// the vectors must catch.
type wrongCache struct{ hostabi.Cache }

func (wrongCache) Get(context.Context, []byte) ([]byte, error) { return []byte("other"), nil }
func (wrongCache) Delete(context.Context, []byte) error        { return nil }

// TestABIVectorsCatchWrongHost is the negative control: with a wrong cache
// behind the bindings, the modules' own checks fail with the check code of
// what differs.
func TestABIVectorsCatchWrongHost(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(abiDir, "cache.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vf struct{ Cases []abiCase }
	if err := json.Unmarshal(data, &vf); err != nil {
		t.Fatal(err)
	}
	v, err := vm.New(context.Background(), vm.Config{HostModules: hostabi.Instantiate})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close(context.Background())
	want := map[string]uint64{"cache_get_hit": 4, "cache_get_empty_value": 3, "cache_get_miss": 6, "cache_delete_absent": 1}
	seen := 0
	for _, c := range vf.Cases {
		code, ok := want[c.Name]
		if !ok {
			continue
		}
		seen++
		env := abiEnv(t, c.Before)
		call, _ := env.Begin(host.CallContext{BlockTimestamp: abiU64(t, c.RawContext["block_timestamp"])})
		call.Imports.Cache = wrongCache{call.Imports.Cache}
		mod, err := v.Deploy(context.Background(), abiHex(t, c.Wasm))
		if err != nil {
			t.Fatal(err)
		}
		res, err := v.Call(context.Background(), mod, "run", vm.CallOptions{Gas: 100_000_000, Imports: call.Imports, Tx: call})
		if err != nil || res.Values[0] != code {
			t.Errorf("%s with a wrong cache: %v %v, want check %d", c.Name, res, err, code)
		}
		env.Close()
	}
	if seen != len(want) {
		t.Fatalf("found %d of the %d cases", seen, len(want))
	}
}
