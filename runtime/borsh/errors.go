package borsh

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers test for them with errors.Is; every error the
// package returns wraps exactly one of them.
var (
	ErrUnexpectedEOF     = errors.New("unexpected end of input")
	ErrTrailingBytes     = errors.New("trailing bytes after value")
	ErrInvalidBool       = errors.New("bool byte is not 0 or 1")
	ErrInvalidOptionTag  = errors.New("option tag is not 0 or 1")
	ErrUnknownVariant    = errors.New("unknown enum variant")
	ErrLengthLimit       = errors.New("length over the spec's limit")
	ErrInvalidUTF8       = errors.New("string is not valid UTF-8")
	ErrInvalidFixedValue = errors.New("value is not the one the spec fixes")
)

// kinds maps each sentinel to the stable name the conformance vectors use for
// it, so that an implementation in another language can match reasons.
var kinds = [...]struct {
	err  error
	name string
}{
	{ErrUnexpectedEOF, "unexpected_eof"},
	{ErrTrailingBytes, "trailing_bytes"},
	{ErrInvalidBool, "invalid_bool"},
	{ErrInvalidOptionTag, "invalid_option_tag"},
	{ErrUnknownVariant, "unknown_variant"},
	{ErrLengthLimit, "length_limit"},
	{ErrInvalidUTF8, "invalid_utf8"},
	{ErrInvalidFixedValue, "invalid_fixed_value"},
}

// Kind returns the conformance-vector name of the sentinel err wraps, or ""
// when err wraps none of them.
func Kind(err error) string {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return ""
}

// Error reports where encoding or decoding failed: the spec path of the field
// (for example "Transaction.data") and, when decoding, the byte offset.
type Error struct {
	Field  string
	Offset int // -1 when encoding
	Err    error
}

func (e *Error) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("borsh: encode %s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("borsh: decode %s at byte %d: %v", e.Field, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// EncodeError builds the error an encoder returns for a value the decoder
// would reject, so that nothing we write can fail to read back.
func EncodeError(field string, err error) error {
	return &Error{Field: field, Offset: -1, Err: err}
}
