package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Timeouts of the HTTP calls.
const (
	statusTimeout = 5 * time.Second
	submitTimeout = 10 * time.Second
	blockTimeout  = 15 * time.Second
	pollTimeout   = 5 * time.Second
)

// apiError is a non-2xx answer: {"error": {"code", "message"}}.
type apiError struct {
	URL     string
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s: HTTP %d %s: %s", e.URL, e.Status, e.Code, e.Message)
}

func isNotFound(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// api is one node's REST API.
type api struct {
	base   string
	submit *http.Client // transactions: --conns connections
	query  *http.Client // everything else
}

func newTransport(conns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * 4,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
	}
}

func newAPIs(urls []string, conns int) []*api {
	submit := &http.Client{Transport: newTransport(conns)}
	query := &http.Client{Transport: newTransport(64)}
	out := make([]*api, len(urls))
	for i, u := range urls {
		out[i] = &api{base: strings.TrimRight(u, "/"), submit: submit, query: query}
	}
	return out
}

func decodeError(url string, resp *http.Response, body []byte) error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	ae := &apiError{URL: url, Status: resp.StatusCode}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		ae.Code, ae.Message = e.Error.Code, e.Error.Message
	} else {
		ae.Message = strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	return ae
}

// get GETs path into out (JSON), within timeout.
func (a *api) get(ctx context.Context, path string, timeout time.Duration, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	url := a.base + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := a.query.Do(req)
	if err != nil {
		return err // a *url.Error: names the method and URL
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return decodeError(url, resp, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("GET %s: decode: %w", url, err)
	}
	return nil
}

// send POSTs a transaction. It returns the HTTP status and, for a refusal,
// the error code and message; err is set only when no answer came.
func (a *api) send(ctx context.Context, body []byte) (status int, code, msg string, err error) {
	ctx, cancel := context.WithTimeout(ctx, submitTimeout)
	defer cancel()
	url := a.base + "/v1/transactions/send"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.submit.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return 0, "", "", err
	}
	if resp.StatusCode == http.StatusAccepted {
		return resp.StatusCode, "", "", nil
	}
	var ae *apiError
	errors.As(decodeError(url, resp, rb), &ae)
	return resp.StatusCode, ae.Code, ae.Message, nil
}

type chainStatus struct {
	ChainID         string `json:"chain_id"`
	GenesisHash     string `json:"genesis_hash"`
	Height          string `json:"height"`
	FinalizedHeight string `json:"finalized_height"`
}

type statusInfo struct {
	chainID, height, finalized uint64
	genesis                    string
}

func (a *api) status(ctx context.Context) (statusInfo, error) {
	var cs chainStatus
	if err := a.get(ctx, "/v1/chain/status", statusTimeout, &cs); err != nil {
		return statusInfo{}, err
	}
	var out statusInfo
	var err error
	if out.chainID, err = parseU64("chain_id", cs.ChainID); err != nil {
		return out, fmt.Errorf("%s/v1/chain/status: %w", a.base, err)
	}
	if out.height, err = parseU64("height", cs.Height); err != nil {
		return out, fmt.Errorf("%s/v1/chain/status: %w", a.base, err)
	}
	if out.finalized, err = parseU64("finalized_height", cs.FinalizedHeight); err != nil {
		return out, fmt.Errorf("%s/v1/chain/status: %w", a.base, err)
	}
	out.genesis = cs.GenesisHash
	return out, nil
}

func parseU64(field, s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("field %s: %q is not a decimal u64", field, s)
	}
	return v, nil
}

func (a *api) nonce(ctx context.Context, addr string) (uint64, error) {
	var r struct {
		Account struct {
			Nonce string `json:"nonce"`
		} `json:"account"`
	}
	if err := a.get(ctx, "/v1/accounts/"+addr, statusTimeout, &r); err != nil {
		return 0, err
	}
	return parseU64("account.nonce", r.Account.Nonce)
}

// blockInfo is what the tool keeps of a block.
type blockInfo struct {
	height    uint64
	hash      string
	stateRoot string
	txs       []blockTx // dropped once processed
	ntx       int
}

type blockTx struct {
	From  string `json:"from"`
	Nonce string `json:"nonce"`
}

func (a *api) block(ctx context.Context, height uint64) (*blockInfo, error) {
	var r struct {
		Hash   string `json:"hash"`
		Header struct {
			Height    string `json:"height"`
			StateRoot string `json:"state_root"`
		} `json:"header"`
		Transactions []blockTx `json:"transactions"`
	}
	if err := a.get(ctx, "/v1/blocks/"+strconv.FormatUint(height, 10), blockTimeout, &r); err != nil {
		return nil, err
	}
	h, err := parseU64("header.height", r.Header.Height)
	if err != nil {
		return nil, fmt.Errorf("%s/v1/blocks/%d: %w", a.base, height, err)
	}
	if h != height {
		return nil, fmt.Errorf("%s/v1/blocks/%d: header.height is %d", a.base, height, h)
	}
	return &blockInfo{height: h, hash: r.Hash, stateRoot: r.Header.StateRoot, txs: r.Transactions}, nil
}

// txIncluded reports whether GET /v1/transactions/{hash} shows the
// transaction in a block (included, finalized, or rejected by execution,
// with its height). A 404 is "not yet".
func (a *api) txIncluded(ctx context.Context, hash string) (bool, error) {
	var r struct {
		Status string  `json:"status"`
		Height *string `json:"height"`
	}
	if err := a.get(ctx, "/v1/transactions/"+hash, pollTimeout, &r); err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, err
	}
	switch r.Status {
	case "included", "finalized", "rejected":
		return r.Height != nil, nil
	}
	return false, nil
}
