package rpc

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/runtime/index"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/store"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// TestAdmissionErrors maps every mempool admission error, wrapped the way
// the pool wraps them, to its status and code.
func TestAdmissionErrors(t *testing.T) {
	wrap := func(errs ...error) error {
		f := "mempool: detail"
		args := []any{}
		for _, e := range errs {
			f += ": %w"
			args = append(args, e)
		}
		return fmt.Errorf(f, args...)
	}
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{wrap(mempool.ErrMalformed, errors.New("borsh: trailing bytes")), 400, CodeInvalidTransaction},
		{wrap(mempool.ErrTooLarge), 413, CodeTooLarge},
		{wrap(mempool.ErrInvalidSignature, errors.New("crypto: signer mismatch")), 400, CodeInvalidSignature},
		// The fee-cap error wraps a txrules sentinel too: the mempool's wins.
		{wrap(mempool.ErrFeeCapTooLow, txrules.ErrFeeCapBelowBaseFee), 400, CodeFeeTooLow},
		{wrap(mempool.ErrAlreadyKnown), 409, CodeAlreadyKnown},
		{wrap(mempool.ErrNonceTooLow), 400, CodeNonceTooLow},
		{wrap(mempool.ErrNonceGap), 400, CodeNonceGap},
		{wrap(mempool.ErrInsufficientBalance, txrules.ErrOverflow), 400, CodeInsufficientBalance},
		{wrap(mempool.ErrReplacementUnderpriced), 409, CodeReplacementUnderpriced},
		{wrap(mempool.ErrPoolFull), 429, CodePoolFull},
		{wrap(txrules.ErrInvalidPayload), 400, CodeInvalidTransaction},
		{wrap(txrules.ErrUnsupportedType), 400, CodeInvalidTransaction},
		{wrap(txrules.ErrGasLimitTooLow), 400, CodeInvalidTransaction},
		{wrap(txrules.ErrGasLimitAboveBlock), 400, CodeInvalidTransaction},
		{wrap(txrules.ErrTipAboveFeeCap), 400, CodeInvalidTransaction},
		{wrap(txrules.ErrInvalidRecipient), 400, CodeInvalidTransaction},
		{wrap(txrules.ErrInvalidAmount), 400, CodeInvalidTransaction},
		{wrap(txrules.ErrUsernameInvalid), 400, CodeInvalidTransaction},
		// A state read failure is the node's fault.
		{wrap(errors.New("badger: disk gone")), 500, CodeInternal},
	} {
		got := admissionError(tc.err)
		if got.Status != tc.status || got.Code != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.err, got.Status, got.Code, tc.status, tc.code)
		}
		if got.Status < 500 && strings.HasPrefix(got.Message, "mempool:") {
			t.Errorf("%v: message %q keeps the package prefix", tc.err, got.Message)
		}
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("store: block 9: %w", store.ErrNotFound), 404, CodeNotFound},
		{index.ErrNotFound, 404, CodeNotFound},
		{fmt.Errorf("%w: height 3", node.ErrStatePruned), 410, CodeStatePruned},
		{fmt.Errorf("state: prove: %w", smt.ErrMissingNode), 410, CodeStatePruned},
		{errInvalidParameter("x"), 400, CodeInvalidParameter},
		{errors.New("boom"), 500, CodeInternal},
	} {
		got := readError(tc.err, "thing")
		if got.Status != tc.status || got.Code != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.err, got.Status, got.Code, tc.status, tc.code)
		}
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", 600) // 2 bytes each
	c := clip(long)
	if len(c) > maxMessage+3 || !strings.HasSuffix(c, "...") || strings.ContainsRune(c, '\uFFFD') {
		t.Fatalf("clip: %d bytes %q", len(c), c[len(c)-10:])
	}
	if clip("bad \xff byte") != "bad \uFFFD byte" {
		t.Fatal("invalid UTF-8 kept")
	}
}

func TestAccessLog(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	logs := &lockedBuffer{}
	c := newServer(t, n, Config{Logger: newBufferLogger(logs)})
	c.getJSON("/v1/accounts/@alice/balance", 200, nil)
	line := logs.String()
	for _, want := range []string{"level=DEBUG", `msg="http request"`, "method=GET", "path=/v1/accounts/@alice/balance", "route=/v1/accounts/{id}/balance", "status=200", "duration="} {
		if !strings.Contains(line, want) {
			t.Errorf("access log lacks %s: %s", want, line)
		}
	}
}
