package vm

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/oramanetwork/orama-chain/runtime/vm/meter"
)

// AllocExport is the guest's allocator, fixed by spec/contracts.md:
// (size i32) -> ptr i32; 0 = failure.
const AllocExport = "orama_alloc"

// InitializeExport is a WASI reactor's initialiser (Go wasip1 c-shared
// modules): called after the start function and before the entry.
const InitializeExport = "_initialize"

// Engine selects wazero's engine. Both give the same results, writes and gas.
type Engine int

const (
	// EngineCompiler compiles to machine code ahead of time (the default).
	EngineCompiler Engine = iota
	// EngineInterpreter interprets; for platforms without the compiler and
	// for cross-checking it.
	EngineInterpreter
)

// Features are the WebAssembly features a contract may use: 2.0 without SIMD.
// Threads, tail calls and the rest are not enabled.
const Features = api.CoreFeaturesV2 &^ api.CoreFeatureSIMD

// Config configures a VM.
type Config struct {
	Engine Engine
	// CacheDir holds wazero's compilation cache; "" keeps it in memory.
	CacheDir string
	// HostModules defines the host modules on the runtime (generated/host's
	// Instantiate). It must not define wasi_snapshot_preview1: the VM does.
	HostModules func(ctx context.Context, r wazero.Runtime) error
	// Limits overrides meter.DefaultLimits (tests only: they are protocol
	// rules).
	Limits *meter.Limits
}

// VM deploys and calls contracts. It is safe for concurrent use.
type VM struct {
	rt     wazero.Runtime
	cache  wazero.CompilationCache
	lim    meter.Limits
	modCfg wazero.ModuleConfig

	mu        sync.Mutex
	contracts map[[32]byte]*Contract
	mems      memories // linear memories of closed instances, for later calls
	closed    atomic.Bool
}

// errClosed is the error of a VM used after Close: the node's failure, not
// the contract's, so it wraps none of the package's sentinels.
var errClosed = errors.New("vm: closed")

// New starts a VM.
func New(ctx context.Context, cfg Config) (*VM, error) {
	var rc wazero.RuntimeConfig
	switch cfg.Engine {
	case EngineCompiler:
		rc = wazero.NewRuntimeConfigCompiler()
	case EngineInterpreter:
		rc = wazero.NewRuntimeConfigInterpreter()
	default:
		return nil, fmt.Errorf("vm: unknown engine %d", cfg.Engine)
	}
	lim := meter.DefaultLimits()
	if cfg.Limits != nil {
		lim = *cfg.Limits
	}
	var cache wazero.CompilationCache
	var err error
	if cfg.CacheDir != "" {
		if cache, err = wazero.NewCompilationCacheWithDir(cfg.CacheDir); err != nil {
			return nil, fmt.Errorf("vm: compilation cache: %w", err)
		}
	} else {
		cache = wazero.NewCompilationCache()
	}
	rc = rc.WithCoreFeatures(Features).
		WithMemoryLimitPages(lim.MaxMemoryPages).
		WithCompilationCache(cache).
		WithDebugInfoEnabled(false).
		WithCloseOnContextDone(false) // gas ends calls, not the context (spec/vm.md)
	v := &VM{
		rt:    wazero.NewRuntimeWithConfig(ctx, rc),
		cache: cache,
		lim:   lim,
		// wazero's own system context is unused (the VM's WASI does not
		// reach it); an explicit rand source spares seeding a fake one per
		// instance (a third of a call's fixed cost).
		modCfg:    wazero.NewModuleConfig().WithName("").WithStartFunctions().WithRandSource(zeroReader{}),
		contracts: map[[32]byte]*Contract{},
	}
	if err := instantiateWASI(ctx, v.rt); err != nil {
		v.Close(ctx)
		return nil, fmt.Errorf("vm: wasi: %w", err)
	}
	if cfg.HostModules != nil {
		if err := cfg.HostModules(ctx, v.rt); err != nil {
			v.Close(ctx)
			return nil, fmt.Errorf("vm: host modules: %w", err)
		}
	}
	return v, nil
}

// Close releases the runtime and the compiled contracts.
func (v *VM) Close(ctx context.Context) error {
	v.closed.Store(true)
	err := v.rt.Close(ctx)
	if cerr := v.cache.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// Contract is a deployed, compiled module.
type Contract struct {
	// Hash is SHA-256 of the module as deployed (before instrumentation).
	Hash     [32]byte
	compiled wazero.CompiledModule
	info     *meter.Module
	exports  map[string]api.FunctionDefinition
}

// Info describes the instrumented module.
func (c *Contract) Info() *meter.Module { return c.info }

// Deploy checks code against the limits, instruments and compiles it. The
// same code deploys once: later calls return the compiled contract.
func (v *VM) Deploy(ctx context.Context, code []byte) (*Contract, error) {
	if v.closed.Load() {
		// Not a refusal: a closed runtime has no host modules, so every
		// import would look unresolved.
		return nil, errClosed
	}
	hash := sha256.Sum256(code)
	v.mu.Lock()
	c := v.contracts[hash]
	v.mu.Unlock()
	if c != nil {
		return c, nil
	}
	info, err := meter.Instrument(code, v.lim)
	if err != nil {
		return nil, fmt.Errorf("vm: deploy: %w", err)
	}
	if err := v.checkImports(info.Imports); err != nil {
		return nil, fmt.Errorf("vm: deploy: %w", err)
	}
	if err := checkExports(info.FuncExports); err != nil {
		return nil, fmt.Errorf("vm: deploy: %w", err)
	}
	compiled, err := compile(ctx, v.rt, info.Wasm)
	if err != nil {
		if v.validates(ctx, info.Wasm) {
			// Not the module's fault: a plain error, not a refusal.
			return nil, fmt.Errorf("vm: deploy: compiling a valid module: %w", err)
		}
		return nil, fmt.Errorf("vm: deploy: %w: %s", ErrMalformed, firstLine(err))
	}
	c = &Contract{Hash: hash, compiled: compiled, info: info, exports: compiled.ExportedFunctions()}
	v.mu.Lock()
	defer v.mu.Unlock()
	if prev := v.contracts[hash]; prev != nil {
		compiled.Close(ctx)
		return prev, nil
	}
	v.contracts[hash] = c
	return c, nil
}

// compile is rt.CompileModule, with a panic of the compiler (wazero panics
// when it cannot map executable memory) returned as an error.
func compile(ctx context.Context, rt wazero.Runtime, wasm []byte) (c wazero.CompiledModule, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("compiler panicked: %v", r)
		}
	}()
	return rt.CompileModule(ctx, wasm)
}

// validates reports whether wazero accepts wasm when nothing of the node is
// involved: a fresh interpreter runtime without a compilation cache only
// decodes, validates and lowers it. wazero's CompileModule errors do not
// say whether the module is invalid or the node failed (the compilation
// cache unreadable or unwritable, the runtime closed, executable memory
// refused), so a failed compilation is tried again this way; only the
// failure path pays for it.
func (v *VM) validates(ctx context.Context, wasm []byte) bool {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().
		WithCoreFeatures(Features).WithMemoryLimitPages(v.lim.MaxMemoryPages).WithDebugInfoEnabled(false))
	defer rt.Close(ctx)
	c, err := compile(ctx, rt, wasm)
	if err != nil {
		return false
	}
	c.Close(ctx)
	return true
}

// checkExports refuses exported functions the VM cannot call: an imported
// function (the start function, _initialize and orama_alloc included) would
// run a host function with no guest module to read or charge, and an
// _initialize that is not [] -> [] would make every call trap (it is called
// without arguments and its results are dropped).
func checkExports(exports []meter.FuncExport) error {
	for _, e := range exports {
		if e.Imported {
			return fmt.Errorf("%w: export %q is an imported function", ErrImport, e.Name)
		}
		if e.Name == InitializeExport && len(e.Params)+len(e.Results) != 0 {
			return fmt.Errorf("%w: %s of type %v -> %v, not [] -> []", ErrMalformed, e.Name, e.Params, e.Results)
		}
	}
	return nil
}

// checkImports requires every import to be a function of a host module
// defined on the runtime, with the same signature.
func (v *VM) checkImports(imports []meter.Import) error {
	for _, im := range imports {
		host := v.rt.Module(im.Module)
		if host == nil {
			return fmt.Errorf("%w: %s.%s: no host module %q", ErrImport, im.Module, im.Name, im.Module)
		}
		def, ok := host.ExportedFunctionDefinitions()[im.Name]
		if !ok {
			return fmt.Errorf("%w: %s.%s: no such host function", ErrImport, im.Module, im.Name)
		}
		if string(def.ParamTypes()) != string(im.Params) || string(def.ResultTypes()) != string(im.Results) {
			return fmt.Errorf("%w: %s.%s: signature %v -> %v, host has %v -> %v", ErrImport, im.Module, im.Name,
				im.Params, im.Results, def.ParamTypes(), def.ResultTypes())
		}
	}
	return nil
}

// Tx is the per-call transaction the host implementations write through:
// the VM commits it when the call succeeds and rolls it back when it fails.
type Tx interface {
	Commit() error
	Rollback()
}

// CallOptions are the inputs of one call.
type CallOptions struct {
	Gas     uint64   // the gas limit, at most meter.MaxGas
	Params  []uint64 // the function's parameters, encoded as api.EncodeI32 etc.
	Imports any      // what Imports returns to host functions (generated *host.Imports)
	Tx      Tx       // committed on success, rolled back on failure; may be nil
	// ReturnsBytes: the function returns a result_ptr (spec/contracts.md:
	// 0 for no value, else a u32 little-endian length followed by the bytes,
	// in guest memory); the VM copies the bytes into Result.Output before the
	// instance closes.
	ReturnsBytes bool
	// MaxOutput bounds Result.Output; 0 means MaxOutputBytes.
	MaxOutput uint32
}

// MaxOutputBytes is the default bound on Result.Output.
const MaxOutputBytes = 1 << 20

// Result is the outcome of a successful call.
type Result struct {
	Values  []uint64 // the function's results
	Output  []byte   // with CallOptions.ReturnsBytes, the bytes at the result_ptr
	GasUsed uint64
}

// Call runs function fn of c in a fresh instance. A failed call returns a
// *CallError and has rolled back opts.Tx.
func (v *VM) Call(ctx context.Context, c *Contract, fn string, opts CallOptions) (*Result, error) {
	st := &callState{imports: opts.Imports, limit: opts.Gas, left: opts.Gas}
	res := &Result{}
	err := v.call(ctx, c, fn, opts, st, res)
	used := st.used()
	if err == nil && opts.Tx != nil {
		if cerr := opts.Tx.Commit(); cerr != nil {
			err = fmt.Errorf("%w: %w", ErrCommit, cerr)
		}
	}
	if err != nil {
		if opts.Tx != nil && !errors.Is(err, ErrCommit) {
			opts.Tx.Rollback()
		}
		return nil, &CallError{Function: fn, GasUsed: used, Err: err}
	}
	res.GasUsed = used
	return res, nil
}

func (v *VM) call(ctx context.Context, c *Contract, fn string, opts CallOptions, st *callState, res *Result) error {
	if opts.Gas > meter.MaxGas {
		return fmt.Errorf("%w: %d > %d", ErrGasLimit, opts.Gas, uint64(meter.MaxGas))
	}
	def, ok := c.exports[fn]
	if !ok || strings.HasPrefix(fn, meter.ReservedPrefix) || !numeric(def) {
		return fmt.Errorf("%w: %q", ErrNoFunction, fn)
	}
	if len(opts.Params) != len(def.ParamTypes()) {
		return fmt.Errorf("%w: %s takes %d parameters, got %d", ErrArgs, fn, len(def.ParamTypes()), len(opts.Params))
	}
	for i, t := range def.ParamTypes() {
		// An engine may read the upper bits of a 32-bit parameter or not:
		// a value that does not fit is refused, never truncated (vm.md).
		if (t == api.ValueTypeI32 || t == api.ValueTypeF32) && opts.Params[i] > math.MaxUint32 {
			return fmt.Errorf("%w: %s parameter %d is 32 bits, got %d", ErrArgs, fn, i, opts.Params[i])
		}
	}
	entry := meter.CallGas + c.info.InitGas
	if opts.Gas < entry {
		st.outOfGas = true
		return ErrOutOfGas
	}
	ctx = context.WithValue(ctx, stateKey{}, st)
	ctx = experimental.WithMemoryAllocator(ctx, &v.mems)
	mod, err := v.rt.InstantiateModule(ctx, c.compiled, v.modCfg)
	if err != nil {
		if v.closed.Load() { // the node's doing: a plain error
			return fmt.Errorf("%w: instantiate: %s", errClosed, firstLine(err))
		}
		// Instantiation runs no guest code (the start function is an export
		// the VM calls); what fails here is a data or element segment out of
		// bounds: a trap, deterministic like any other. (Imports are checked
		// at deploy, instances are unnamed and memory comes from v.mems,
		// which cannot fail with an error: wazero's other errors here
		// cannot occur, and it does not tell them apart.)
		st.left = opts.Gas - entry
		return fmt.Errorf("%w: instantiate: %s", ErrTrap, firstLine(err))
	}
	defer mod.Close(ctx)
	st.mod, st.alloc, st.allocFound = mod, nil, false
	gas, ok1 := mod.ExportedGlobal(meter.GasExport).(api.MutableGlobal)
	depth, ok2 := mod.ExportedGlobal(meter.DepthExport).(api.MutableGlobal)
	if !ok1 || !ok2 {
		// Only a module the meter did not instrument lacks them: a bug of
		// the VM, not an outcome of the contract.
		return fmt.Errorf("vm: the instance exports no %s or %s", meter.GasExport, meter.DepthExport)
	}
	st.gas, st.depth = gas, depth
	st.gas.Set(opts.Gas - entry)
	st.depth.Set(0)
	defer st.final() // before the instance closes
	if c.info.HasStart {
		if err := callExport(ctx, st, mod, meter.StartExport); err != nil {
			return err
		}
	}
	if _, ok := c.exports[InitializeExport]; ok && fn != InitializeExport {
		if err := callExport(ctx, st, mod, InitializeExport); err != nil {
			return err
		}
	}
	f := mod.ExportedFunction(fn)
	if f == nil {
		return fmt.Errorf("vm: the instance exports no function %q", fn)
	}
	values, err := f.Call(ctx, opts.Params...)
	if err != nil {
		return st.classify(err)
	}
	// The compiler leaves undefined upper bits above a 32-bit result (the
	// interpreter does not): keep only the value's own bits, so a result
	// is the same under every engine.
	for i, t := range def.ResultTypes() {
		if i < len(values) && (t == api.ValueTypeI32 || t == api.ValueTypeF32) {
			values[i] &= 0xFFFF_FFFF
		}
	}
	if len(values) == 0 {
		values = nil // the engines differ in nil versus empty
	}
	res.Values = values
	if opts.ReturnsBytes {
		return readOutput(mod, def, values, opts.MaxOutput, res)
	}
	return nil
}

// numeric reports whether a function's parameters and results are all
// numbers: a reference crosses the call boundary as a raw u64, so one made
// from a caller's number, or handed out as one, is a host address (deploy
// refuses such exports; this keeps any that would reach a call out).
func numeric(def api.FunctionDefinition) bool {
	for _, ts := range [][]api.ValueType{def.ParamTypes(), def.ResultTypes()} {
		for _, t := range ts {
			switch t {
			case api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeF32, api.ValueTypeF64:
			default:
				return false
			}
		}
	}
	return true
}

// callExport runs a [] -> [] export the VM calls before the entry (the
// start function, _initialize).
func callExport(ctx context.Context, st *callState, mod api.Module, name string) error {
	f := mod.ExportedFunction(name)
	if f == nil {
		return fmt.Errorf("vm: the instance exports no function %q", name)
	}
	if _, err := f.Call(ctx); err != nil {
		return st.classify(err)
	}
	return nil
}

// readOutput copies the bytes at a result_ptr out of the instance.
func readOutput(mod api.Module, def api.FunctionDefinition, values []uint64, max uint32, res *Result) error {
	if len(values) != 1 || def.ResultTypes()[0] != api.ValueTypeI32 {
		return fmt.Errorf("%w: %s does not return a result_ptr", ErrTrap, def.Name())
	}
	if max == 0 {
		max = MaxOutputBytes
	}
	ptr := api.DecodeU32(values[0])
	if ptr == 0 { // no value (spec/contracts.md)
		return nil
	}
	mem := memoryOf(mod)
	if mem == nil { // every pointer is out of bounds
		return fmt.Errorf("%w: result_ptr %d out of bounds (no memory)", ErrTrap, ptr)
	}
	n, ok := mem.ReadUint32Le(ptr)
	if !ok {
		return fmt.Errorf("%w: result_ptr %d out of bounds", ErrTrap, ptr)
	}
	if n > max {
		return fmt.Errorf("%w: result of %d bytes, at most %d", ErrTrap, n, max)
	}
	b, ok := mem.Read(ptr+4, n)
	if !ok || ptr > ptr+4 {
		return fmt.Errorf("%w: result [%d, +%d) out of bounds", ErrTrap, ptr+4, n)
	}
	res.Output = append([]byte(nil), b...)
	return nil
}

// zeroReader reads zeros. wazero needs a rand source for its (unused)
// system context.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// firstLine drops wazero's stack trace from an error message.
func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
