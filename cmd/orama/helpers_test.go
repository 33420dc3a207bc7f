package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// cliResult is one command line's outcome.
type cliResult struct {
	code           int
	stdout, stderr string
}

// cli runs orama command lines in a sandbox: HOME is a temporary
// directory, stdin is not a terminal unless passwords are queued.
type cli struct {
	t         *testing.T
	env       map[string]string
	stdin     string
	passwords []string // answers to prompts; a non-nil slice makes stdin a terminal
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	home := t.TempDir()
	return &cli{t: t, env: map[string]string{"HOME": home}}
}

func (c *cli) run(args ...string) cliResult {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	a := &app{
		stdin:        strings.NewReader(c.stdin),
		stdout:       &stdout,
		stderr:       &stderr,
		getenv:       func(k string) string { return c.env[k] },
		isTerminal:   func() bool { return c.passwords != nil },
		httpClient:   &http.Client{Timeout: 10 * time.Second},
		pollInterval: 5 * time.Millisecond,
		now:          time.Now,
	}
	a.readPassword = func() (string, error) {
		if len(c.passwords) == 0 {
			return "", errors.New("no more passwords")
		}
		p := c.passwords[0]
		c.passwords = c.passwords[1:]
		return p, nil
	}
	code := run(context.Background(), a, args)
	return cliResult{code, stdout.String(), stderr.String()}
}

// ok runs args and fails the test unless they succeed.
func (c *cli) ok(args ...string) cliResult {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("orama %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// fails runs args and fails the test unless they exit with code and stderr
// mentions every want.
func (c *cli) fails(code int, args []string, want ...string) cliResult {
	c.t.Helper()
	r := c.run(args...)
	if r.code != code {
		c.t.Fatalf("orama %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			c.t.Errorf("orama %s: stderr %q does not mention %q", strings.Join(args, " "), r.stderr, w)
		}
	}
	return r
}

// decodeJSON decodes stdout strictly into v.
func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not the expected JSON: %v\n%s", err, s)
	}
}

// jsonKeys returns the top-level keys of a JSON object.
func jsonKeys(t *testing.T, s string) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeNode serves the REST API's shapes from spec/openapi.yaml over a few
// in-memory accounts, for client tests that need no chain. It checks what
// clients send as a node would: Borsh decoding and the signature.
type fakeNode struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	chainID   uint64
	baseFee   uint64
	accounts  map[types.Address]api.Account
	usernames map[string]types.Address
	sent      []*types.Transaction
	statuses  map[string]*api.TransactionStatus
	// pendingPolls is how many GETs a sent transaction stays pending;
	// then it becomes finalStatus.
	pendingPolls map[string]int
	finalStatus  api.TransactionStatusStatus
	finalReason  string
	sendError    *api.Error
	requests     []string
}

func newFakeNode(t *testing.T) *fakeNode {
	f := &fakeNode{
		t:            t,
		chainID:      4242,
		baseFee:      10,
		accounts:     map[types.Address]api.Account{},
		usernames:    map[string]types.Address{},
		statuses:     map[string]*api.TransactionStatus{},
		pendingPolls: map[string]int{},
		finalStatus:  api.Finalized,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/chain/status", f.status)
	mux.HandleFunc("GET /v1/accounts/{id}", f.account)
	mux.HandleFunc("POST /v1/transactions/send", f.send)
	mux.HandleFunc("GET /v1/transactions/{hash}", f.transaction)
	mux.HandleFunc("GET /v1/blocks/latest", f.block)
	mux.HandleFunc("GET /v1/blocks/{id}", f.block)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.fail(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.URL.Path)
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeNode) URL() string { return f.srv.URL }

func (f *fakeNode) requestLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *fakeNode) lastSent() *types.Transaction {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sent) == 0 {
		f.t.Fatal("no transaction was sent")
	}
	return f.sent[len(f.sent)-1]
}

// addAccount adds an account with balances and a nonce.
func (f *fakeNode) addAccount(a types.Address, username string, rays, sats, nonce uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accounts[a] = f.acct(a, username, rays, sats, nonce)
	if username != "" {
		f.usernames[username] = a
	}
}

func (f *fakeNode) acct(a types.Address, username string, rays, sats, nonce uint64) api.Account {
	zero := "0x" + strings.Repeat("0", 64)
	return api.Account{
		Address: crypto.FormatAddress(a), Username: username,
		Nonce: u64s(nonce), OramaBalance: u64s(rays), BtcBalance: u64s(sats),
		CodeHash: zero, StorageRoot: zero, CommitmentRoot: zero, NullifierRoot: zero,
	}
}

func u64s(v uint64) string { return strconv.FormatUint(v, 10) }

func (f *fakeNode) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeNode) fail(w http.ResponseWriter, status int, code, msg string) {
	var e api.Error
	e.Error.Code, e.Error.Message = code, msg
	f.reply(w, status, e)
}

func (f *fakeNode) status(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := "0x" + strings.Repeat("ab", 32)
	f.reply(w, 200, api.ChainStatus{
		ChainId: u64s(f.chainID), GenesisHash: h, Height: "7", HeadHash: h, FinalizedHeight: "7",
		StateRoot: h, Timestamp: "1700000000", BaseFee: u64s(f.baseFee), MempoolSize: len(f.statuses),
		View: "7", Leader: "orama:" + strings.Repeat("0", 40), Peers: 0, Syncing: false,
	})
}

func (f *fakeNode) account(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PathValue("id")
	var addr types.Address
	if strings.HasPrefix(id, "@") {
		a, ok := f.usernames[id[1:]]
		if !ok {
			f.fail(w, 404, "unknown_username", "no account has claimed the username "+strconv.Quote(id[1:]))
			return
		}
		addr = a
	} else {
		a, err := crypto.ParseAddress(id)
		if err != nil {
			f.fail(w, 400, "invalid_account", err.Error())
			return
		}
		addr = a
	}
	acct, ok := f.accounts[addr]
	if !ok {
		acct = f.acct(addr, "", 0, 0, 0)
	}
	resp := api.AccountResponse{Account: acct, Height: "7"}
	if r.URL.Query().Get("proof") == "true" {
		h := "0x" + strings.Repeat("cd", 32)
		resp.Proof = &api.AccountProof{
			Exists: ok, Key: h, Value: "0x01", Proof: "0x02", BlockHash: h,
			ProofFields: api.SMTProof{Bitmap: "0x00", Siblings: []string{h}},
			Header:      api.BlockHeader{Height: "7", BaseFee: "10"},
		}
	}
	f.reply(w, 200, resp)
}

func (f *fakeNode) send(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var req api.SendRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		f.fail(w, 400, "bad_request", err.Error())
		return
	}
	if f.sendError != nil {
		f.reply(w, 400, f.sendError)
		return
	}
	if !strings.HasPrefix(req.Transaction, "0x") {
		f.fail(w, 400, "invalid_transaction", "want 0x hex")
		return
	}
	raw, err := hex.DecodeString(req.Transaction[2:])
	if err != nil {
		f.fail(w, 400, "invalid_transaction", err.Error())
		return
	}
	tx := new(types.Transaction)
	if err := tx.UnmarshalBorsh(raw); err != nil {
		f.fail(w, 400, "invalid_transaction", err.Error())
		return
	}
	payload, _ := tx.SigningPayload()
	if err := crypto.VerifyDomain(crypto.DomainTransaction, f.chainID, payload, tx.Signature, tx.From); err != nil {
		f.fail(w, 400, "invalid_signature", err.Error())
		return
	}
	h, _ := tx.Hash()
	hash := h.String()
	at := apiTransaction(tx, h)
	f.sent = append(f.sent, tx)
	f.statuses[hash] = &api.TransactionStatus{Hash: hash, Status: api.Pending, Transaction: &at}
	f.reply(w, 202, api.SendResponse{Hash: hash})
}

func (f *fakeNode) transaction(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	hash := r.PathValue("hash")
	st, ok := f.statuses[hash]
	if !ok {
		f.fail(w, 404, "not_found", "transaction "+hash+" is neither pending nor in a block")
		return
	}
	if st.Status == api.Pending {
		if f.pendingPolls[hash]--; f.pendingPolls[hash] < 0 {
			height, index := "8", int32(0)
			st.Status, st.Height, st.Index = f.finalStatus, &height, &index
			rs := "Success"
			if f.finalStatus == api.Rejected {
				rs = f.finalReason
				st.Reason = &rs
			}
			st.Receipt = &api.Receipt{TxHash: hash, Status: api.TxStatus(rs), GasUsed: "100", FeeBurned: "1000", FeeTip: "0", Events: []api.Event{}}
		}
	}
	f.reply(w, 200, st)
}

func (f *fakeNode) block(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	height := "7"
	if id != "" && !strings.HasPrefix(id, "0x") {
		height = id
	}
	if height == "999" {
		f.fail(w, 404, "not_found", "no block at height 999")
		return
	}
	h := "0x" + strings.Repeat("ef", 32)
	f.reply(w, 200, api.Block{
		Hash: h, Finalized: true, Transactions: []api.Transaction{},
		Header: api.BlockHeader{Height: height, ParentHash: h, StateRoot: h, TransactionsRoot: h, ReceiptsRoot: h,
			Timestamp: "1700000000", Proposer: "orama:" + strings.Repeat("0", 40), Epoch: "0", View: height,
			BaseFee: "10", GasUsed: "0", Qc: api.QuorumCert{View: "6", Height: "6", BlockHash: h}},
	})
}
