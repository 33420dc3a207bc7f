// Package vectors generates the ABI conformance vectors
// (conformance/vectors-abi, format in its README.md) from the cases in
// spec/cases/abi: for each case, a guest module that calls one host
// function and checks what it got, the state before, and the outcome: a
// trap reason or the result, the gas the host function charges and the
// state after.
//
// The outcome is computed by a model of the ABI (model.go) written from
// spec/contracts.md, independently of the generated bindings, over the
// reference implementations (runtime/host); each case states the kind of
// outcome it must have, and the generator refuses a case that disagrees.
// Output is deterministic: a second run is byte-identical.
package vectors

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/oramanetwork/orama-chain/gen/hostgen"
	"github.com/oramanetwork/orama-chain/gen/hostgen/wasm"
	"github.com/oramanetwork/orama-chain/gen/outdir"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/host"
)

// FormatVersion changes when the vector layout changes incompatibly.
const FormatVersion = 1

// Kind is the kind of every file here.
const Kind = "abi"

// Generator names the command in the manifest.
const Generator = "gen/cmd/oramaabi -spec spec -cases spec/cases/abi -out conformance/vectors-abi"

// Memory layout of the probes: inputs from InputBase, then the expected
// bytes, then the bump allocator's blocks.
const (
	InputBase = 1024
	pageSize  = 65536
)

// Default call context of a case.
var defaultContext = contextSpec{
	Contract:       "0x" + strings.Repeat("11", 20),
	Caller:         "0x" + strings.Repeat("22", 20),
	BlockHeight:    100,
	BlockTimestamp: 1700000000,
}

// File is one generated file.
type File = outdir.File

// Case is one vector (JSON).
type Case struct {
	Name     string    `json:"name"`
	Doc      string    `json:"doc"`
	Function string    `json:"function"`
	Context  ContextJS `json:"context"`
	Before   StateJS   `json:"before"`
	Memory   MemoryJS  `json:"memory"`
	Alloc    string    `json:"alloc"`
	Args     []string  `json:"args"`
	Expect   ExpectJS  `json:"expect"`
	Wasm     string    `json:"wasm"`
}

// ContextJS is the call's context.
type ContextJS struct {
	Contract       string `json:"contract"`
	Caller         string `json:"caller"`
	BlockHeight    string `json:"block_height"`
	BlockTimestamp string `json:"block_timestamp"`
	OramaValue     string `json:"orama_value"`
	BTCValue       string `json:"btc_value"`
	Input          string `json:"input"`
}

// StateJS is a namespace's state as the vectors show it.
type StateJS struct {
	SQL      []string    `json:"sql,omitempty"`
	Cache    []CacheJS   `json:"cache"`
	Storage  []string    `json:"storage"`
	State    []StateJS1  `json:"state"`
	Balances []BalanceJS `json:"balances"`
}

// StateJS1 is a contract state entry.
type StateJS1 struct {
	Contract string `json:"contract"`
	Key      string `json:"key"`
	Value    string `json:"value"`
}

// CacheJS is a cache entry.
type CacheJS struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Expires string `json:"expires"`
}

// BalanceJS is an account's balances.
type BalanceJS struct {
	Address string `json:"address"`
	Orama   string `json:"orama"`
	BTC     string `json:"btc"`
}

// MemoryJS is the probe's memory: its size and the inputs in it.
type MemoryJS struct {
	Pages uint32   `json:"pages"`
	Data  []DataJS `json:"data"`
}

// DataJS is bytes at an offset.
type DataJS struct {
	Offset uint32 `json:"offset"`
	Bytes  string `json:"bytes"`
}

// ExpectJS is the outcome.
type ExpectJS struct {
	Trap    *string  `json:"trap"`
	Status  *string  `json:"status"`
	Result  *string  `json:"result"`
	Payload *string  `json:"payload"`
	Out     *string  `json:"out"`
	Gas     string   `json:"gas"`
	Charges []string `json:"charges"`
	After   AfterJS  `json:"after"`
}

// AfterJS is the state after the call, with what it emitted and logged.
type AfterJS struct {
	StateJS
	Events []EventJS `json:"events"`
	Logs   []LogJS   `json:"logs"`
	Checks []CheckJS `json:"sql_checks"`
}

// EventJS is an emitted event.
type EventJS struct {
	Emitter string `json:"emitter"`
	Topic   string `json:"topic"`
	Data    string `json:"data"`
}

// LogJS is a logged line.
type LogJS struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
}

// CheckJS is a query run by the host after the call, and its Rows encoding.
type CheckJS struct {
	Query string `json:"query"`
	Rows  string `json:"rows"`
}

type vectorFile struct {
	Kind   string `json:"kind"`
	Source string `json:"source"`
	Cases  []Case `json:"cases"`
}

func str(s string) *string { return &s }

// Build reads the spec and every case file and returns the vector files and
// the manifest, in order.
func Build(specDir, casesDir string) ([]File, error) {
	s, err := hostgen.Load(specDir)
	if err != nil {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(casesDir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("vectors: no *.yaml cases in %s", casesDir)
	}
	sort.Strings(paths)
	var files []File
	names := map[string]bool{}
	covered := map[string]bool{}
	for _, p := range paths {
		var cf caseFile
		if err := outdir.DecodeYAML(p, &cf); err != nil {
			return nil, err
		}
		base := strings.TrimSuffix(filepath.Base(p), ".yaml")
		vf := vectorFile{Kind: Kind, Source: "spec/cases/abi/" + filepath.Base(p)}
		for _, cs := range cf.Cases {
			if names[cs.Name] {
				return nil, fmt.Errorf("%s: case %q is defined twice", p, cs.Name)
			}
			names[cs.Name] = true
			c, err := build(s, cs)
			if err != nil {
				return nil, fmt.Errorf("%s: case %s: %w", p, cs.Name, err)
			}
			covered[cs.Call] = true
			vf.Cases = append(vf.Cases, *c)
		}
		out, err := json.MarshalIndent(vf, "", "  ")
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: base + ".json", Data: append(out, '\n'), Cases: len(vf.Cases)})
	}
	for _, fn := range s.Functions() {
		if !covered[fn.Import()] {
			return nil, fmt.Errorf("vectors: no case calls %s", fn.Import())
		}
	}
	return outdir.WithManifest(files, FormatVersion, Generator)
}

// Generate writes the vectors into out, replacing every file but README.md.
func Generate(specDir, casesDir, out string) error {
	files, err := Build(specDir, casesDir)
	if err != nil {
		return err
	}
	return outdir.Write(out, files)
}

func function(s *hostgen.Spec, name string) *hostgen.Function {
	for _, f := range s.Functions() {
		if f.Import() == name {
			return f
		}
	}
	return nil
}

// build turns one case into a vector: it lays out the inputs, runs the model
// twice (first to size the memory for the result, then on the final
// memory), checks the outcome's kind against the case, and writes the probe.
func build(s *hostgen.Spec, cs caseSpec) (*Case, error) {
	fn := function(s, cs.Call)
	if fn == nil {
		return nil, fmt.Errorf("no host function %q", cs.Call)
	}
	if cs.Doc == "" {
		return nil, fmt.Errorf("a case needs a doc")
	}
	alloc := cs.Alloc
	if alloc == "" {
		alloc = wasm.AllocBump
	}
	cc := defaultContext
	if cs.Context != nil {
		cc = *cs.Context
		if cc.Contract == "" {
			cc.Contract = defaultContext.Contract
		}
		if cc.Caller == "" {
			cc.Caller = defaultContext.Caller
		}
	}
	// Inputs, in parameter order, from InputBase, 8-byte aligned.
	var data []wasm.Data
	inputs := map[string][]byte{}
	at := uint32(InputBase)
	for _, p := range fn.Params {
		in, ok := cs.Inputs[p.Name]
		if !ok {
			return nil, fmt.Errorf("no input %s", p.Name)
		}
		if p.Type == hostgen.TU32 || p.Type == hostgen.TU64 || p.Type == hostgen.TAsset {
			continue
		}
		b, err := in.bytes()
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", p.Name, err)
		}
		inputs[p.Name] = b
		if len(b) > 0 {
			data = append(data, wasm.Data{Offset: at, Bytes: b})
		}
		at += (uint32(len(b)) + 7) &^ 7
	}
	for k := range cs.Inputs {
		found := false
		for _, p := range fn.Params {
			found = found || p.Name == k
		}
		if !found {
			return nil, fmt.Errorf("%s has no parameter %s", fn.Import(), k)
		}
	}
	expectAt := at
	var last *outcome
	var pages uint32
	var args []uint64
	for pass := 0; pass < 2; pass++ {
		if pass == 0 {
			pages = 1024 // as large as contracts may have: only the result's size matters here
		} else {
			need := uint64(expectAt) + uint64(len(last.payload)+len(last.out)) + 8
			need += 4 + uint64(len(last.payload)) + 128 // the allocator's block, a digest's out pointer
			pages = uint32((need + pageSize - 1) / pageSize)
			if pages < 1 {
				pages = 1
			}
		}
		memSize := uint64(pages) * pageSize
		var err error
		if args, err = layoutArgs(fn, cs, inputs, memSize, expectAt); err != nil {
			return nil, err
		}
		mem := make([]byte, memSize)
		for _, d := range data {
			if uint64(d.Offset)+uint64(len(d.Bytes)) <= memSize {
				copy(mem[d.Offset:], d.Bytes)
			}
		}
		env, err := setup(cs, cc)
		if err != nil {
			return nil, err
		}
		hcc, err := callContext(cc)
		if err != nil {
			env.Close()
			return nil, err
		}
		call, err := env.Begin(hcc)
		if err != nil {
			env.Close()
			return nil, err
		}
		o, err := model(s, fn, args, mem, alloc, call)
		if err != nil {
			call.Rollback()
			env.Close()
			return nil, err
		}
		if pass == 1 {
			c, err := vector(s, fn, cs, cc, o, env, args, data, pages, alloc, expectAt)
			env.Close()
			return c, err
		}
		call.Rollback()
		env.Close()
		last = o
	}
	panic("unreachable")
}

// layoutArgs gives the wasm arguments: pointers and lengths of the laid-out
// inputs, scalars, and the case's raw overrides.
func layoutArgs(fn *hostgen.Function, cs caseSpec, inputs map[string][]byte, memSize uint64, expectAt uint32) ([]uint64, error) {
	ptrOf := func(name string) uint64 {
		at := uint64(InputBase)
		for _, p := range fn.Params {
			if p.Name == name {
				return at
			}
			if b, ok := inputs[p.Name]; ok {
				at += uint64((len(b) + 7) &^ 7)
			}
		}
		return at
	}
	var args []uint64
	names := []string{}
	for _, p := range fn.Params {
		switch {
		case p.Pair():
			args = append(args, ptrOf(p.Name), uint64(len(inputs[p.Name])))
			names = append(names, p.Name+"_ptr", p.Name+"_len")
		case hostgen.FixedSize[p.Type] > 0:
			if n := len(inputs[p.Name]); n != int(hostgen.FixedSize[p.Type]) && cs.Args[p.Name+"_ptr"] == nil {
				return nil, fmt.Errorf("input %s is %d bytes, want %d", p.Name, n, hostgen.FixedSize[p.Type])
			}
			args = append(args, ptrOf(p.Name))
			names = append(names, p.Name+"_ptr")
		default:
			in := cs.Inputs[p.Name]
			var v uint64
			switch {
			case in.U32 != nil:
				v = uint64(*in.U32)
			case in.U64 != nil:
				v = *in.U64
			default:
				return nil, fmt.Errorf("input %s must be u32 or u64", p.Name)
			}
			args = append(args, v)
			names = append(names, p.Name)
		}
	}
	if fn.Result.Type == hostgen.RDigest {
		args = append(args, 0) // set by the caller of vector: after the expected bytes
		names = append(names, "out_ptr")
	}
	for k, v := range cs.Args {
		i := -1
		for j, n := range names {
			if n == k {
				i = j
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("no wasm parameter %s", k)
		}
		a, err := arg(v, memSize)
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	if fn.Result.Type == hostgen.RDigest && cs.Args["out_ptr"] == nil {
		args[len(args)-1] = uint64(expectAt) + 64 // after the expected digest
	}
	return args, nil
}

func callContext(cc contextSpec) (host.CallContext, error) {
	contract, _ := address(cc.Contract)
	caller, _ := address(cc.Caller)
	var in []byte
	if cc.Input != nil {
		var err error
		if in, err = cc.Input.bytes(); err != nil {
			return host.CallContext{}, fmt.Errorf("context input: %w", err)
		}
	}
	return host.CallContext{Contract: contract, Caller: caller, BlockHeight: cc.BlockHeight,
		BlockTimestamp: cc.BlockTimestamp, OramaValue: cc.OramaValue, BTCValue: cc.BTCValue, Input: in}, nil
}

// setup builds the state before the call.
func setup(cs caseSpec, cc contextSpec) (*host.Env, error) {
	if _, err := address(cc.Contract); err != nil {
		return nil, err
	}
	if _, err := address(cc.Caller); err != nil {
		return nil, err
	}
	env, err := host.NewEnv()
	if err != nil {
		return nil, err
	}
	for _, q := range cs.Setup.SQL {
		if err := env.DB().Exec(q); err != nil {
			env.Close()
			return nil, fmt.Errorf("setup %q: %w", q, err)
		}
	}
	for _, c := range cs.Setup.Cache {
		k, err := c.Key.bytes()
		if err != nil {
			return nil, err
		}
		v, err := c.Value.bytes()
		if err != nil {
			return nil, err
		}
		env.SetCache(host.CacheEntry{Key: k, Value: v, Expires: c.Expires})
	}
	for _, in := range cs.Setup.Storage {
		b, err := in.bytes()
		if err != nil {
			return nil, err
		}
		env.Store(b)
	}
	for _, e := range cs.Setup.State {
		owner := e.Contract
		if owner == "" {
			owner = cc.Contract
		}
		a, err := address(owner)
		if err != nil {
			return nil, err
		}
		k, err := e.Key.bytes()
		if err != nil {
			return nil, err
		}
		v, err := e.Value.bytes()
		if err != nil {
			return nil, err
		}
		env.SetState(host.StateEntry{Contract: a, Key: k, Value: v})
	}
	for _, b := range cs.Setup.Balances {
		a, err := address(b.Address)
		if err != nil {
			return nil, err
		}
		env.SetBalance(host.Balance{Address: a, Orama: b.Orama, BTC: b.BTC})
	}
	return env, nil
}

// state shows an Env's state.
func state(env *host.Env) StateJS {
	st := StateJS{Cache: []CacheJS{}, Storage: []string{}, State: []StateJS1{}, Balances: []BalanceJS{}}
	for _, e := range env.CacheEntries() {
		st.Cache = append(st.Cache, CacheJS{Key: outdir.Hex(e.Key), Value: outdir.Hex(e.Value), Expires: strconv.FormatUint(e.Expires, 10)})
	}
	for _, c := range env.Objects() {
		d, _ := env.Object(c)
		st.Storage = append(st.Storage, outdir.Hex(d))
	}
	for _, e := range env.StateEntries() {
		st.State = append(st.State, StateJS1{Contract: outdir.Hex(e.Contract[:]), Key: outdir.Hex(e.Key), Value: outdir.Hex(e.Value)})
	}
	for _, b := range env.Balances() {
		st.Balances = append(st.Balances, BalanceJS{Address: outdir.Hex(b.Address[:]), Orama: strconv.FormatUint(b.Orama, 10), BTC: strconv.FormatUint(b.BTC, 10)})
	}
	return st
}

// vector checks the outcome against the case and writes the vector.
func vector(s *hostgen.Spec, fn *hostgen.Function, cs caseSpec, cc contextSpec, o *outcome, env *host.Env,
	args []uint64, data []wasm.Data, pages uint32, alloc string, expectAt uint32) (*Case, error) {
	// The case's claim about its outcome.
	e := cs.Expect
	switch {
	case e.Trap != "":
		if o.trap != e.Trap {
			return nil, fmt.Errorf("expected trap %s, the model gives %q (status %q)", e.Trap, o.trap, o.status)
		}
	case o.trap != "":
		return nil, fmt.Errorf("the model traps with %s, the case expects none", o.trap)
	case e.Status != "":
		if o.status != e.Status {
			return nil, fmt.Errorf("expected status %s, the model gives %q", e.Status, o.status)
		}
	case e.Result != "":
		if (e.Result == "absent") != o.null || (e.Result != "absent" && e.Result != "present") {
			return nil, fmt.Errorf("expected result %s, the model gives null=%v", e.Result, o.null)
		}
	case e.Value != nil:
		if o.result == nil || *o.result != *e.Value {
			return nil, fmt.Errorf("expected value %d, the model gives %v", *e.Value, o.result)
		}
	}
	hcc, err := callContext(cc)
	if err != nil {
		return nil, err
	}
	before, err := setup(cs, cc)
	if err != nil {
		return nil, err
	}
	defer before.Close()
	c := &Case{
		Name:     cs.Name,
		Doc:      strings.TrimSpace(cs.Doc),
		Function: fn.Import(),
		Context: ContextJS{Contract: cc.Contract, Caller: cc.Caller, BlockHeight: strconv.FormatUint(cc.BlockHeight, 10),
			BlockTimestamp: strconv.FormatUint(cc.BlockTimestamp, 10), OramaValue: strconv.FormatUint(cc.OramaValue, 10),
			BTCValue: strconv.FormatUint(cc.BTCValue, 10), Input: outdir.Hex(hcc.Input)},
		Before: state(before),
		Memory: MemoryJS{Pages: pages, Data: []DataJS{}},
		Alloc:  alloc,
		Args:   []string{},
	}
	c.Before.SQL = cs.Setup.SQL
	for _, d := range data {
		c.Memory.Data = append(c.Memory.Data, DataJS{Offset: d.Offset, Bytes: outdir.Hex(d.Bytes)})
	}
	for _, a := range args {
		c.Args = append(c.Args, strconv.FormatUint(a, 10))
	}
	var gas uint64
	for _, g := range o.charges {
		gas += g
		c.Expect.Charges = append(c.Expect.Charges, strconv.FormatUint(g, 10))
	}
	if c.Expect.Charges == nil {
		c.Expect.Charges = []string{}
	}
	c.Expect.Gas = strconv.FormatUint(gas, 10)

	// The state after: the call commits unless it trapped.
	if o.trap != "" {
		o.call.Rollback()
		c.Expect.Trap = str(o.trap)
	} else {
		if err := o.call.Commit(); err != nil {
			return nil, err
		}
		if o.status != "" {
			c.Expect.Status = str(o.status)
		}
		if o.result != nil {
			c.Expect.Result = str(strconv.FormatUint(*o.result, 10))
		}
		if fn.Result.Type == hostgen.RResult && !o.null {
			c.Expect.Payload = str(outdir.Hex(o.payload))
		}
		if o.out != nil {
			c.Expect.Out = str(outdir.Hex(o.out))
		}
	}
	c.Expect.After = AfterJS{StateJS: state(env), Events: []EventJS{}, Logs: []LogJS{}, Checks: []CheckJS{}}
	if o.trap == "" {
		for _, ev := range o.call.Events {
			c.Expect.After.Events = append(c.Expect.After.Events, EventJS{Emitter: outdir.Hex(ev.Emitter[:]), Topic: ev.Topic, Data: outdir.Hex(ev.Data)})
		}
		for _, l := range o.call.Logs {
			c.Expect.After.Logs = append(c.Expect.After.Logs, LogJS{Level: l.Level, Msg: l.Msg})
		}
	}
	for _, q := range cs.CheckSQL {
		rows, err := env.DB().QueryHost(q)
		if err != nil {
			return nil, fmt.Errorf("check %q: %w", q, err)
		}
		enc, err := abi.AppendRows(nil, 0, rows)
		if err != nil {
			return nil, err
		}
		c.Expect.After.Checks = append(c.Expect.After.Checks, CheckJS{Query: q, Rows: outdir.Hex(enc)})
	}

	// The probe: it checks the raw result, the payload and the digest.
	p := wasm.Probe{Module: fn.Module, Name: fn.Name, Args: args, Pages: pages, Data: data, Alloc: alloc, ExpectAt: expectAt}
	for _, w := range fn.WasmParams() {
		if w.I64 {
			p.Params = append(p.Params, wasm.I64)
		} else {
			p.Params = append(p.Params, wasm.I32)
		}
	}
	switch t, _ := fn.WasmResult(); t {
	case "i32":
		p.Result = wasm.I32
	case "i64":
		p.Result = wasm.I64
	}
	if o.trap == "" {
		switch {
		case o.result != nil:
			p.WantResult = o.result
		case o.null:
			p.WantNull = true
		case fn.Result.Type == hostgen.RResult:
			p.WantPayload = o.payload
		}
		if o.out != nil {
			p.OutAt, p.WantOut = uint32(args[len(args)-1]), o.out
		}
	}
	p.AllocBase = (expectAt + uint32(len(p.WantPayload)) + 128) &^ 7
	c.Wasm = outdir.Hex(p.Build().Bytes())
	return c, nil
}
