package host

import (
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/oramanetwork/orama-chain/gen/hostgen/wasm"
)

type vmRuntime = wazero.Runtime

func toTypes(ts []api.ValueType) []byte {
	out := make([]byte, len(ts))
	for i, t := range ts {
		if t == api.ValueTypeI64 {
			out[i] = wasm.I64
		} else {
			out[i] = wasm.I32
		}
	}
	return out
}
