package mempool

import "errors"

// Admission errors. Add and AddRaw return them wrapped with detail; test
// with errors.Is. A transaction rejected by a rule of runtime/txrules comes
// back wrapping that package's sentinel (txrules.ErrInvalidPayload,
// txrules.ErrUnsupportedType, txrules.ErrGasLimitTooLow,
// txrules.ErrTipAboveFeeCap) instead.
var (
	// ErrMalformed: the bytes do not decode strictly as a Transaction, or the
	// transaction cannot be encoded (nil, or an enum value out of range).
	ErrMalformed = errors.New("malformed transaction")
	// ErrTooLarge: the encoding is over MaxTxBytes.
	ErrTooLarge = errors.New("transaction too large")
	// ErrInvalidSignature: the signature is malformed or was not made by From
	// over the transaction under this chain id (a transaction signed for
	// another chain lands here).
	ErrInvalidSignature = errors.New("invalid signature")
	// ErrFeeCapTooLow: the fee cap is below params.MinBaseFee, so no block
	// can ever include the transaction. (It also wraps
	// txrules.ErrFeeCapBelowBaseFee.)
	ErrFeeCapTooLow = errors.New("fee cap below the minimum base fee")
	// ErrAlreadyKnown: a transaction with the same hash is in the pool or
	// in a committed block (Config.Included).
	ErrAlreadyKnown = errors.New("transaction already known")
	// ErrNonceTooLow: the nonce is below the sender's account nonce.
	ErrNonceTooLow = errors.New("nonce too low")
	// ErrNonceGap: the nonce is MaxTxsPerSender or more ahead of the
	// sender's account nonce.
	ErrNonceGap = errors.New("nonce too far ahead of the account nonce")
	// ErrInsufficientBalance: the sender's balance does not cover the
	// transaction's maximum cost (txrules.MaxCost in ORAMA, and for a BTC
	// transfer its amount in BTC) on top of its other pooled transactions.
	ErrInsufficientBalance = errors.New("insufficient balance")
	// ErrReplacementUnderpriced: a transaction with the same sender and nonce
	// is pooled and the new one does not raise both its tip cap and its fee
	// cap by PriceBumpPercent.
	ErrReplacementUnderpriced = errors.New("replacement transaction underpriced")
	// ErrPoolFull: the pool is at its count or byte bound and the
	// transaction does not pay more than the transactions it would have to
	// evict.
	ErrPoolFull = errors.New("transaction pool full")
	// ErrUsernameTaken: a ClaimUsername names a username that an account
	// holds or that another pooled transaction claims.
	ErrUsernameTaken = errors.New("username taken")
	// ErrUsernameAlreadySet: a ClaimUsername's sender has a username or
	// another pooled claim.
	ErrUsernameAlreadySet = errors.New("sender already has a username")
)
