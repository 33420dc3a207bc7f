package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
	"github.com/oramanetwork/orama-chain/runtime/node"
)

const testChainID = 4242

// testKey returns a deterministic key (i >= 1).
func testKey(i int) *crypto.PrivateKey { return cryptotest.Key(i) }

// Named test accounts: keys[0] validates, alice (keys[1]) holds the genesis
// username "alice", bob (keys[2]) has none, carol (keys[3]) holds exactly
// 1.5 ORAMA and 0.001 BTC.
const (
	validatorKey = 0
	aliceKey     = 1
	bobKey       = 2
	carolKey     = 3
)

// validatorStake is odd so the trusted-OS power rounds: 1.5 x it.
const validatorStake = 1000*params.RaysPerOrama + 1

func testGenesis() (*types.Genesis, []*crypto.PrivateKey) {
	keys := make([]*crypto.PrivateKey, 4)
	g := &types.Genesis{ChainID: testChainID, Timestamp: 1_700_000_000}
	for i := range keys {
		keys[i] = testKey(i + 1)
		a := types.GenesisAllocation{
			Address: keys[i].Address(), OramaBalance: 1_000_000 * params.RaysPerOrama, BTCBalance: 10 * params.SatsPerBTC,
		}
		switch i {
		case aliceKey:
			a.Username = "alice"
		case carolKey:
			a.OramaBalance, a.BTCBalance = 1_500_000, 100_000
		}
		g.Allocations = append(g.Allocations, a)
	}
	slices.SortFunc(g.Allocations, func(x, y types.GenesisAllocation) int { return bytes.Compare(x.Address[:], y.Address[:]) })
	g.Validators = []types.Validator{{Address: keys[validatorKey].Address(), Stake: validatorStake, TrustedOS: true, PeerID: "12D3KooWTest"}}
	return g, keys
}

// newTestNode starts a node in a temporary directory (no block loop: tests
// call CommitLocalBlock).
func newTestNode(t testing.TB, cfg node.Config) (*node.Node, []*crypto.PrivateKey) {
	t.Helper()
	g, keys := testGenesis()
	cfg.DataDir = t.TempDir()
	cfg.NoSync = true
	n, err := node.New(cfg, g, keys[validatorKey])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n, keys
}

func produce(t testing.TB, n *node.Node) *types.Block {
	t.Helper()
	b, err := n.CommitLocalBlock()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signTx fills in defaults (an ORAMA transfer paying the maximum base fee)
// and signs tx under chainID.
func signTx(k *crypto.PrivateKey, chainID uint64, tx types.Transaction) *types.Transaction {
	tx.From = k.Address()
	if tx.GasLimit == 0 {
		tx.GasLimit = params.GasTransfer + uint64(len(tx.Data))*params.GasPerDataByte
	}
	if tx.GasFeeCap == 0 && tx.GasTipCap == 0 {
		tx.GasTipCap, tx.GasFeeCap = 1, params.MaxBaseFee
	}
	p, err := tx.SigningPayload()
	if err != nil {
		panic(err)
	}
	if tx.Signature, err = crypto.SignDomain(k, crypto.DomainTransaction, chainID, p); err != nil {
		panic(err)
	}
	return &tx
}

func transfer(k *crypto.PrivateKey, nonce uint64, to types.Address, amount uint64) *types.Transaction {
	return signTx(k, testChainID, types.Transaction{Type: types.TxTypeTransfer, To: to, Amount: amount, Nonce: nonce})
}

func encodeTx(t testing.TB, tx *types.Transaction) string {
	t.Helper()
	b, err := tx.MarshalBorsh()
	if err != nil {
		t.Fatal(err)
	}
	return hexBytes(b)
}

// --- the test client: every response is checked against the spec -------

// specDoc is the spec as a client sees it, loaded once.
var specDoc = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := api.GetSwagger()
	if err != nil {
		return nil, err
	}
	doc.Servers = nil
	return doc, nil
})

var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := specDoc()
	if err != nil {
		return nil, err
	}
	return legacy.NewRouter(doc)
})

// knownCodes are the codes the spec's Error schema lists.
var knownCodes = []string{
	CodeBadRequest, CodeInvalidParameter, CodeUnknownParameter, CodeInvalidAccount, CodeUnknownUsername,
	CodeInvalidTransaction, CodeInvalidSignature, CodeNonceTooLow, CodeNonceGap, CodeInsufficientBalance,
	CodeFeeTooLow, CodeAlreadyKnown, CodeUsernameTaken, CodeUsernameAlreadySet, CodeReplacementUnderpriced, CodePoolFull, CodeTooLarge, CodeNotFound,
	CodeStatePruned, CodeMethodNotAllowed, CodeInternal,
	CodeInvalidNamespace, CodeUnknownNamespace, CodeInvalidRequest, CodeNotAuthority, CodeUnknownContract,
	CodeSQLError, CodeSQLDenied, CodeSQLReadOnly, CodeQueryTimeout, CodeResultTooLarge, CodeBehind, CodeNamespaceUnavailable,
}

// checkResponse validates a response against the spec: the operation's
// response schema when the request matches one, else the Error schema. It
// also checks that every failure has the error shape with a listed code.
func checkResponse(req *http.Request, status int, header http.Header, body []byte) error {
	doc, err := specDoc()
	if err != nil {
		return err
	}
	router, err := specRouter()
	if err != nil {
		return err
	}
	if req.Method == http.MethodHead {
		return nil // no body to check
	}
	ctype := header.Get("Content-Type")
	if status < 400 && isBlobRoute(req.URL.Path) {
		if ctype != "application/octet-stream" {
			return fmt.Errorf("%s %s -> %d: Content-Type %q, want application/octet-stream", req.Method, req.URL, status, ctype)
		}
	} else if status >= 400 || !isExtraRoute(req.URL.Path) {
		if ctype != "application/json" {
			return fmt.Errorf("%s %s -> %d: Content-Type %q, want application/json", req.Method, req.URL, status, ctype)
		}
	}
	if status >= 400 {
		var e errorBody
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return fmt.Errorf("%s %s -> %d: not the error shape: %v: %s", req.Method, req.URL, status, err, body)
		}
		if !slices.Contains(knownCodes, e.Error.Code) || e.Error.Message == "" {
			return fmt.Errorf("%s %s -> %d: code %q message %q", req.Method, req.URL, status, e.Error.Code, e.Error.Message)
		}
		if status == 500 && e.Error.Message != internalMessage {
			return fmt.Errorf("%s %s -> %d: a 500 must not say more than %q: %q", req.Method, req.URL, status, internalMessage, e.Error.Message)
		}
		if status > 500 && (status != 503 || e.Error.Code != CodeBehind && e.Error.Code != CodeNamespaceUnavailable || header.Get("Retry-After") == "") {
			return fmt.Errorf("%s %s -> %d %s: the only 5xx besides 500 are the namespace 503s, with Retry-After", req.Method, req.URL, status, e.Error.Code)
		}
	}
	if isExtraRoute(req.URL.Path) && status < 400 {
		return nil // not spec operations: their own tests check them
	}
	route, pathParams, err := router.FindRoute(req)
	if err != nil {
		// No operation: only an error can answer.
		if status < 400 {
			return fmt.Errorf("%s %s -> %d for a request no operation matches", req.Method, req.URL, status)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		return doc.Components.Schemas["Error"].Value.VisitJSON(v)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: pathParams, Route: route,
		},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s -> %d: response breaks the spec: %v\n%s", req.Method, req.URL, status, err, body)
	}
	return nil
}

// isBlobRoute: GET /v1/namespace/{name}/blobs/{cid} answers bytes.
func isBlobRoute(p string) bool {
	parts := strings.Split(p, "/")
	return len(parts) == 6 && parts[1] == "v1" && parts[2] == "namespace" && parts[4] == "blobs"
}

func isExtraRoute(p string) bool {
	return p == "/metrics" || p == "/v1/openapi.yaml" || p == "/v1/docs"
}

// validatingTransport checks every response it carries with checkResponse.
type validatingTransport struct {
	t    testing.TB
	base http.RoundTripper
}

func (vt validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := vt.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if err := checkResponse(req, resp.StatusCode, resp.Header, body); err != nil {
		vt.t.Error(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// inProcess is a RoundTripper that calls a handler directly.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = "192.0.2.1:1234"
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// client talks to one server and checks every response against the spec.
type client struct {
	t    testing.TB
	base string
	c    *http.Client
}

// newServer serves New(b) over HTTP on the loopback interface.
func newServer(t testing.TB, b Backend, cfg Config) *client {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	h, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL, c: &http.Client{Transport: validatingTransport{t, http.DefaultTransport}}}
}

// testLogger writes through t.Log at debug level, so access logs show for
// failing tests.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *client) do(method, path string, body []byte, contentType string) response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (c *client) get(path string) response { return c.do(http.MethodGet, path, nil, "") }

// getJSON GETs path, requires status want and decodes the body into v.
func (c *client) getJSON(path string, want int, v any) {
	c.t.Helper()
	r := c.get(path)
	if r.status != want {
		c.t.Fatalf("GET %s: status %d, want %d: %s", path, r.status, want, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			c.t.Fatalf("GET %s: %v", path, err)
		}
	}
}

func (c *client) send(txHex string) response {
	c.t.Helper()
	body, _ := json.Marshal(api.SendRequest{Transaction: txHex})
	return c.do(http.MethodPost, "/v1/transactions/send", body, "application/json")
}

// wantError requires an error response with status and code.
func wantError(t testing.TB, what string, r response, status int, code string) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("%s: body %q: %v", what, r.body, err)
	}
	if r.status != status || e.Error.Code != code {
		t.Fatalf("%s: %d %q (%s), want %d %q", what, r.status, e.Error.Code, e.Error.Message, status, code)
	}
}

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newBufferLogger(b *lockedBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func mustEncode(t testing.TB, tx *types.Transaction) []byte {
	t.Helper()
	b, err := tx.MarshalBorsh()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
