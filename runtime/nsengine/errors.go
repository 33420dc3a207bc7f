package nsengine

import "errors"

// Sentinel errors. Every error of the package that a caller is expected to
// handle wraps exactly one of them (test with errors.Is).
var (
	// ErrTooLarge: a storage object over MaxObjectBytes, a cache key over
	// MaxCacheKeyBytes or a cache value over MaxCacheValueBytes. Nothing was
	// written.
	ErrTooLarge = errors.New("nsengine: too large")

	// ErrUnavailable: the engine could not be reached or did not answer in
	// time (connection refused, timeout, 503, a cluster without a leader).
	// For a write the outcome is unknown: the caller decides whether and how
	// to retry.
	ErrUnavailable = errors.New("nsengine: engine unavailable")

	// ErrCIDMismatch: Kubo returned a CID other than the one computed
	// locally for the same bytes (host_failure in spec terms).
	ErrCIDMismatch = errors.New("nsengine: CID mismatch")

	// ErrInvalidCID: a CID argument that is not a canonical CIDv1 raw
	// SHA2-256 binary CID.
	ErrInvalidCID = errors.New("nsengine: invalid CID")

	// ErrMalformed: an engine answered with bytes this package cannot decode
	// (a cache value that is not a CacheValue, a response that is not the
	// JSON rqlite writes, a block whose hash is not its CID).
	ErrMalformed = errors.New("nsengine: malformed engine data")

	// ErrConflict: a transactional rqlite request failed on a constraint
	// (PRIMARY KEY, UNIQUE, NOT NULL, CHECK): nothing of it was applied. For
	// the TxLog append this is the lost compare-and-set.
	ErrConflict = errors.New("nsengine: constraint conflict")

	// ErrSQL: rqlite refused a statement for another reason (syntax, no
	// such table, ...). Nothing of a transactional request was applied.
	ErrSQL = errors.New("nsengine: SQL error")

	// ErrUnrepresentable: a value rqlite's JSON API cannot carry exactly
	// (NaN or an infinity, text that is not UTF-8, text rqlite would read as
	// a hex blob literal, an unsupported Go type). Nothing was sent.
	ErrUnrepresentable = errors.New("nsengine: value not representable in rqlite JSON")

	// ErrClosed: the engine was closed.
	ErrClosed = errors.New("nsengine: closed")
)
