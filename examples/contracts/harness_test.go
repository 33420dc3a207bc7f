package contracts_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/oramanetwork/orama-chain/examples/contracts"
	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/host"
	"github.com/oramanetwork/orama-chain/runtime/vm"
	"github.com/oramanetwork/orama-chain/runtime/vm/meter"
)

// The harness plays the chain's part around each call: it moves the value
// sent with the call from the caller to the contract, starts the call on a
// runtime/host Env (whose Imports and transaction go to the VM), runs it
// through runtime/vm and generated/host, and takes the value back if the
// call fails (the VM has rolled back everything else).

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

var (
	buildOnce sync.Once
	built     map[string][]byte
	buildErr  error
)

// modules builds the example contracts from source once per test binary.
func modules(t testing.TB) map[string][]byte {
	t.Helper()
	buildOnce.Do(func() { built, buildErr = contracts.Build(context.Background(), repoRoot()) })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func newVM(t testing.TB, e vm.Engine) *vm.VM {
	t.Helper()
	v, err := vm.New(context.Background(), vm.Config{Engine: e, HostModules: hostabi.Instantiate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close(context.Background()) })
	return v
}

// Block defaults: a step at height 0 runs at baseHeight, time 0 at baseTime.
const (
	baseHeight = 100
	baseTime   = 1_700_000_000
)

// step is one call of a scenario and what it must give with enough gas.
type step struct {
	export string
	params []uint64
	input  []byte // the call's argument bytes (orama.ctx.input)
	bytes  bool   // the export returns a result_ptr (vm.CallOptions.ReturnsBytes)

	caller     types.Address
	height     uint64 // baseHeight when 0
	time       uint64 // baseTime when 0
	orama, btc uint64 // value sent with the call

	want  []uint64 // the results, unless trap
	trap  string   // the trap reason (hostabi.TrapReason) the call must end with
	check func(t *testing.T, o outcome, env *host.Env)
}

func (s step) String() string {
	if len(s.input) > 0 {
		return fmt.Sprintf("%s%v(input %x) by %x", s.export, s.params, s.input, s.caller[:2])
	}
	return fmt.Sprintf("%s%v by %x", s.export, s.params, s.caller[:2])
}

// scenario is a sequence of calls of one contract on one Env.
type scenario struct {
	name     string // the module
	contract types.Address
	setup    func(t testing.TB, env *host.Env) // state before the first call (balances, uploaded objects)
	steps    []step
	// failures is how many out-of-gas limits each step tries per engine.
	failures int
	// after checks the Env once every step has run.
	after func(t *testing.T, env *host.Env)
}

// outcome is everything a call gives that must not depend on the engine,
// the run or, when it completes, the gas limit.
type outcome struct {
	Values  []uint64
	Output  []byte
	GasUsed uint64
	Trap    string // hostabi.TrapReason of the error; "" on success
	Events  []types.Event
	Logs    []host.LogLine
	Charges []string // the host function of each charge, in order (Imports.OnCharge); nil for a failed call
}

func addr(b byte) types.Address {
	var a types.Address
	for i := range a {
		a[i] = b
	}
	return a
}

func balance(env *host.Env, a types.Address) host.Balance {
	for _, b := range env.Balances() {
		if b.Address == a {
			return b
		}
	}
	return host.Balance{Address: a}
}

// sendValue moves what the step sends from its caller to the contract, as
// the chain does before the call; undo takes it back.
func sendValue(t testing.TB, env *host.Env, s step, contract types.Address) (undo func()) {
	t.Helper()
	if s.orama == 0 && s.btc == 0 {
		return func() {}
	}
	from, to := balance(env, s.caller), balance(env, contract)
	if from.Orama < s.orama || from.BTC < s.btc {
		t.Fatalf("%v: the caller holds %d rays and %d sats, sends %d and %d", s, from.Orama, from.BTC, s.orama, s.btc)
	}
	env.SetBalance(host.Balance{Address: s.caller, Orama: from.Orama - s.orama, BTC: from.BTC - s.btc})
	env.SetBalance(host.Balance{Address: contract, Orama: to.Orama + s.orama, BTC: to.BTC + s.btc})
	return func() { env.SetBalance(from); env.SetBalance(to) }
}

// exportResults returns the result types of every exported function of code.
func exportResults(t testing.TB, code []byte) map[string][]api.ValueType {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(vm.Features))
	defer r.Close(ctx)
	cm, err := r.CompileModule(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]api.ValueType{}
	for name, def := range cm.ExportedFunctions() {
		out[name] = def.ResultTypes()
	}
	return out
}

// call runs step s of a contract deployed as c on env with a gas limit.
// results are the export's result types.
func call(t testing.TB, v *vm.VM, c *vm.Contract, env *host.Env, contract types.Address, s step, gas uint64, results []api.ValueType) outcome {
	t.Helper()
	undo := sendValue(t, env, s, contract)
	height, at := s.height, s.time
	if height == 0 {
		height = baseHeight
	}
	if at == 0 {
		at = baseTime
	}
	hc, err := env.Begin(host.CallContext{
		Contract: contract, Caller: s.caller, BlockHeight: height, BlockTimestamp: at, OramaValue: s.orama, BTCValue: s.btc,
		Input: s.input,
	})
	if err != nil {
		t.Fatal(err)
	}
	var o outcome
	hc.Imports.OnCharge = func(fn string, _ uint64) { o.Charges = append(o.Charges, fn) }
	res, err := v.Call(context.Background(), c, s.export, vm.CallOptions{
		Gas: gas, Params: s.params, Imports: hc.Imports, Tx: hc, ReturnsBytes: s.bytes,
	})
	if err != nil {
		undo()
		o.Charges = nil // what a failed call did is dropped with it
		o.Trap = hostabi.TrapReason(err)
		var ce *vm.CallError
		if !errors.As(err, &ce) || o.Trap == "host_failure" || errors.Is(err, vm.ErrCommit) {
			t.Fatalf("%v: %v: a failure of the host or the harness, not an outcome", s, err)
		}
		o.GasUsed = ce.GasUsed
		return o
	}
	o.Values, o.Output, o.GasUsed = res.Values, res.Output, res.GasUsed
	o.Events, o.Logs = hc.Events, hc.Logs
	// Compared as the VM returns them: it must give every engine's
	// results the same bits (an i32 result has no upper half).
	_ = results
	return o
}

// snapshot is the Env's whole state as text: cache entries, contract state
// entries, stored objects, non-zero balances, and every table of the database with its rows.
func snapshot(t testing.TB, env *host.Env) string {
	t.Helper()
	var b strings.Builder
	for _, e := range env.CacheEntries() {
		fmt.Fprintf(&b, "cache %q = %x (expires %d)\n", e.Key, e.Value, e.Expires)
	}
	for _, e := range env.StateEntries() {
		fmt.Fprintf(&b, "state %x %q = %x\n", e.Contract[:], e.Key, e.Value)
	}
	for _, c := range env.Objects() {
		d, _ := env.Object(c)
		fmt.Fprintf(&b, "object %x: %d bytes, sha256 %x\n", c, len(d), sha256.Sum256(d))
	}
	for _, bal := range env.Balances() {
		if bal.Orama != 0 || bal.BTC != 0 {
			fmt.Fprintf(&b, "balance %x: %d rays, %d sats\n", bal.Address[:], bal.Orama, bal.BTC)
		}
	}
	schema, err := env.DB().QueryHost("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range schema.Rows {
		fmt.Fprintf(&b, "%s %s: %s\n", row[0].Bytes, row[1].Bytes, row[2].Bytes)
		if string(row[0].Bytes) != "table" {
			continue
		}
		rows, err := env.DB().QueryHost(`SELECT * FROM "` + string(row[1].Bytes) + `" ORDER BY rowid`)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows.Rows {
			fmt.Fprintf(&b, "  %v\n", r)
		}
	}
	return b.String()
}

// lane is one Env a scenario runs on, with the VM and deployed contract it
// is called through.
type lane struct {
	name    string
	v       *vm.VM
	c       *vm.Contract
	env     *host.Env
	results map[string][]api.ValueType
}

// call runs step s on the lane.
func (l *lane) call(t testing.TB, sc scenario, s step, gas uint64) outcome {
	t.Helper()
	return call(t, l.v, l.c, l.env, sc.contract, s, gas, l.results[s.export])
}

func newLane(t *testing.T, name string, v *vm.VM, code []byte, results map[string][]api.ValueType, sc scenario) *lane {
	t.Helper()
	c, err := v.Deploy(context.Background(), code)
	if err != nil {
		t.Fatalf("deploy %s: %v", sc.name, err)
	}
	env, err := host.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	if sc.setup != nil {
		sc.setup(t, env)
	}
	return &lane{name: name, v: v, c: c, env: env, results: results}
}

// runScenario runs a scenario's steps in order on three Envs in lockstep:
//
//   - ref, on the compiler with the largest gas limit: its outcome is the
//     step's reference, which the step's expectations check;
//   - compiler and interpreter: first with limits below the reference's gas
//     used (0, one less, random ones), each of which must end out of gas
//     having used exactly the limit and leave the Env as it was; then with
//     one limit at least the gas used (exactly it, or a random larger one),
//     which must give the reference outcome, gas included, and leave the Env
//     as ref's.
//
// So a call either completes as with unlimited gas or fails out of gas with
// no writes, and gas is the same on both engines and in every run. Steps
// that trap are checked by checkTrap. It returns how often the reference
// calls charged each host function.
func runScenario(t *testing.T, engines [2]*vm.VM, code []byte, sc scenario) map[string]int {
	results := exportResults(t, code)
	ref := newLane(t, "ref", engines[0], code, results, sc)
	lanes := []*lane{
		newLane(t, "compiler", engines[0], code, results, sc),
		newLane(t, "interpreter", engines[1], code, results, sc),
	}
	called := map[string]int{}
	for i, s := range sc.steps {
		o := ref.call(t, sc, s, meter.MaxGas)
		switch {
		case s.trap != "" && o.Trap != s.trap:
			t.Fatalf("step %d %v: outcome %+v, want trap %s", i, s, o, s.trap)
		case s.trap == "" && o.Trap != "":
			t.Fatalf("step %d %v: trap %s (%d gas)", i, s, o.Trap, o.GasUsed)
		case s.trap == "" && s.want != nil && !reflect.DeepEqual(o.Values, s.want):
			t.Fatalf("step %d %v: results %v, want %v", i, s, o.Values, s.want)
		}
		if s.check != nil {
			s.check(t, o, ref.env)
		}
		for _, fn := range o.Charges {
			called[fn]++
		}
		rng := stepRand(sc, i)
		if s.trap != "" {
			checkTrap(t, sc, i, s, rng, append([]*lane{ref}, lanes...))
			continue
		}
		want := snapshot(t, ref.env)
		for li, l := range lanes {
			pre := snapshot(t, l.env)
			limits := []uint64{0, o.GasUsed - 1, o.GasUsed - 1 - rng.Uint64N(o.GasUsed/64+1)}
			for range sc.failures {
				limits = append(limits, rng.Uint64N(o.GasUsed))
			}
			for _, limit := range limits {
				got := l.call(t, sc, s, limit)
				if got.Trap != "out_of_gas" || got.GasUsed != limit {
					t.Fatalf("step %d %v on %s with %d gas (needs %d): %q using %d gas, want out_of_gas using all",
						i, s, l.name, limit, o.GasUsed, got.Trap, got.GasUsed)
				}
				if post := snapshot(t, l.env); post != pre {
					t.Fatalf("step %d %v on %s with %d gas: ran out of gas but changed the state:\n%s\nwas\n%s", i, s, l.name, limit, post, pre)
				}
			}
			limit := o.GasUsed
			if (i+li)%2 == 1 {
				limit += 1 + rng.Uint64N(o.GasUsed)
			}
			got := l.call(t, sc, s, limit)
			if !reflect.DeepEqual(got, o) {
				t.Fatalf("step %d %v on %s with %d gas:\n%+v\nwant (unlimited gas, compiler)\n%+v", i, s, l.name, limit, got, o)
			}
			if post := snapshot(t, l.env); post != want {
				t.Fatalf("step %d %v on %s with %d gas: state\n%s\nwant\n%s", i, s, l.name, limit, post, want)
			}
		}
	}
	if sc.after != nil {
		sc.after(t, ref.env)
	}
	return called
}

// stepRand is the random source of step i: fixed, so a failure repeats.
func stepRand(sc scenario, i int) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", sc.name, i)
	return rand.New(rand.NewPCG(h.Sum64(), 15))
}

// checkTrap checks a step that traps. A trap raised by guest code uses the
// whole limit (runtime/vm), so the outcome depends on the limit; what must
// hold is that some gas g is exactly enough to reach the trap: every limit
// below g ends out of gas, every limit from g on ends in the same trap, each
// using the whole limit (or, for a trap a host function raises, what the
// call used), on every lane, and no call changes the state. g is found by
// bisection on the first lane.
func checkTrap(t *testing.T, sc scenario, i int, s step, rng *rand.Rand, lanes []*lane) {
	t.Helper()
	pre := make([]string, len(lanes))
	for li, l := range lanes {
		pre[li] = snapshot(t, l.env)
	}
	// at runs the step on lane li with limit, checks that the state did not
	// change, and returns the outcome.
	at := func(li int, limit uint64) outcome {
		got := lanes[li].call(t, sc, s, limit)
		if post := snapshot(t, lanes[li].env); post != pre[li] {
			t.Fatalf("step %d %v on %s with %d gas: %q but changed the state:\n%s\nwas\n%s", i, s, lanes[li].name, limit, got.Trap, post, pre[li])
		}
		return got
	}
	lo, hi := uint64(0), uint64(meter.MaxGas) // lo runs out of gas, hi traps
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		switch got := at(0, mid); got.Trap {
		case "out_of_gas":
			lo = mid
		case s.trap:
			hi = mid
		default:
			t.Fatalf("step %d %v with %d gas: %+v, want out_of_gas or %s", i, s, mid, got, s.trap)
		}
	}
	enough := at(0, hi)
	limits := []uint64{0, hi - 1, hi, hi + 1, meter.MaxGas}
	for range 4 {
		limits = append(limits, rng.Uint64N(hi), hi+rng.Uint64N(hi))
	}
	for li := range lanes {
		for _, limit := range limits {
			got := at(li, limit)
			want := outcome{Trap: "out_of_gas", GasUsed: limit}
			if limit >= hi {
				want = enough
				if enough.GasUsed == hi {
					want.GasUsed = limit
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("step %d %v on %s with %d gas (%d reach the trap):\n%+v\nwant\n%+v", i, s, lanes[li].name, limit, hi, got, want)
			}
		}
	}
}

// Parameter encodings (see as/lib/common.ts): an address as two big-endian
// u64s and a big-endian u32, a short text as a length and four
// little-endian u64 words, a digest as four big-endian u64s.

func addrParams(a types.Address) []uint64 {
	return []uint64{binary.BigEndian.Uint64(a[0:]), binary.BigEndian.Uint64(a[8:]), uint64(binary.BigEndian.Uint32(a[16:]))}
}

func textParams(s string) []uint64 {
	var w [32]byte
	copy(w[:], s)
	out := []uint64{uint64(len(s))}
	for i := 0; i < 4; i++ {
		out = append(out, binary.LittleEndian.Uint64(w[8*i:]))
	}
	return out
}

func digestParams(d [32]byte) []uint64 {
	var out []uint64
	for i := 0; i < 4; i++ {
		out = append(out, binary.BigEndian.Uint64(d[8*i:]))
	}
	return out
}

// transferInput is the token's transfer arguments as Borsh: the recipient
// ([u8; 20]) and the amount (u64 little-endian).
func transferInput(to types.Address, amount uint64) []byte {
	return binary.LittleEndian.AppendUint64(append([]byte{}, to[:]...), amount)
}

func u64le(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func neg(v int64) uint64 { return uint64(-v) }
