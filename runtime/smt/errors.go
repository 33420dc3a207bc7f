package smt

import (
	"errors"
	"fmt"
)

// Errors returned by Tree and the stores. Callers test them with errors.Is.
var (
	// ErrNotFound: Get found no value for the key.
	ErrNotFound = errors.New("smt: key not found")
	// ErrEmptyValue: a value must be at least one byte; delete the key instead.
	ErrEmptyValue = errors.New("smt: empty value (use Delete)")
	// ErrValueTooLarge: the value is longer than MaxValueSize.
	ErrValueTooLarge = fmt.Errorf("smt: value larger than %d bytes", MaxValueSize)
	// ErrLengthMismatch: UpdateBatch got different numbers of keys and values.
	ErrLengthMismatch = errors.New("smt: keys and values differ in length")
	// ErrNamespaceTooLong: a namespace is longer than MaxNamespaceSize.
	ErrNamespaceTooLong = fmt.Errorf("smt: namespace longer than %d bytes", MaxNamespaceSize)
	// ErrMissingNode: the store lacks a node the tree refers to, e.g. the root
	// is unknown or its version was pruned.
	ErrMissingNode = errors.New("smt: missing node")
	// ErrCorruptNode: a stored node does not decode, or is not of the kind its
	// parent records. The store has been damaged or written by something else.
	ErrCorruptNode = errors.New("smt: corrupt node")
)

// ErrInvalidProof is wrapped by every error below: errors.Is(err,
// ErrInvalidProof) tells a bad proof from an I/O or usage error.
var ErrInvalidProof = errors.New("smt: invalid proof")

// Proof rejection reasons. Each wraps ErrInvalidProof.
var (
	// ErrProofTruncated: the encoding ends before the proof does.
	ErrProofTruncated = fmt.Errorf("%w: truncated", ErrInvalidProof)
	// ErrTrailingBytes: bytes follow a complete encoding.
	ErrTrailingBytes = fmt.Errorf("%w: trailing bytes", ErrInvalidProof)
	// ErrTooManySiblings: more than Depth siblings.
	ErrTooManySiblings = fmt.Errorf("%w: more than %d siblings", ErrInvalidProof, Depth)
	// ErrSiblingCountMismatch: the number of siblings is not the bitmap's popcount.
	ErrSiblingCountMismatch = fmt.Errorf("%w: sibling count does not match bitmap", ErrInvalidProof)
	// ErrZeroSibling: a sibling marked non-empty in the bitmap is the empty hash
	// (the encoding would not be canonical).
	ErrZeroSibling = fmt.Errorf("%w: sibling marked non-empty is empty", ErrInvalidProof)
	// ErrInvalidOptionTag: the leaf option tag is neither 0 nor 1.
	ErrInvalidOptionTag = fmt.Errorf("%w: leaf option tag not 0 or 1", ErrInvalidProof)
	// ErrUnexpectedLeaf: an inclusion proof carries a leaf.
	ErrUnexpectedLeaf = fmt.Errorf("%w: inclusion proof carries a leaf", ErrInvalidProof)
	// ErrLeafIsQueriedKey: a non-existence proof's leaf is the queried key's.
	ErrLeafIsQueriedKey = fmt.Errorf("%w: non-existence leaf has the queried key's path", ErrInvalidProof)
	// ErrLeafNotOnPath: a non-existence proof's leaf does not share the
	// queried path's prefix down to the proof's depth.
	ErrLeafNotOnPath = fmt.Errorf("%w: non-existence leaf is not on the queried path", ErrInvalidProof)
	// ErrRootMismatch: the proof is well formed but does not hash to the root.
	ErrRootMismatch = fmt.Errorf("%w: does not hash to the root", ErrInvalidProof)
)
