package vm

import (
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/runtime/vm/meter"
)

// Errors of Deploy. They are the meter's, so errors.Is works either way.
var (
	ErrMalformed = meter.ErrMalformed // not a well-formed module, or invalid
	ErrLimit     = meter.ErrLimit     // over a static limit of spec/vm.md
	ErrFeature   = meter.ErrFeature   // uses a refused feature (SIMD, threads, ...)
	ErrReserved  = meter.ErrReserved  // exports a name reserved for the VM
	// ErrImport: the module imports a function no host module provides, or
	// with another signature.
	ErrImport = errors.New("unresolved import")
)

// Errors of Call. A failed call's error is a *CallError wrapping one of them.
var (
	// ErrOutOfGas: the call needed more gas than its limit; it used all of it.
	ErrOutOfGas = errors.New("out of gas")
	// ErrStackOverflow: nested calls exceeded the stack limit.
	ErrStackOverflow = errors.New("call stack limit exceeded")
	// ErrTrap: the guest trapped (unreachable, out-of-bounds access, integer
	// division by zero, ...) or a host function ended the call (Trap, or
	// Read and Write out of bounds).
	ErrTrap = errors.New("trap")
	// ErrHostPanic: a host function panicked (a bug in the host, not an
	// outcome of the contract: callers must not record it as one).
	ErrHostPanic = errors.New("host function panicked")
	// ErrAllocFailed: orama_alloc is missing, returned 0, or returned a
	// block the result does not fit in (spec/hostfuncs.yaml alloc_failed).
	// It is wrapped with ErrTrap.
	ErrAllocFailed = errors.New("alloc failed")
	// ErrNoFunction: the contract exports no function of that name.
	ErrNoFunction = errors.New("no such exported function")
	// ErrArgs: the parameters do not match the function's signature.
	ErrArgs = errors.New("wrong arguments")
	// ErrGasLimit: the gas limit is above meter.MaxGas.
	ErrGasLimit = errors.New("gas limit too large")
	// ErrCommit: the call succeeded but its transaction failed to commit.
	ErrCommit = errors.New("commit failed")
)

// CallError is the error of a failed call: what went wrong and the gas it
// used (all of the limit when out of gas).
type CallError struct {
	Function string
	GasUsed  uint64
	Err      error
}

func (e *CallError) Error() string {
	return fmt.Sprintf("call %s: %v (gas used %d)", e.Function, e.Err, e.GasUsed)
}

func (e *CallError) Unwrap() error { return e.Err }
