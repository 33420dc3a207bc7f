package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

// The guest tests compile the probe contracts of both guest libraries
// (sdk/go/testdata/probe, sdk/as/test/probe.ts), which call every host
// function through the generated declarations, and run each export through
// the VM and the generated bindings against an Env: the contract checks
// what the host gave it, the test checks what the contract left in the Env.

func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// probes builds both probe contracts once per test binary.
func probes(t *testing.T) map[string][]byte {
	t.Helper()
	root := repoRoot(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "orama-probes")
		if buildErr != nil {
			return
		}
		goOut := filepath.Join(buildDir, "go.wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", goOut, "./sdk/go/testdata/probe")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{"go", err, out}
			return
		}
		asc := filepath.Join(root, "sdk", "as", "node_modules", ".bin", "asc")
		if _, err := os.Stat(asc); err != nil {
			buildErr = &buildError{"assemblyscript", err, []byte("run `npm ci` in sdk/as (make test does)")}
			return
		}
		cmd = exec.Command(asc, "test/probe.ts", "-o", filepath.Join(buildDir, "as.wasm"), "-O3", "--runtime", "stub", "--use", "abort=")
		cmd.Dir = filepath.Join(root, "sdk", "as")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{"assemblyscript", err, out}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	out := map[string][]byte{}
	for _, lang := range []string{"go", "as"} {
		b, err := os.ReadFile(filepath.Join(buildDir, lang+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		out[lang] = b
	}
	return out
}

type buildError struct {
	what string
	err  error
	out  []byte
}

func (e *buildError) Error() string {
	return "build " + e.what + " probe: " + e.err.Error() + "\n" + string(e.out)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func fill(b byte) types.Address {
	var a types.Address
	for i := range a {
		a[i] = b
	}
	return a
}

var probeContext = CallContext{
	Contract: fill(0x11), Caller: fill(0x55), BlockHeight: 42, BlockTimestamp: 1700000000, OramaValue: 7, BTCValue: 8,
	Input: []byte("probe input"),
}

// probeEnv is the state every probe export starts from.
func probeEnv(t *testing.T) *Env {
	t.Helper()
	env, err := NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	key, err := crypto.PrivateKeyFromBytes(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("pay 5 to bob")
	sig, err := crypto.Sign(key, sha256.Sum256(msg))
	if err != nil {
		t.Fatal(err)
	}
	addr := key.Address()
	env.SetCache(CacheEntry{Key: []byte("preset"), Value: []byte("from the test")})
	env.SetCache(CacheEntry{Key: []byte("expired"), Value: []byte("old"), Expires: 1700000000})
	env.SetCache(CacheEntry{Key: []byte("msg"), Value: msg})
	env.SetCache(CacheEntry{Key: []byte("sig"), Value: sig[:]})
	env.SetCache(CacheEntry{Key: []byte("addr"), Value: addr[:]})
	env.SetState(StateEntry{Contract: fill(0x11), Key: []byte("preset"), Value: []byte("mine")})
	env.SetState(StateEntry{Contract: fill(0x33), Key: []byte("other"), Value: []byte("another contract's")})
	env.SetBalance(Balance{Address: fill(0x11), Orama: 1000, BTC: 50})
	return env
}

func newVM(t testing.TB) *vm.VM {
	t.Helper()
	v, err := vm.New(context.Background(), vm.Config{HostModules: hostabi.Instantiate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close(context.Background()) })
	return v
}

// runExport calls one export of code in a new call on env; it returns the
// call (committed or rolled back by the VM) and the call's error.
func runExport(t *testing.T, v *vm.VM, code []byte, env *Env, export string) (*Call, uint64, error) {
	t.Helper()
	ctx := context.Background()
	c, err := v.Deploy(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	call, err := env.Begin(probeContext)
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Call(ctx, c, export, vm.CallOptions{Gas: 50_000_000, Imports: call.Imports, Tx: call})
	if err != nil {
		return call, 0, err
	}
	if len(res.Values) != 1 {
		t.Fatalf("%s returned %d values", export, len(res.Values))
	}
	return call, res.Values[0], nil
}

func TestGuestLibraries(t *testing.T) {
	mods := probes(t)
	v := newVM(t)
	for _, lang := range []string{"go", "as"} {
		t.Run(lang, func(t *testing.T) {
			for _, export := range []string{"db", "cache", "storage", "state", "token", "context", "events", "crypto"} {
				t.Run(export, func(t *testing.T) {
					env := probeEnv(t)
					call, got, err := runExport(t, v, mods[lang], env, export)
					if err != nil {
						t.Fatalf("%s: %v", export, err)
					}
					if got != 0 {
						t.Fatalf("%s: check %d failed in the contract", export, got)
					}
					checkAfter(t, env, call, export, lang)
				})
			}
			t.Run("too_long", func(t *testing.T) {
				env := probeEnv(t)
				before := env.CacheEntries()
				_, _, err := runExport(t, v, mods[lang], env, "too_long")
				if reason := hostabi.TrapReason(err); reason != "too_long" {
					t.Fatalf("trap %q (%v), want too_long", reason, err)
				}
				if got := env.CacheEntries(); len(got) != len(before) {
					t.Fatalf("a trapped call changed the cache")
				}
			})
			t.Run("state_too_long", func(t *testing.T) {
				env := probeEnv(t)
				before := stateList(env)
				_, _, err := runExport(t, v, mods[lang], env, "state_too_long")
				if reason := hostabi.TrapReason(err); reason != "too_long" {
					t.Fatalf("trap %q (%v), want too_long", reason, err)
				}
				if got := stateList(env); got != before {
					t.Fatalf("a trapped call changed the state: %s, was %s", got, before)
				}
			})
		})
	}
}

// checkAfter checks what an export left in the Env (it committed).
func checkAfter(t *testing.T, env *Env, call *Call, export, lang string) {
	t.Helper()
	switch export {
	case "db":
		rows, err := env.DB().QueryHost("SELECT id, name, score FROM t ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		want := abi.Rows{Columns: []string{"id", "name", "score"}, Rows: [][]abi.Value{
			{abi.Integer(1), abi.Text("ann"), abi.Real(3.5)},
			{abi.Integer(2), abi.Text("bob"), abi.Real(-2)},
		}}
		if !rows.Equal(want) {
			t.Fatalf("table after the call: %+v", rows)
		}
	case "cache":
		var keys []string
		for _, e := range env.CacheEntries() {
			keys = append(keys, string(e.Key))
			if string(e.Key) == "ttl" && e.Expires != 1700000060 {
				t.Fatalf("ttl entry expires at %d, want 1700000060", e.Expires)
			}
		}
		if want := "[addr expired msg preset sig ttl]"; fmtList(keys) != want {
			t.Fatalf("cache keys %v, want %s", keys, want)
		}
	case "state":
		want := "[11/empty= 11/preset=mine 11/written=by the probe 33/other=another contract's]"
		if got := stateList(env); got != want {
			t.Fatalf("state %s, want %s", got, want)
		}
	case "storage":
		if got := env.Objects(); len(got) != 1 || !bytes.Equal(got[0], abi.RawCID([]byte("hello"))) {
			t.Fatalf("objects %x", got)
		}
	case "token":
		bal := map[types.Address]Balance{}
		for _, b := range env.Balances() {
			bal[b.Address] = b
		}
		if bal[fill(0x11)] != (Balance{Address: fill(0x11), Orama: 600, BTC: 0}) ||
			bal[fill(0x33)] != (Balance{Address: fill(0x33), Orama: 400, BTC: 50}) {
			t.Fatalf("balances %+v", env.Balances())
		}
	case "events":
		if len(call.Events) != 2 || call.Events[0].Topic != "transfer" || !bytes.Equal(call.Events[0].Data, []byte{1, 2}) ||
			call.Events[0].Emitter != fill(0x11) || call.Events[1].Topic != "second" || len(call.Events[1].Data) != 0 {
			t.Fatalf("events %+v", call.Events)
		}
		wantInfo := "hello from Go"
		if lang == "as" {
			wantInfo = "hello from AssemblyScript"
		}
		if len(call.Logs) != 2 || call.Logs[0] != (LogLine{"info", wantInfo}) || call.Logs[1] != (LogLine{"error", "an error line"}) {
			t.Fatalf("logs %+v", call.Logs)
		}
	}
}

// stateList shows every contract state entry as owner/key=value, the owner
// by its first byte.
func stateList(env *Env) string {
	var out []string
	for _, e := range env.StateEntries() {
		out = append(out, fmt.Sprintf("%x/%s=%s", e.Contract[:1], e.Key, e.Value))
	}
	return fmtList(out)
}

func fmtList(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}

// TestProbesCallEveryFunction: each probe imports every host function of
// the spec (a function it declares but never calls is dropped by the
// compiler), so the guest tests exercise all of them from both languages.
func TestProbesCallEveryFunction(t *testing.T) {
	mods := probes(t)
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	for lang, bin := range mods {
		cm, err := r.CompileModule(ctx, bin)
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		imported := map[string]bool{}
		for _, f := range cm.ImportedFunctions() {
			mod, name, _ := f.Import()
			imported[mod+"."+name] = true
		}
		for _, fn := range hostabi.Functions {
			if !imported[fn.Module+"."+fn.Name] {
				t.Errorf("the %s probe does not call %s.%s", lang, fn.Module, fn.Name)
			}
		}
	}
}
