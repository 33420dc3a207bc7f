package vm

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// fakeTx records the effects the "test" host module reports, as the host
// implementations' per-call transaction would.
type fakeTx struct {
	pending   []uint32
	committed []uint32
	rollbacks int
}

func (t *fakeTx) Commit() error {
	t.committed = append(t.committed, t.pending...)
	t.pending = nil
	return nil
}
func (t *fakeTx) Rollback() { t.pending = nil; t.rollbacks++ }

// testHost defines the "test" host module the testdata modules import:
// small host functions built on Charge, Read, Write and Return.
func testHost(ctx context.Context, r wazero.Runtime) error {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	b := r.NewHostModuleBuilder("test")
	fn := func(name string, f api.GoModuleFunc, params, results []api.ValueType) {
		b.NewFunctionBuilder().WithGoModuleFunction(f, params, results).Export(name)
	}
	fn("effect", func(ctx context.Context, m api.Module, s []uint64) {
		Charge(ctx, m, 10)
		tx := Imports(ctx).(*fakeTx)
		tx.pending = append(tx.pending, api.DecodeU32(s[0]))
	}, []api.ValueType{i32}, nil)
	fn("echo", func(ctx context.Context, m api.Module, s []uint64) {
		Charge(ctx, m, 5)
		data := Read(ctx, m, api.DecodeU32(s[0]), api.DecodeU32(s[1]), 1<<16)
		s[0] = api.EncodeU32(Return(ctx, m, data))
	}, []api.ValueType{i32, i32}, []api.ValueType{i32})
	fn("charge", func(ctx context.Context, m api.Module, s []uint64) {
		Charge(ctx, m, s[0])
	}, []api.ValueType{i64}, nil)
	fn("read", func(ctx context.Context, m api.Module, s []uint64) {
		s[0] = api.EncodeU32(uint32(len(Read(ctx, m, api.DecodeU32(s[0]), api.DecodeU32(s[1]), 1<<20))))
	}, []api.ValueType{i32, i32}, []api.ValueType{i32})
	fn("write", func(ctx context.Context, m api.Module, s []uint64) {
		Write(ctx, m, api.DecodeU32(s[0]), make([]byte, api.DecodeU32(s[1])))
	}, []api.ValueType{i32, i32}, nil)
	fn("nop", func(ctx context.Context, m api.Module, s []uint64) {
		Charge(ctx, m, 1)
	}, []api.ValueType{i32}, nil)
	fn("give", func(ctx context.Context, m api.Module, s []uint64) {
		Charge(ctx, m, 5)
		s[0] = api.EncodeU32(Return(ctx, m, []byte("given")))
	}, nil, []api.ValueType{i32})
	fn("unit", func(ctx context.Context, m api.Module, s []uint64) {
		Charge(ctx, m, 1)
	}, nil, nil)
	_, err := b.Instantiate(ctx)
	return err
}

var engines = []struct {
	name string
	e    Engine
}{{"compiler", EngineCompiler}, {"interpreter", EngineInterpreter}}

func newVM(t testing.TB, e Engine) *VM {
	t.Helper()
	v, err := New(context.Background(), Config{Engine: e, CacheDir: t.TempDir(), HostModules: testHost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close(context.Background()) })
	return v
}

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func deploy(t testing.TB, v *VM, name string) *Contract {
	t.Helper()
	c, err := v.Deploy(context.Background(), testdata(t, name))
	if err != nil {
		t.Fatalf("deploy %s: %v", name, err)
	}
	return c
}

// run calls fn with a fresh fakeTx.
func run(v *VM, c *Contract, fn string, gas uint64, params ...uint64) (*Result, *fakeTx, error) {
	tx := &fakeTx{}
	res, err := v.Call(context.Background(), c, fn, CallOptions{Gas: gas, Params: params, Imports: tx, Tx: tx})
	return res, tx, err
}
