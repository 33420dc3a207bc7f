package rpc

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
)

// TestBadInput sends one bad request after another. Each must get its 4xx
// and code in the error shape (the client checks the shape and the spec),
// and the node must go on serving: a good request follows each bad one.
func TestBadInput(t *testing.T) {
	n, keys := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{MaxBodyBytes: 64 << 10})
	alice, bob := keys[aliceKey], keys[bobKey]

	// Chain state the cases need: alice's nonce 0 is used up, nonce 1 is
	// pending.
	if r := c.send(encodeTx(t, transfer(alice, 0, bob.Address(), 1))); r.status != 202 {
		t.Fatal(string(r.body))
	}
	produce(t, n)
	pending := transfer(alice, 1, bob.Address(), 1)
	if r := c.send(encodeTx(t, pending)); r.status != 202 {
		t.Fatal(string(r.body))
	}

	badSig := transfer(alice, 2, bob.Address(), 1)
	badSig.Signature[10] ^= 0xff
	wrongChain := signTx(alice, testChainID+1, types.Transaction{Type: types.TxTypeTransfer, To: bob.Address(), Amount: 1, Nonce: 2})
	lowGas := signTx(alice, testChainID, types.Transaction{Type: types.TxTypeTransfer, To: bob.Address(), Amount: 1, Nonce: 2, GasLimit: 1})
	noFee := signZeroFee(alice, 2, bob.Address())
	rich := transfer(alice, 2, bob.Address(), 2_000_000*params.RaysPerOrama)
	gap := transfer(alice, 1000, bob.Address(), 1)
	stale := transfer(alice, 0, bob.Address(), 2)
	underpriced := transfer(alice, 1, bob.Address(), 2) // same fees as pending
	oversized := signTx(alice, testChainID, types.Transaction{Type: types.TxTypeTransfer, To: bob.Address(), Nonce: 2,
		Data: make([]byte, params.MaxTxDataBytes)})
	hugeTx := encodeTx(t, oversized) + strings.Repeat("00", 1100) // past mempool.MaxTxBytes, within the schema
	aliceHex := strings.ToLower(crypto.ChecksumHex(alice.Address()))
	badChecksum := "orama:" + swapCase(crypto.ChecksumHex(alice.Address()))

	sendBody := func(tx string) []byte {
		b, _ := json.Marshal(api.SendRequest{Transaction: tx})
		return b
	}
	const hist = "/v1/accounts/@alice/transactions"
	cases := []struct {
		name        string
		method      string
		path        string
		body        []byte
		contentType string
		status      int
		code        string
	}{
		// Transactions.
		{"malformed hex", "POST", "/v1/transactions/send", sendBody("0xzz"), "", 400, CodeBadRequest},
		{"odd hex", "POST", "/v1/transactions/send", sendBody("0xabc"), "", 400, CodeBadRequest},
		{"no 0x", "POST", "/v1/transactions/send", sendBody("abcd"), "", 400, CodeBadRequest},
		{"empty hex", "POST", "/v1/transactions/send", sendBody("0x"), "", 400, CodeBadRequest},
		{"not a transaction", "POST", "/v1/transactions/send", sendBody("0x0001"), "", 400, CodeInvalidTransaction},
		{"trailing bytes", "POST", "/v1/transactions/send", sendBody(encodeTx(t, transfer(alice, 2, bob.Address(), 1)) + "00"), "", 400, CodeInvalidTransaction},
		{"bad signature", "POST", "/v1/transactions/send", sendBody(encodeTx(t, badSig)), "", 400, CodeInvalidSignature},
		{"wrong chain id", "POST", "/v1/transactions/send", sendBody(encodeTx(t, wrongChain)), "", 400, CodeInvalidSignature},
		{"gas limit too low", "POST", "/v1/transactions/send", sendBody(encodeTx(t, lowGas)), "", 400, CodeInvalidTransaction},
		{"fee cap too low", "POST", "/v1/transactions/send", sendBody(encodeTx(t, noFee)), "", 400, CodeFeeTooLow},
		{"insufficient balance", "POST", "/v1/transactions/send", sendBody(encodeTx(t, rich)), "", 400, CodeInsufficientBalance},
		{"nonce gap", "POST", "/v1/transactions/send", sendBody(encodeTx(t, gap)), "", 400, CodeNonceGap},
		{"nonce too low", "POST", "/v1/transactions/send", sendBody(encodeTx(t, stale)), "", 400, CodeNonceTooLow},
		{"already known", "POST", "/v1/transactions/send", sendBody(encodeTx(t, pending)), "", 409, CodeAlreadyKnown},
		{"replacement underpriced", "POST", "/v1/transactions/send", sendBody(encodeTx(t, underpriced)), "", 409, CodeReplacementUnderpriced},
		{"transaction too large", "POST", "/v1/transactions/send", sendBody(hugeTx), "", 413, CodeTooLarge},
		{"hex over maxLength", "POST", "/v1/transactions/send", sendBody("0x" + strings.Repeat("00", 20001)), "", 413, CodeTooLarge},
		{"oversized body", "POST", "/v1/transactions/send", sendBody("0x" + strings.Repeat("00", 40000)), "", 413, CodeTooLarge},
		{"body not JSON", "POST", "/v1/transactions/send", []byte(`{"transaction":`), "", 400, CodeBadRequest},
		{"body not an object", "POST", "/v1/transactions/send", []byte(`["0x00"]`), "", 400, CodeBadRequest},
		{"extra property", "POST", "/v1/transactions/send", []byte(`{"transaction":"0x00","fee":"1"}`), "", 400, CodeBadRequest},
		{"missing property", "POST", "/v1/transactions/send", []byte(`{}`), "", 400, CodeBadRequest},
		{"no body", "POST", "/v1/transactions/send", nil, "", 400, CodeBadRequest},
		{"wrong content type", "POST", "/v1/transactions/send", sendBody("0x00"), "text/plain", 415, CodeBadRequest},
		{"short hash", "GET", "/v1/transactions/0x1234", nil, "", 400, CodeInvalidParameter},
		{"upper-case hash", "GET", "/v1/transactions/0x" + strings.Repeat("AB", 32), nil, "", 400, CodeInvalidParameter},
		{"unknown hash", "GET", "/v1/transactions/0x" + strings.Repeat("00", 32), nil, "", 404, CodeNotFound},
		{"GET send", "GET", "/v1/transactions/send", nil, "", 405, CodeMethodNotAllowed},

		// Accounts.
		{"unknown username", "GET", "/v1/accounts/@nobody", nil, "", 404, CodeUnknownUsername},
		{"unknown username balance", "GET", "/v1/accounts/@nobody/balance", nil, "", 404, CodeUnknownUsername},
		{"unknown username history", "GET", "/v1/accounts/@nobody/transactions", nil, "", 404, CodeUnknownUsername},
		{"invalid username", "GET", "/v1/accounts/@Alice", nil, "", 400, CodeInvalidAccount},
		{"short username", "GET", "/v1/accounts/@al", nil, "", 400, CodeInvalidAccount},
		{"username without @", "GET", "/v1/accounts/alice", nil, "", 400, CodeInvalidAccount},
		{"not hex", "GET", "/v1/accounts/0x" + strings.Repeat("g", 40), nil, "", 400, CodeInvalidAccount},
		{"short address", "GET", "/v1/accounts/0x" + aliceHex[:38], nil, "", 400, CodeInvalidAccount},
		{"bad checksum", "GET", "/v1/accounts/" + badChecksum, nil, "", 400, CodeInvalidAccount},
		{"id too long", "GET", "/v1/accounts/orama:" + aliceHex + "00", nil, "", 400, CodeInvalidAccount},
		{"id too short", "GET", "/v1/accounts/@", nil, "", 400, CodeInvalidAccount},
		{"proof not boolean", "GET", "/v1/accounts/@alice?proof=maybe", nil, "", 400, CodeInvalidParameter},
		{"height not a number", "GET", "/v1/accounts/@alice?height=abc", nil, "", 400, CodeInvalidParameter},
		{"height negative", "GET", "/v1/accounts/@alice?height=-1", nil, "", 400, CodeInvalidParameter},
		{"height leading zero", "GET", "/v1/accounts/@alice?height=01", nil, "", 400, CodeInvalidParameter},
		{"height over u64", "GET", "/v1/accounts/@alice?height=99999999999999999999", nil, "", 400, CodeInvalidParameter},
		{"height in the future", "GET", "/v1/accounts/@alice?height=1000&proof=true", nil, "", 404, CodeNotFound},

		// Pagination.
		{"limit 0", "GET", hist + "?limit=0", nil, "", 400, CodeInvalidParameter},
		{"limit 101", "GET", hist + "?limit=101", nil, "", 400, CodeInvalidParameter},
		{"limit -1", "GET", hist + "?limit=-1", nil, "", 400, CodeInvalidParameter},
		{"limit x", "GET", hist + "?limit=x", nil, "", 400, CodeInvalidParameter},
		{"limit 1.5", "GET", hist + "?limit=1.5", nil, "", 400, CodeInvalidParameter},
		{"limit empty", "GET", hist + "?limit=", nil, "", 400, CodeInvalidParameter},
		{"limit twice", "GET", hist + "?limit=1&limit=2", nil, "", 400, CodeInvalidParameter},
		{"order up", "GET", hist + "?order=up", nil, "", 400, CodeInvalidParameter},
		{"sort by fee", "GET", hist + "?sort=fee", nil, "", 400, CodeInvalidParameter},
		{"cursor word", "GET", hist + "?cursor=abc", nil, "", 400, CodeInvalidParameter},
		{"cursor half", "GET", hist + "?cursor=1-", nil, "", 400, CodeInvalidParameter},
		{"cursor height over u64", "GET", hist + "?cursor=99999999999999999999-0", nil, "", 400, CodeInvalidParameter},
		{"cursor position over u32", "GET", hist + "?cursor=1-9999999999", nil, "", 400, CodeInvalidParameter},

		// Parameters and routes.
		{"unknown parameter", "GET", "/v1/chain/status?verbose=1", nil, "", 400, CodeUnknownParameter},
		{"misspelt parameter", "GET", "/v1/accounts/@alice?proof=true&heigth=1", nil, "", 400, CodeUnknownParameter},
		{"parameter of another operation", "GET", "/v1/accounts/@alice/balance?limit=1", nil, "", 400, CodeUnknownParameter},
		{"malformed query", "GET", "/v1/validators?%zz", nil, "", 400, CodeInvalidParameter},
		{"query on docs", "GET", "/v1/docs?x", nil, "", 400, CodeUnknownParameter},
		{"unknown path", "GET", "/v1/nothing", nil, "", 404, CodeNotFound},
		{"root", "GET", "/", nil, "", 404, CodeNotFound},
		{"trailing slash", "GET", "/v1/chain/status/", nil, "", 404, CodeNotFound},
		{"too deep", "GET", "/v1/accounts/@alice/balance/extra", nil, "", 404, CodeNotFound},
		{"empty segment", "GET", "/v1/accounts//balance", nil, "", 404, CodeNotFound},
		{"dot-dot id", "GET", "/v1/accounts/..", nil, "", 404, CodeNotFound},
		{"dot-dot path", "GET", "/v1/accounts/../chain/status", nil, "", 404, CodeNotFound},
		{"v2", "GET", "/v2/chain/status", nil, "", 404, CodeNotFound},
		{"block word", "GET", "/v1/blocks/first", nil, "", 400, CodeInvalidParameter},
		{"block short hash", "GET", "/v1/blocks/0x1234", nil, "", 400, CodeInvalidParameter},
		{"block height over u64", "GET", "/v1/blocks/99999999999999999999", nil, "", 400, CodeInvalidParameter},
		{"block not yet", "GET", "/v1/blocks/1000", nil, "", 404, CodeNotFound},
		{"block unknown hash", "GET", "/v1/blocks/0x" + strings.Repeat("00", 32), nil, "", 404, CodeNotFound},

		// Methods.
		{"DELETE status", "DELETE", "/v1/chain/status", nil, "", 405, CodeMethodNotAllowed},
		{"POST latest", "POST", "/v1/blocks/latest", []byte(`{}`), "application/json", 405, CodeMethodNotAllowed},
		{"PUT account", "PUT", "/v1/accounts/@alice", nil, "", 405, CodeMethodNotAllowed},
		{"POST a hash", "POST", "/v1/transactions/0x" + strings.Repeat("00", 32), nil, "", 405, CodeMethodNotAllowed},
		{"PATCH send", "PATCH", "/v1/transactions/send", nil, "", 405, CodeMethodNotAllowed},
		{"OPTIONS validators", "OPTIONS", "/v1/validators", nil, "", 405, CodeMethodNotAllowed},
		{"POST metrics", "POST", "/metrics", nil, "", 405, CodeMethodNotAllowed},
		{"DELETE spec", "DELETE", "/v1/openapi.yaml", nil, "", 405, CodeMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ct := tc.contentType
			if ct == "" && tc.body != nil {
				ct = "application/json"
			}
			r := c.do(tc.method, tc.path, tc.body, ct)
			wantError(t, tc.method+" "+tc.path, r, tc.status, tc.code)
			if tc.status == 405 && r.header.Get("Allow") == "" {
				t.Errorf("405 without Allow")
			}
			// The node keeps serving.
			c.getJSON("/v1/chain/status", 200, nil)
		})
	}
	// Nothing bad got in: only the one pending transaction.
	if l := n.Mempool().Len(); l != 1 {
		t.Fatalf("mempool holds %d transactions", l)
	}
}

// signZeroFee signs a transfer whose fee cap is below the minimum base fee.
func signZeroFee(k *crypto.PrivateKey, nonce uint64, to types.Address) *types.Transaction {
	tx := types.Transaction{Type: types.TxTypeTransfer, From: k.Address(), To: to, Amount: 1, Nonce: nonce, GasLimit: params.GasTransfer}
	p, _ := tx.SigningPayload()
	sig, err := crypto.SignDomain(k, crypto.DomainTransaction, testChainID, p)
	if err != nil {
		panic(err)
	}
	tx.Signature = sig
	return &tx
}

// swapCase breaks an EIP-55 checksum while keeping the case mixed.
func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'f':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'F':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

// TestOversizedBodyStream sends a body with no Content-Length, so the limit
// is met while reading.
func TestOversizedBodyStream(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{MaxBodyBytes: 1 << 10})
	pr, pw := io.Pipe()
	go func() {
		for range 64 {
			if _, err := pw.Write([]byte(strings.Repeat("x", 1<<10))); err != nil {
				return // the server stopped reading
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/v1/transactions/send", pr)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	c.getJSON("/v1/chain/status", 200, nil)
}
