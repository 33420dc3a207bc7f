package wasm

import (
	"context"
	"encoding/hex"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

func TestLEB128(t *testing.T) {
	for _, c := range []struct {
		got  []byte
		want string
	}{
		{U32(nil, 0), "00"}, {U32(nil, 127), "7f"}, {U32(nil, 128), "8001"}, {U32(nil, 0xFFFFFFFF), "ffffffff0f"},
		{S64(nil, 0), "00"}, {S64(nil, -1), "7f"}, {S64(nil, 63), "3f"}, {S64(nil, 64), "c000"}, {S64(nil, -64), "40"},
		{S64(nil, -65), "bf7f"}, {I32Const(nil, -16), "4170"},
	} {
		if hex.EncodeToString(c.got) != c.want {
			t.Errorf("got %x, want %s", c.got, c.want)
		}
	}
}

// TestProbeRuns compiles a probe with wazero, against a host function
// written here, and checks that run reports each check as it should: the
// probe is the vectors' checker, so it must fail when the host is wrong.
func TestProbeRuns(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		give    []byte // what the host returns through orama_alloc (nil: pointer 0)
		payload []byte
		null    bool
		want    uint64
	}{
		{"match", []byte("abc"), []byte("abc"), false, CheckOK},
		{"byte differs", []byte("abd"), []byte("abc"), false, CheckBytes},
		{"length differs", []byte("ab"), []byte("abc"), false, CheckLength},
		{"pointer 0", nil, []byte("abc"), false, CheckNullResult},
		{"null expected", []byte("x"), nil, true, CheckNotNull},
		{"null matches", nil, nil, true, CheckOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := wazero.NewRuntime(ctx)
			defer r.Close(ctx)
			_, err := r.NewHostModuleBuilder("test").NewFunctionBuilder().
				WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
					if c.give == nil {
						stack[0] = 0
						return
					}
					res, err := m.ExportedFunction("orama_alloc").Call(ctx, uint64(4+len(c.give)))
					if err != nil {
						panic(err)
					}
					p := uint32(res[0])
					m.Memory().WriteUint32Le(p, uint32(len(c.give)))
					m.Memory().Write(p+4, c.give)
					stack[0] = uint64(p)
				}), []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}).
				Export("f").Instantiate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			p := Probe{Module: "test", Name: "f", Params: []byte{I32}, Result: I32, Args: []uint64{7}, Pages: 1,
				Alloc: AllocBump, AllocBase: 4096, WantPayload: c.payload, WantNull: c.null, ExpectAt: 1024}
			mod, err := r.Instantiate(ctx, p.Build().Bytes())
			if err != nil {
				t.Fatal(err)
			}
			res, err := mod.ExportedFunction("run").Call(ctx)
			if err != nil || res[0] != c.want {
				t.Fatalf("run = %v %v, want %d", res, err, c.want)
			}
		})
	}
}
