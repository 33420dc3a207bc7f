package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/oramanetwork/orama-chain/runtime/index"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/store"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// Error codes: the stable list of the spec's Error schema.
const (
	CodeBadRequest             = "bad_request"
	CodeInvalidParameter       = "invalid_parameter"
	CodeUnknownParameter       = "unknown_parameter"
	CodeInvalidAccount         = "invalid_account"
	CodeUnknownUsername        = "unknown_username"
	CodeInvalidTransaction     = "invalid_transaction"
	CodeInvalidSignature       = "invalid_signature"
	CodeNonceTooLow            = "nonce_too_low"
	CodeNonceGap               = "nonce_gap"
	CodeInsufficientBalance    = "insufficient_balance"
	CodeFeeTooLow              = "fee_too_low"
	CodeAlreadyKnown           = "already_known"
	CodeUsernameTaken          = "username_taken"
	CodeUsernameAlreadySet     = "username_already_set"
	CodeReplacementUnderpriced = "replacement_underpriced"
	CodePoolFull               = "pool_full"
	CodeTooLarge               = "too_large"
	CodeNotFound               = "not_found"
	CodeStatePruned            = "state_pruned"
	CodeInvalidNamespace       = "invalid_namespace"
	CodeUnknownNamespace       = "unknown_namespace"
	CodeInvalidRequest         = "invalid_request"
	CodeNotAuthority           = "not_authority"
	CodeUnknownContract        = "unknown_contract"
	CodeSQLError               = "sql_error"
	CodeSQLDenied              = "sql_denied"
	CodeSQLReadOnly            = "sql_read_only"
	CodeQueryTimeout           = "query_timeout"
	CodeResultTooLarge         = "result_too_large"
	CodeBehind                 = "behind"
	CodeNamespaceUnavailable   = "namespace_unavailable"
	CodeMethodNotAllowed       = "method_not_allowed"
	CodeInternal               = "internal"
)

// internalMessage is the only message a 500 ever carries: the cause is
// logged, never sent.
const internalMessage = "internal error; the node logged the cause"

// maxMessage bounds an error message, which may quote client input.
const maxMessage = 512

// apiError is a failure with its HTTP status and code. Handlers return it
// as their error; the strict handler's response error hook writes it.
type apiError struct {
	Status  int
	Code    string
	Message string
	// RetryAfter, when positive, is sent as the Retry-After header (in
	// seconds): the 503s of a namespace the node cannot serve yet.
	RetryAfter int
	cause      error // logged for 5xx; never sent for a 500
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s (%d): %s: %v", e.Code, e.Status, e.Message, e.cause)
	}
	return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message)
}

func (e *apiError) Unwrap() error { return e.cause }

func newError(status int, code, format string, a ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

func errInternal(cause error) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: CodeInternal, Message: internalMessage, cause: cause}
}

func errInvalidParameter(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, CodeInvalidParameter, format, a...)
}

func errNotFound(format string, a ...any) *apiError {
	return newError(http.StatusNotFound, CodeNotFound, format, a...)
}

// errorBody is the one failure shape of the API.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError writes e as the error body. It is safe to call on a writer
// that has already sent its header (the call is then dropped).
func writeError(w http.ResponseWriter, e *apiError) {
	if rw, ok := w.(*statusWriter); ok && rw.wroteHeader {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(errorJSON(e))
}

// errorJSON is e's body, with a trailing newline as encoding/json's
// Encoder writes it.
func errorJSON(e *apiError) []byte {
	var body errorBody
	body.Error.Code = e.Code
	body.Error.Message = clip(e.Message)
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(body) // strings only: cannot fail
	return buf.Bytes()
}

// clip bounds a message and keeps it valid UTF-8.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxMessage {
		return s
	}
	s = s[:maxMessage]
	for len(s) > 0 && !isRuneStart(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return strings.ToValidUTF8(s, "") + "..."
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// admissionError maps a mempool admission error to the API. The mempool
// sentinels are tested before txrules', since some mempool errors wrap a
// txrules sentinel as well (ErrFeeCapTooLow wraps ErrFeeCapBelowBaseFee).
func admissionError(err error) *apiError {
	msg := strings.TrimPrefix(err.Error(), "mempool: ")
	for _, m := range admissionCodes {
		if errors.Is(err, m.err) {
			if deviationNonceGapCode && m.code == CodeNonceGap { // a conformance negative control only: deviation_errcode.go
				return newError(m.status, CodeNonceTooLow, "%s", msg)
			}
			return newError(m.status, m.code, "%s", msg)
		}
	}
	for _, r := range ruleErrors {
		if errors.Is(err, r) {
			return newError(http.StatusBadRequest, CodeInvalidTransaction, "%s", msg)
		}
	}
	return errInternal(err)
}

var admissionCodes = []struct {
	err    error
	status int
	code   string
}{
	{mempool.ErrMalformed, http.StatusBadRequest, CodeInvalidTransaction},
	{mempool.ErrTooLarge, http.StatusRequestEntityTooLarge, CodeTooLarge},
	{mempool.ErrInvalidSignature, http.StatusBadRequest, CodeInvalidSignature},
	{mempool.ErrFeeCapTooLow, http.StatusBadRequest, CodeFeeTooLow},
	{mempool.ErrAlreadyKnown, http.StatusConflict, CodeAlreadyKnown},
	{mempool.ErrNonceTooLow, http.StatusBadRequest, CodeNonceTooLow},
	{mempool.ErrNonceGap, http.StatusBadRequest, CodeNonceGap},
	{mempool.ErrInsufficientBalance, http.StatusBadRequest, CodeInsufficientBalance},
	{mempool.ErrReplacementUnderpriced, http.StatusConflict, CodeReplacementUnderpriced},
	{mempool.ErrPoolFull, http.StatusTooManyRequests, CodePoolFull},
	{mempool.ErrUsernameTaken, http.StatusConflict, CodeUsernameTaken},
	{mempool.ErrUsernameAlreadySet, http.StatusConflict, CodeUsernameAlreadySet},
}

// ruleErrors are the stateless rules of txrules: a transaction breaking one
// is invalid whatever the state.
var ruleErrors = []error{
	txrules.ErrInvalidPayload,
	txrules.ErrUnsupportedType,
	txrules.ErrGasLimitTooLow,
	txrules.ErrGasLimitAboveBlock,
	txrules.ErrTipAboveFeeCap,
	txrules.ErrFeeCapBelowBaseFee,
	txrules.ErrOverflow,
	txrules.ErrInvalidRecipient,
	txrules.ErrInvalidAmount,
	txrules.ErrUsernameInvalid,
	txrules.ErrInvalidNamespace,
}

// readError maps an error from reading the chain: a missing block or
// transaction is not_found, a pruned state is state_pruned, anything else
// is internal.
func readError(err error, what string) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, store.ErrNotFound), errors.Is(err, index.ErrNotFound):
		return errNotFound("%s not found", what)
	case errors.Is(err, node.ErrStatePruned), errors.Is(err, smt.ErrMissingNode):
		return newError(http.StatusGone, CodeStatePruned, "the state of %s is no longer kept by this node", what)
	}
	return errInternal(fmt.Errorf("%s: %w", what, err))
}
