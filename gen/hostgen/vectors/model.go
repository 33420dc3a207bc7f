package vectors

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/oramanetwork/orama-chain/gen/hostgen"
	"github.com/oramanetwork/orama-chain/gen/hostgen/wasm"
	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/host"
)

// outcome is what the ABI gives for one call, computed from spec/contracts.md
// step by step: the steps the generated bindings take, written again here
// without them, so the vectors check the bindings rather than echo them.
type outcome struct {
	trap    string
	charges []uint64
	result  *uint64 // status, u64 or bool
	payload []byte  // a result function's bytes; nil with null
	null    bool
	out     []byte // a digest
	status  string // the status code's name (status functions, database results)
	call    *host.Call
}

// errTrap stops the model at a trap.
type errTrap struct{ reason string }

func (e *errTrap) Error() string { return "trap " + e.reason }

func trap(reason string) error { return &errTrap{reason} }

// model runs one call of fn on memory mem (pages of the probe's memory with
// its data) against the call's implementations, as the ABI prescribes.
func model(s *hostgen.Spec, fn *hostgen.Function, args []uint64, mem []byte, alloc string, call *host.Call) (*outcome, error) {
	o := &outcome{call: call}
	err := o.run(s, fn, args, mem, alloc)
	var t *errTrap
	if errors.As(err, &t) {
		o.trap = t.reason
		return o, nil
	}
	return o, err
}

func (o *outcome) run(s *hostgen.Spec, fn *hostgen.Function, args []uint64, mem []byte, alloc string) error {
	ctx := context.Background()
	// 1. Lengths over their limits, before anything else.
	i := 0
	type span struct{ ptr, n uint32 }
	spans := map[string]span{}
	for _, p := range fn.Params {
		switch {
		case p.Pair():
			sp := span{uint32(args[i]), uint32(args[i+1])}
			if uint64(sp.n) > s.Limit(p.Max).N {
				return trap("too_long")
			}
			spans[p.Name] = sp
			i += 2
		case hostgen.FixedSize[p.Type] > 0:
			spans[p.Name] = span{uint32(args[i]), hostgen.FixedSize[p.Type]}
			i++
		default:
			i++
		}
	}
	// 2. The charge: base plus per input byte.
	var in uint64
	for _, sp := range spans {
		in += uint64(sp.n)
	}
	o.charges = append(o.charges, fn.Gas.Base+fn.Gas.PerInputByte*in)
	// 3. Read and decode each parameter in order.
	read := func(sp span) ([]byte, error) {
		if sp.n == 0 {
			return nil, nil
		}
		if uint64(sp.ptr)+uint64(sp.n) > uint64(len(mem)) {
			return nil, trap("out_of_bounds")
		}
		return append([]byte{}, mem[sp.ptr:sp.ptr+sp.n]...), nil
	}
	vals := map[string]any{}
	i = 0
	for _, p := range fn.Params {
		switch {
		case p.Pair():
			b, err := read(spans[p.Name])
			if err != nil {
				return err
			}
			switch {
			case p.Type == hostgen.TString && p.UTF8 && !utf8.Valid(b):
				return trap("malformed_input")
			case p.Encoding == "SQLParams":
				ps, err := abi.DecodeParams(b, hostabi.MaxSQLParams)
				if err != nil {
					return trap("malformed_input")
				}
				vals[p.Name] = ps
			case p.Encoding == "ContractEvent":
				topic, data, err := abi.DecodeEvent(b, params.MaxEventTopicBytes, params.MaxEventDataBytes)
				if err != nil {
					return trap("malformed_input")
				}
				vals["topic"], vals["data"] = topic, data
			case p.Encoding == "CID":
				if abi.CheckCID(b) != nil {
					return trap("malformed_input")
				}
				vals[p.Name] = b
			default:
				vals[p.Name] = b
			}
			i += 2
		case hostgen.FixedSize[p.Type] > 0:
			b, err := read(spans[p.Name])
			if err != nil {
				return err
			}
			vals[p.Name] = b
			i++
		case p.Type == hostgen.TAsset:
			if args[i] > 1 {
				return trap("malformed_input")
			}
			vals[p.Name] = types.Asset(args[i])
			i++
		default:
			vals[p.Name] = args[i]
			i++
		}
	}
	// 4. The implementation.
	res, err := invoke(ctx, o.call.Imports, fn.Import(), vals)
	// 5. Its outcome.
	status := func(allowed []string) (string, error) {
		if err == nil {
			return "ok", nil
		}
		for _, c := range allowed[1:] {
			if errors.Is(err, statusErr(c)) {
				return c, nil
			}
		}
		if fn.HasTrap("limit_exceeded") && errors.Is(err, hostabi.ErrLimitExceeded) {
			return "", trap("limit_exceeded")
		}
		return "", fmt.Errorf("%s: the implementation failed: %w", fn.Import(), err)
	}
	set := func(v uint64) { o.result = &v }
	switch fn.Result.Type {
	case hostgen.RStatus:
		st, err := status(fn.Codes)
		if err != nil {
			return err
		}
		o.status = st
		set(uint64(s.Code(st).Value))
		return nil
	case hostgen.RNone, hostgen.RU64, hostgen.RBool:
		if _, err := status(fn.Codes); err != nil {
			return err
		}
		switch fn.Result.Type {
		case hostgen.RU64:
			set(res.(uint64))
		case hostgen.RBool:
			if res.(bool) {
				set(1)
			} else {
				set(0)
			}
		}
		return nil
	case hostgen.RDigest:
		if _, err := status(fn.Codes); err != nil {
			return err
		}
		sum := res.(types.Hash)
		outPtr := uint32(args[len(args)-1])
		if uint64(outPtr)+32 > uint64(len(mem)) {
			return trap("out_of_bounds")
		}
		o.out = sum[:]
		return nil
	}
	// A result function.
	var payload []byte
	switch fn.Result.Encoding {
	case "ExecResult", "Rows":
		st, err := status(fn.Codes)
		if err != nil {
			return err
		}
		if fn.Result.Encoding == "ExecResult" {
			out, _ := res.(hostabi.ExecOutcome)
			// 5a. The rows the statement changed, after the work and before
			// the output charge; none when it failed.
			if st == "ok" && fn.Gas.PerRow != 0 && out.RowsChanged != 0 {
				o.charges = append(o.charges, fn.Gas.PerRow*out.RowsChanged)
			}
			payload = abi.AppendExecResult(nil, s.Code(st).Value, out.ExecResult)
		} else {
			rows, _ := res.(abi.Rows)
			if st == "ok" && len(rows.Rows) > 1 && fn.Name == "query_one" {
				rows.Rows = rows.Rows[:1]
			}
			if st == "ok" && abi.RowsSize(rows) > hostabi.MaxResultBytes {
				st = "result_too_large"
			}
			if payload, err = abi.AppendRows(nil, s.Code(st).Value, rows); err != nil {
				return err
			}
		}
		o.status = st
	default:
		if fn.Result.Absent && errors.Is(err, hostabi.ErrNotFound) {
			o.null = true
			return nil
		}
		if _, err := status(fn.Codes); err != nil {
			return err
		}
		if a, ok := res.(types.Address); ok {
			payload = a[:]
		} else {
			payload = res.([]byte)
		}
	}
	if fn.Gas.PerOutputByte != 0 {
		o.charges = append(o.charges, fn.Gas.PerOutputByte*uint64(len(payload)))
	}
	// 6. The guest's allocator: a block of 4 + len(payload) inside memory.
	switch alloc {
	case wasm.AllocNone, wasm.AllocZero, wasm.AllocOutOfBounds:
		return trap("alloc_failed")
	}
	o.payload = payload
	return nil
}

// statusErr is the implementation error that gives a status code.
func statusErr(name string) error {
	for s := hostabi.Status(0); s < 64; s++ {
		if s.String() == name {
			return s.Err()
		}
	}
	return nil
}

// invoke calls the implementation of a host function with decoded inputs:
// a dispatch written by hand from spec/hostfuncs.yaml, not taken from the
// generated bindings.
func invoke(ctx context.Context, imp *hostabi.Imports, name string, v map[string]any) (any, error) {
	addr := func(k string) types.Address {
		var a types.Address
		copy(a[:], v[k].([]byte))
		return a
	}
	str := func(k string) string { return string(v[k].([]byte)) }
	ps := func() []abi.Value { p, _ := v["params"].([]abi.Value); return p }
	switch name {
	case "orama.db.execute":
		return imp.DB.Execute(ctx, str("query"), ps())
	case "orama.db.query":
		return imp.DB.Query(ctx, str("query"), ps())
	case "orama.db.query_one":
		return imp.DB.QueryOne(ctx, str("query"), ps())
	case "orama.cache.get":
		return imp.Cache.Get(ctx, v["key"].([]byte))
	case "orama.cache.set":
		return nil, imp.Cache.Set(ctx, v["key"].([]byte), v["value"].([]byte), uint32(v["ttl_seconds"].(uint64)))
	case "orama.cache.delete":
		return nil, imp.Cache.Delete(ctx, v["key"].([]byte))
	case "orama.storage.put":
		return imp.Storage.Put(ctx, v["data"].([]byte))
	case "orama.storage.get":
		return imp.Storage.Get(ctx, v["cid"].([]byte))
	case "orama.state.get":
		return imp.State.Get(ctx, v["key"].([]byte))
	case "orama.state.set":
		return nil, imp.State.Set(ctx, v["key"].([]byte), v["value"].([]byte))
	case "orama.state.delete":
		return nil, imp.State.Delete(ctx, v["key"].([]byte))
	case "orama.transfer_orama":
		return nil, imp.Token.TransferOrama(ctx, addr("to"), v["amount"].(uint64))
	case "orama.transfer_btc":
		return nil, imp.Token.TransferBTC(ctx, addr("to"), v["amount"].(uint64))
	case "orama.get_balance":
		return imp.Token.Balance(ctx, addr("address"), v["asset"].(types.Asset))
	case "orama.ctx.caller":
		return imp.Context.Caller(ctx)
	case "orama.ctx.block_height":
		return imp.Context.BlockHeight(ctx)
	case "orama.ctx.block_timestamp":
		return imp.Context.BlockTimestamp(ctx)
	case "orama.ctx.orama_value":
		return imp.Context.OramaValue(ctx)
	case "orama.ctx.btc_value":
		return imp.Context.BTCValue(ctx)
	case "orama.ctx.input":
		return imp.Context.Input(ctx)
	case "orama.ctx.self":
		return imp.Context.Self(ctx)
	case "orama.emit":
		return nil, imp.Events.Emit(ctx, v["topic"].(string), v["data"].([]byte))
	case "orama.log.info":
		return nil, imp.Log.Info(ctx, str("msg"))
	case "orama.log.error":
		return nil, imp.Log.Error(ctx, str("msg"))
	case "orama.crypto.sha256":
		return imp.Crypto.SHA256(ctx, v["data"].([]byte))
	case "orama.crypto.keccak256":
		return imp.Crypto.Keccak256(ctx, v["data"].([]byte))
	case "orama.crypto.verify_signature":
		var sig types.Signature
		copy(sig[:], v["sig"].([]byte))
		return imp.Crypto.VerifySignature(ctx, v["msg"].([]byte), sig, addr("addr"))
	}
	return nil, fmt.Errorf("no dispatch for %s", name)
}
