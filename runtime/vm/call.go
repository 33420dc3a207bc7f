package vm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"

	"github.com/tetratelabs/wazero/api"

	"github.com/oramanetwork/orama-chain/runtime/vm/meter"
)

type stateKey struct{}

// callState is the running call, reached by host functions through the
// context.
type callState struct {
	imports any
	limit   uint64

	mod   api.Module
	gas   api.MutableGlobal // gas left, or meter.OutOfGas
	depth api.MutableGlobal // stack units in use, or meter.StackOverflow

	left       uint64 // gas left when the call ended (the limit until it starts)
	outOfGas   bool
	guestTrap  bool  // a trap raised by a guest instruction: it uses all the gas
	abort      error // the error a host helper ended the call with
	allocating bool  // inside orama_alloc on behalf of Return
	// alloc is the instance's orama_alloc, looked up once (allocFound):
	// wazero builds a new call engine (and stack) on every
	// ExportedFunction.
	alloc      api.Function
	allocFound bool

	wasi wasiState
}

// used is the gas the call used: all of it when it ran out.
func (st *callState) used() uint64 {
	if st.outOfGas || st.guestTrap || st.left > st.limit {
		return st.limit
	}
	return st.limit - st.left
}

// final records the gas left when the call ends, before its instance closes.
func (st *callState) final() {
	if g := st.gas.Get(); g == meter.OutOfGas {
		st.outOfGas = true
	} else {
		st.left = g
	}
}

// classify turns the error of a failed guest call into the VM's: a host
// helper's abort, out of gas and stack overflow (recognised by the sentinels
// the instrumentation stores), or a trap.
func (st *callState) classify(err error) error {
	if st.abort != nil {
		if errors.Is(st.abort, ErrOutOfGas) {
			st.outOfGas = true
		}
		return st.abort
	}
	if st.gas.Get() == meter.OutOfGas {
		st.outOfGas = true
		return ErrOutOfGas
	}
	if uint32(st.depth.Get()) == meter.StackOverflow {
		return ErrStackOverflow
	}
	if re := (runtime.Error)(nil); errors.As(err, &re) {
		return fmt.Errorf("%w: %v", ErrHostPanic, re)
	}
	// The metered code keeps the gas left in a local between calls, so the
	// global is stale here: a guest trap uses the whole limit (spec/vm.md).
	st.guestTrap = true
	return fmt.Errorf("%w: %s", ErrTrap, firstLine(err))
}

// abortPanic is the value host helpers panic with to end a call; wazero
// recovers it into the guest call's error and the VM reads st.abort.
type abortPanic struct{ err error }

func (a *abortPanic) Error() string { return a.err.Error() }
func (a *abortPanic) Unwrap() error { return a.err }

// fail ends the running call with err.
func (st *callState) fail(err error) {
	if st.abort == nil {
		st.abort = err
	}
	panic(&abortPanic{st.abort})
}

// errNoCall is what host helpers panic with outside a VM call (a bug in the
// caller, not in the guest).
var errNoCall = errors.New("vm: host helper called outside a VM call")

func state(ctx context.Context) *callState {
	st, _ := ctx.Value(stateKey{}).(*callState)
	if st == nil {
		panic(errNoCall)
	}
	return st
}

// Charge takes gas from the running call before the host function does its
// work. If too little is left it ends the call: the error wraps ErrOutOfGas
// and the gas left becomes 0.
func Charge(ctx context.Context, m api.Module, gas uint64) {
	st := state(ctx)
	left := st.gas.Get()
	if gas > left { // also when left is the OutOfGas sentinel: gas < 2^64-1
		st.gas.Set(meter.OutOfGas)
		st.fail(ErrOutOfGas)
	}
	st.gas.Set(left - gas)
}

// Read returns a copy of guest memory [ptr, ptr+n): a copy, since a view goes
// stale when the guest grows its memory. n above max, or out of bounds,
// traps.
func Read(ctx context.Context, m api.Module, ptr, n, max uint32) []byte {
	st := state(ctx)
	if n > max {
		st.fail(fmt.Errorf("%w: read of %d bytes, at most %d", ErrTrap, n, max))
	}
	mem := memoryOf(m)
	if mem == nil {
		st.fail(fmt.Errorf("%w: read from a module without memory", ErrTrap))
	}
	b, ok := mem.Read(ptr, n)
	if !ok {
		st.fail(fmt.Errorf("%w: read [%d, %d+%d) out of bounds (memory %d bytes)", ErrTrap, ptr, ptr, n, mem.Size()))
	}
	return append([]byte(nil), b...)
}

// Write copies b into guest memory at ptr; out of bounds traps.
func Write(ctx context.Context, m api.Module, ptr uint32, b []byte) {
	st := state(ctx)
	mem := memoryOf(m)
	if mem == nil {
		st.fail(fmt.Errorf("%w: write to a module without memory", ErrTrap))
	}
	if !mem.Write(ptr, b) {
		st.fail(fmt.Errorf("%w: write [%d, %d+%d) out of bounds (memory %d bytes)", ErrTrap, ptr, ptr, len(b), mem.Size()))
	}
}

// Alloc is m's AllocExport, or nil if it exports none or one of another
// type than (i32) -> i32 (Return would miss its result or misread it). The
// function of the instance a call runs is looked up once per call: wazero
// builds a new call engine, with its own stack, for every lookup.
func Alloc(ctx context.Context, m api.Module) api.Function {
	st := state(ctx)
	if m != st.mod {
		return allocOf(m)
	}
	if !st.allocFound {
		st.alloc, st.allocFound = allocOf(m), true
	}
	return st.alloc
}

func allocOf(m api.Module) api.Function {
	f := m.ExportedFunction(AllocExport)
	if f == nil {
		return nil
	}
	d := f.Definition()
	i32 := []api.ValueType{api.ValueTypeI32}
	if string(d.ParamTypes()) != string(i32) || string(d.ResultTypes()) != string(i32) {
		return nil
	}
	return f
}

// Return writes b, as a u32 little-endian length followed by b, into memory
// the guest allocates through AllocExport (whose gas the call pays, as it
// runs metered guest code), and returns the pointer. A failed allocation
// traps; so does a Return from inside orama_alloc.
func Return(ctx context.Context, m api.Module, b []byte) uint32 {
	st := state(ctx)
	if st.allocating {
		st.fail(fmt.Errorf("%w: %s called a host function that returns bytes", ErrTrap, AllocExport))
	}
	if uint64(len(b)) > math.MaxUint32-4 {
		st.fail(fmt.Errorf("%w: result of %d bytes", ErrTrap, len(b)))
	}
	alloc := Alloc(ctx, m)
	if alloc == nil {
		st.fail(fmt.Errorf("%w: %w: the module exports no %s of type (i32) -> i32", ErrTrap, ErrAllocFailed, AllocExport))
	}
	st.allocating = true
	res, err := alloc.Call(ctx, uint64(4+len(b)))
	st.allocating = false
	if err != nil {
		st.fail(st.classify(err))
	}
	ptr := api.DecodeU32(res[0])
	if ptr == 0 {
		st.fail(fmt.Errorf("%w: %w: %s(%d) gave 0", ErrTrap, ErrAllocFailed, AllocExport, 4+len(b)))
	}
	// With no memory no block holds the result: alloc_failed too (vm.md).
	if mem := memoryOf(m); mem == nil || uint64(ptr)+4+uint64(len(b)) > uint64(mem.Size()) {
		st.fail(fmt.Errorf("%w: %w: %s(%d) gave a block outside memory", ErrTrap, ErrAllocFailed, AllocExport, 4+len(b)))
	}
	out := make([]byte, 4+len(b))
	binary.LittleEndian.PutUint32(out, uint32(len(b)))
	copy(out[4:], b)
	Write(ctx, m, ptr, out)
	return ptr
}

// Trap ends the call with an error wrapping ErrTrap and err.
func Trap(ctx context.Context, err error) {
	state(ctx).fail(fmt.Errorf("%w: %w", ErrTrap, err))
}

// Imports returns the host implementations the call was started with
// (CallOptions.Imports).
func Imports(ctx context.Context) any { return state(ctx).imports }

// GasLeft returns the gas left to the running call.
func GasLeft(ctx context.Context) uint64 {
	g := state(ctx).gas.Get()
	if g == meter.OutOfGas {
		return 0
	}
	return g
}
