package meter

import (
	"errors"
	"fmt"
)

// Errors returned by Instrument wrap exactly one of these.
var (
	// ErrMalformed: the bytes are not a well-formed WebAssembly module.
	ErrMalformed = errors.New("malformed module")
	// ErrLimit: the module is well formed but exceeds a limit of Limits.
	ErrLimit = errors.New("module exceeds a limit")
	// ErrFeature: the module uses a feature the VM refuses (SIMD, threads,
	// tail calls, exceptions, 64-bit or multiple memories, imports other
	// than functions).
	ErrFeature = errors.New("unsupported feature")
	// ErrReserved: the module exports a name reserved for the VM.
	ErrReserved = errors.New("reserved name")
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

func overLimit(what string, got, max uint64) error {
	return fmt.Errorf("%w: %s %d > %d", ErrLimit, what, got, max)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFeature, fmt.Sprintf(format, args...))
}
