package rpc

import (
	"encoding/json"
	"errors"
	"html"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/state"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// testBackend is a node whose answers a test can bend.
type testBackend struct {
	*node.Node
	finalized atomic.Pointer[uint64]                             // overrides FinalizedHeight
	stateAt   func(h uint64) (*state.State, *types.Block, error) // overrides StateAt
	panicking atomic.Bool                                        // FinalizedHeight panics
}

func (b *testBackend) FinalizedHeight() uint64 {
	if b.panicking.Load() {
		panic("test: FinalizedHeight exploded")
	}
	if f := b.finalized.Load(); f != nil {
		return *f
	}
	return b.Node.FinalizedHeight()
}

func (b *testBackend) StateAt(h uint64) (*state.State, *types.Block, error) {
	if b.stateAt != nil {
		return b.stateAt(h)
	}
	return b.Node.StateAt(h)
}

func TestEndpoints(t *testing.T) {
	n, keys := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{})
	alice, bob, carol := keys[aliceKey], keys[bobKey], keys[carolKey]

	// Send, see it pending, commit it, see it final.
	tx := transfer(alice, 0, bob.Address(), 5*params.RaysPerOrama)
	r := c.send(encodeTx(t, tx))
	if r.status != http.StatusAccepted {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	var sent api.SendResponse
	if err := json.Unmarshal(r.body, &sent); err != nil {
		t.Fatal(err)
	}
	h0, _ := tx.Hash()
	if sent.Hash != hash32(h0) {
		t.Fatalf("send hash %s, want %v", sent.Hash, h0)
	}
	var ts api.TransactionStatus
	c.getJSON("/v1/transactions/"+sent.Hash, 200, &ts)
	if ts.Status != api.Pending || ts.Transaction == nil || ts.Transaction.From != crypto.FormatAddress(alice.Address()) ||
		ts.Transaction.Amount != "5000000" || ts.Transaction.Type != "Transfer" || ts.Transaction.Asset != api.Orama {
		t.Fatalf("pending: %+v", ts)
	}
	var st api.ChainStatus
	c.getJSON("/v1/chain/status", 200, &st)
	if st.MempoolSize != 1 {
		t.Fatalf("mempool_size %d", st.MempoolSize)
	}
	produce(t, n)
	c.getJSON("/v1/transactions/"+sent.Hash, 200, &ts)
	if ts.Status != api.Finalized || *ts.Height != "1" || *ts.Index != 0 || ts.Receipt.Status != "Success" || ts.Receipt.TxHash != sent.Hash {
		t.Fatalf("final: %+v", ts)
	}

	// Five more from alice over three blocks, one from bob to carol.
	for i := uint64(1); i <= 5; i++ {
		if r := c.send(encodeTx(t, transfer(alice, i, bob.Address(), i))); r.status != 202 {
			t.Fatalf("send %d: %s", i, r.body)
		}
		if i%2 == 0 {
			produce(t, n)
		}
	}
	if r := c.send(encodeTx(t, transfer(bob, 0, carol.Address(), 7))); r.status != 202 {
		t.Fatalf("send bob: %s", r.body)
	}
	head := produce(t, n)
	headHeight := u64(head.Header.Height)

	t.Run("account", func(t *testing.T) {
		want, _ := n.State().Account(alice.Address())
		hexLower := strings.ToLower(crypto.ChecksumHex(alice.Address()))
		for _, id := range []string{
			"@alice",
			crypto.FormatAddress(alice.Address()),
			"0x" + hexLower,
			hexLower,
			strings.ToUpper(hexLower),
		} {
			var ar api.AccountResponse
			c.getJSON("/v1/accounts/"+id, 200, &ar)
			if ar.Account != api.FromAccount(&want) || ar.Height != headHeight || ar.Proof != nil {
				t.Fatalf("%s: %+v, want %+v at %s", id, ar, api.FromAccount(&want), headHeight)
			}
		}
		if want.Username != "alice" || want.Nonce != 6 {
			t.Fatalf("alice %+v", want)
		}
		// At height 1 alice had sent one transaction.
		var ar api.AccountResponse
		c.getJSON("/v1/accounts/@alice?height=1", 200, &ar)
		if ar.Account.Nonce != "1" || ar.Height != "1" {
			t.Fatalf("at height 1: %+v", ar)
		}
		// An address that never received anything reads as zero.
		fresh := testKey(999).Address()
		c.getJSON("/v1/accounts/"+crypto.FormatAddress(fresh), 200, &ar)
		zero := types.Account{Address: fresh}
		if ar.Account != api.FromAccount(&zero) {
			t.Fatalf("fresh: %+v", ar.Account)
		}
	})

	t.Run("balance", func(t *testing.T) {
		var b api.Balance
		c.getJSON("/v1/accounts/"+crypto.FormatAddress(carol.Address())+"/balance", 200, &b)
		// carol started with 1.5 ORAMA and 0.001 BTC, and received 7 rays.
		if b.Orama != "1500007" || b.OramaDisplay != "1.500007" || b.Btc != "100000" || b.BtcDisplay != "0.001" || b.Height != headHeight {
			t.Fatalf("carol %+v", b)
		}
		c.getJSON("/v1/accounts/"+crypto.FormatAddress(testKey(999).Address())+"/balance", 200, &b)
		if b.Orama != "0" || b.OramaDisplay != "0" || b.Btc != "0" || b.BtcDisplay != "0" {
			t.Fatalf("fresh %+v", b)
		}
		c.getJSON("/v1/accounts/@alice/balance", 200, &b)
		acc, _ := n.State().Account(alice.Address())
		if b.Address != crypto.FormatAddress(alice.Address()) || b.Orama != u64(acc.OramaBalance) || b.BtcDisplay != "10" {
			t.Fatalf("alice %+v", b)
		}
	})

	t.Run("history", func(t *testing.T) {
		all := historyPages(t, c, "/v1/accounts/@alice/transactions?limit=100", 1)
		if len(all) != 6 {
			t.Fatalf("alice has %d transactions, want 6", len(all))
		}
		for i, e := range all {
			// Newest first: nonces 5..0.
			if e.Transaction.Nonce != u64(uint64(5-i)) {
				t.Fatalf("entry %d nonce %s", i, e.Transaction.Nonce)
			}
			if e.Receipt.TxHash != e.Transaction.Hash || e.Receipt.Status != "Success" {
				t.Fatalf("entry %d receipt %+v", i, e.Receipt)
			}
			h, _ := parseU64("h", e.Height)
			b, err := n.Store().Block(h)
			if err != nil || e.Timestamp != u64(b.Header.Timestamp) {
				t.Fatalf("entry %d timestamp %s: %v", i, e.Timestamp, err)
			}
			th, _ := b.Transactions[e.Index].Hash()
			if hash32(th) != e.Transaction.Hash {
				t.Fatalf("entry %d is not at %s/%d", i, e.Height, e.Index)
			}
		}
		// Paged: the same list, by any page size, either sort key.
		for _, q := range []string{"limit=4", "limit=3&sort=height", "limit=1&sort=timestamp&order=desc", "limit=2&order=desc"} {
			got := historyPages(t, c, "/v1/accounts/@alice/transactions?"+q, 10)
			if jsonString(got) != jsonString(all) {
				t.Fatalf("%s: pages differ from one page", q)
			}
		}
		asc := historyPages(t, c, "/v1/accounts/"+crypto.FormatAddress(alice.Address())+"/transactions?order=asc&limit=4", 10)
		for i := range asc {
			if jsonString(asc[i]) != jsonString(all[len(all)-1-i]) {
				t.Fatalf("asc entry %d differs", i)
			}
		}
		// The default page: 20, desc. Bob received six and sent one.
		var page api.TransactionPage
		c.getJSON("/v1/accounts/"+crypto.FormatAddress(bob.Address())+"/transactions", 200, &page)
		sent := 0
		for _, e := range page.Transactions {
			if e.Transaction.From == crypto.FormatAddress(bob.Address()) {
				sent++
			}
		}
		if len(page.Transactions) != 7 || page.NextCursor != nil || sent != 1 {
			t.Fatalf("bob: %d entries (%d sent), cursor %v", len(page.Transactions), sent, page.NextCursor)
		}
		// No history: an empty list, no cursor.
		c.getJSON("/v1/accounts/"+crypto.FormatAddress(testKey(999).Address())+"/transactions", 200, &page)
		if page.Transactions == nil || len(page.Transactions) != 0 || page.NextCursor != nil {
			t.Fatalf("fresh: %+v", page)
		}
	})

	t.Run("blocks", func(t *testing.T) {
		var latest, byHeight, byHash api.Block
		c.getJSON("/v1/blocks/latest", 200, &latest)
		bh, _ := head.Header.Hash()
		if latest.Hash != hash32(bh) || latest.Header.Height != headHeight || !latest.Finalized {
			t.Fatalf("latest %+v", latest)
		}
		if len(latest.Transactions) != 2 {
			t.Fatalf("latest has %d transactions", len(latest.Transactions))
		}
		for i, tx := range latest.Transactions {
			h, _ := head.Transactions[i].Hash()
			if tx.Hash != hash32(h) {
				t.Fatalf("tx %d hash %s", i, tx.Hash)
			}
		}
		c.getJSON("/v1/blocks/"+headHeight, 200, &byHeight)
		c.getJSON("/v1/blocks/"+latest.Hash, 200, &byHash)
		if jsonString(byHeight) != jsonString(latest) || jsonString(byHash) != jsonString(latest) {
			t.Fatal("latest, by height and by hash differ")
		}
		var b0 api.Block
		c.getJSON("/v1/blocks/0", 200, &b0)
		gh, _ := n.Genesis().Hash()
		if b0.Header.Height != "0" || b0.Header.ParentHash != hash32(gh) || len(b0.Transactions) != 0 || b0.Transactions == nil {
			t.Fatalf("block 0 %+v", b0)
		}
	})

	t.Run("validators", func(t *testing.T) {
		var v api.GetValidators200JSONResponse
		c.getJSON("/v1/validators", 200, &v)
		want := api.Validator{
			Address: crypto.FormatAddress(keys[validatorKey].Address()), Stake: u64(validatorStake),
			TrustedOs: true, PeerId: "12D3KooWTest", Power: "1500000001",
		}
		if len(v.Validators) != 1 || v.Validators[0] != want {
			t.Fatalf("validators %+v", v)
		}
	})

	t.Run("status", func(t *testing.T) {
		var st api.ChainStatus
		c.getJSON("/v1/chain/status", 200, &st)
		gh, _ := n.Genesis().Hash()
		hh, _ := head.Header.Hash()
		want := api.ChainStatus{
			ChainId: "4242", GenesisHash: hash32(gh), Height: headHeight, HeadHash: hash32(hh),
			FinalizedHeight: headHeight, StateRoot: hash32(head.Header.StateRoot), Timestamp: u64(head.Header.Timestamp),
			BaseFee: u64(txrules.NextBaseFee(head.Header.BaseFee, head.Header.GasUsed)), MempoolSize: 0,
			View: u64(head.Header.View), Leader: crypto.FormatAddress(keys[validatorKey].Address()),
		}
		if st != want {
			t.Fatalf("status\n%+v\nwant\n%+v", st, want)
		}
	})
}

// historyPages follows next_cursor from path and returns every entry.
func historyPages(t *testing.T, c *client, path string, maxPages int) []api.IndexedTransaction {
	t.Helper()
	var all []api.IndexedTransaction
	next := path
	for range maxPages {
		var page api.TransactionPage
		c.getJSON(next, 200, &page)
		all = append(all, page.Transactions...)
		if page.NextCursor == nil {
			return all
		}
		next = path + "&cursor=" + *page.NextCursor
	}
	t.Fatalf("%s: more than %d pages", path, maxPages)
	return nil
}

// TestTransactionStatuses covers included (committed, not final) and
// rejected (in a block with a failing receipt: charged, nonce used).
func TestTransactionStatuses(t *testing.T) {
	// bob holds nearly 2^64 - 1 sats, so a BTC transfer to him passes
	// admission and fails in execution (AmountOverflow of the recipient),
	// the one failure admission cannot foresee from the sender alone.
	g, keys := testGenesis()
	for i := range g.Allocations {
		if g.Allocations[i].Address == keys[bobKey].Address() {
			g.Allocations[i].BTCBalance = math.MaxUint64 - 5
		}
	}
	n, err := node.New(node.Config{DataDir: t.TempDir(), NoSync: true}, g, keys[validatorKey])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	b := &testBackend{Node: n}
	c := newServer(t, b, Config{})
	zero := uint64(0)
	b.finalized.Store(&zero)

	tx := transfer(keys[aliceKey], 0, keys[bobKey].Address(), 1)
	// bob claims a username alice holds: refused at admission, since it
	// could only fail and pay.
	data, _ := (&types.ClaimUsernamePayload{Username: "alice"}).MarshalBorsh()
	claim := signTx(keys[bobKey], testChainID, types.Transaction{Type: types.TxTypeClaimUsername, Data: data})
	wantError(t, "claim of a taken name", c.send(encodeTx(t, claim)), 409, CodeUsernameTaken)
	overflow := signTx(keys[aliceKey], testChainID, types.Transaction{Type: types.TxTypeTransfer, To: keys[bobKey].Address(),
		Amount: 10, Asset: types.AssetBTC, Nonce: 1})
	for _, x := range []*types.Transaction{tx, overflow} {
		if r := c.send(encodeTx(t, x)); r.status != 202 {
			t.Fatalf("send: %s", r.body)
		}
	}
	produce(t, n)
	var ts api.TransactionStatus
	h, _ := tx.Hash()
	c.getJSON("/v1/transactions/"+hash32(h), 200, &ts)
	if ts.Status != api.Included || ts.Reason != nil {
		t.Fatalf("not final yet: %+v", ts)
	}
	var blk api.Block
	c.getJSON("/v1/blocks/1", 200, &blk)
	if blk.Finalized {
		t.Fatal("block 1 reported final")
	}
	oh, _ := overflow.Hash()
	c.getJSON("/v1/transactions/"+hash32(oh), 200, &ts)
	if ts.Status != api.Rejected || ts.Reason == nil || *ts.Reason != "AmountOverflow" || ts.Receipt == nil ||
		ts.Receipt.Status != "AmountOverflow" || ts.Receipt.GasUsed != u64(params.GasTransfer) || ts.Receipt.FeeBurned == "0" {
		t.Fatalf("rejected: %+v", ts)
	}
	// It paid and used its nonce: the same bytes are known, not resent.
	wantError(t, "included bytes again", c.send(encodeTx(t, overflow)), 409, CodeAlreadyKnown)
	var acct api.AccountResponse
	c.getJSON("/v1/accounts/"+address(keys[aliceKey].Address()), 200, &acct)
	if acct.Account.Nonce != "2" {
		t.Fatalf("alice nonce %s after a success and a failure, want 2", acct.Account.Nonce)
	}
	one := uint64(1)
	b.finalized.Store(&one)
	c.getJSON("/v1/transactions/"+hash32(h), 200, &ts)
	if ts.Status != api.Finalized {
		t.Fatalf("final: %+v", ts)
	}
	// A hash nobody knows.
	wantError(t, "unknown hash", c.get("/v1/transactions/0x"+strings.Repeat("ab", 32)), 404, CodeNotFound)
}

func TestOpenAPIYAML(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{})
	r := c.get("/v1/openapi.yaml")
	if r.status != 200 || r.header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	if !strings.Contains(string(r.body), "\nopenapi: 3.0.3\ninfo:\n") {
		t.Fatalf("does not start like an OpenAPI document:\n%.300s", r.body)
	}
	got, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatal(err)
	}
	want, err := api.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Fatalf("served spec differs from the embedded one")
	}
	if r := c.get("/v1/openapi.yaml?x=1"); r.status != 400 {
		t.Fatalf("query on openapi.yaml: %d", r.status)
	}
}

func TestDocsPage(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{})
	r := c.get("/v1/docs")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	page := html.UnescapeString(string(r.body))
	doc, _ := specDoc()
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, want := range []string{path, op.OperationID, op.Summary, method} {
				if !strings.Contains(page, want) {
					t.Errorf("docs lack %q", want)
				}
			}
			for _, p := range op.Parameters {
				if !strings.Contains(page, "<code>"+p.Value.Name+"</code>") {
					t.Errorf("docs lack parameter %s of %s", p.Value.Name, op.OperationID)
				}
			}
		}
	}
	for name := range doc.Components.Schemas {
		if !strings.Contains(page, `id="schema-`+name+`"`) {
			t.Errorf("docs lack schema %s", name)
		}
	}
	// Offline: no scripts, nothing loaded from elsewhere.
	for _, bad := range []string{"<script", "src=", "http://", "https://", "<link"} {
		if strings.Contains(page, bad) {
			t.Errorf("docs contain %q", bad)
		}
	}
	if r := c.do(http.MethodPost, "/v1/docs", nil, ""); r.status != 405 {
		t.Fatalf("POST /v1/docs: %d", r.status)
	}
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestMetrics(t *testing.T) {
	n, keys := newTestNode(t, node.Config{})
	reg := prometheus.NewRegistry()
	c := newServer(t, n, Config{Registry: reg})
	for i := range uint64(3) {
		if r := c.send(encodeTx(t, transfer(keys[aliceKey], i, keys[bobKey].Address(), 1))); r.status != 202 {
			t.Fatal(string(r.body))
		}
	}
	produce(t, n)
	if r := c.send(encodeTx(t, transfer(keys[aliceKey], 3, keys[bobKey].Address(), 1))); r.status != 202 {
		t.Fatal(string(r.body))
	}
	c.get("/v1/chain/status")
	c.get("/v1/nowhere")
	r := c.get("/metrics")
	if r.status != 200 {
		t.Fatalf("metrics: %d", r.status)
	}
	text := string(r.body)
	for _, want := range []string{
		"orama_chain_height 1\n",
		"orama_chain_finalized_height 1\n",
		"orama_mempool_transactions 1\n",
		"orama_transactions_total 3\n",
		`orama_api_request_duration_seconds_count{route="/v1/chain/status",status="200"} 1`,
		`orama_api_request_duration_seconds_count{route="/v1/transactions/send",status="202"} 4`,
		`orama_api_request_duration_seconds_count{route="unmatched",status="404"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
	// A second server cannot register the same metrics on the registry.
	if _, err := New(n, Config{Registry: reg}); err == nil {
		t.Fatal("second New on one registry succeeded")
	}
}

func TestPanicRecovered(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	logs := &lockedBuffer{}
	b := &testBackend{Node: n}
	c := newServer(t, b, Config{Logger: newBufferLogger(logs)})
	b.panicking.Store(true)
	wantError(t, "panic", c.get("/v1/blocks/latest"), 500, CodeInternal)
	b.panicking.Store(false)
	c.getJSON("/v1/blocks/latest", 200, nil)
	if !strings.Contains(logs.String(), "FinalizedHeight exploded") {
		t.Fatalf("panic not logged: %s", logs.String())
	}
}

func TestInternalErrorHidden(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	logs := &lockedBuffer{}
	b := &testBackend{Node: n}
	b.stateAt = func(uint64) (*state.State, *types.Block, error) {
		return nil, nil, errors.New("disk on fire at /var/secret/path")
	}
	c := newServer(t, b, Config{Logger: newBufferLogger(logs)})
	r := c.get("/v1/accounts/@alice?height=0")
	wantError(t, "internal", r, 500, CodeInternal)
	if strings.Contains(string(r.body), "secret") {
		t.Fatalf("internal detail leaked: %s", r.body)
	}
	if !strings.Contains(logs.String(), "disk on fire") {
		t.Fatalf("cause not logged: %s", logs.String())
	}
	c.getJSON("/v1/accounts/@alice", 200, nil)
}

func TestStatePruned(t *testing.T) {
	n, _ := newTestNode(t, node.Config{KeepVersions: 2})
	c := newServer(t, n, Config{})
	for range 64 {
		produce(t, n)
	}
	wantError(t, "pruned", c.get("/v1/accounts/@alice?height=1&proof=true"), 410, CodeStatePruned)
	wantError(t, "pruned", c.get("/v1/accounts/@alice?height=1"), 410, CodeStatePruned)
	c.getJSON("/v1/accounts/@alice?height=63&proof=true", 200, nil)
	wantError(t, "future", c.get("/v1/accounts/@alice?height=65"), 404, CodeNotFound)
}

// TestConcurrentReads reads every endpoint while blocks commit (run with
// -race).
func TestConcurrentReads(t *testing.T) {
	n, keys := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	paths := []string{
		"/v1/accounts/@alice?proof=true", "/v1/accounts/@alice/balance", "/v1/accounts/@alice/transactions",
		"/v1/blocks/latest", "/v1/chain/status", "/v1/validators",
	}
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p := paths[(i+w)%len(paths)]
				if r := c.get(p); r.status != 200 {
					t.Errorf("%s: %d %s", p, r.status, r.body)
					return
				}
			}
		})
	}
	for i := range uint64(20) {
		if r := c.send(encodeTx(t, transfer(keys[aliceKey], i, keys[bobKey].Address(), 1))); r.status != 202 {
			t.Errorf("send: %s", r.body)
		}
		produce(t, n)
	}
	close(stop)
	wg.Wait()
}

func TestFormatUnits(t *testing.T) {
	for _, tc := range []struct {
		v    uint64
		dec  int
		want string
	}{
		{1_500_000, oramaDecimals, "1.5"},
		{100_000, btcDecimals, "0.001"},
		{0, oramaDecimals, "0"},
		{0, btcDecimals, "0"},
		{1, oramaDecimals, "0.000001"},
		{1, btcDecimals, "0.00000001"},
		{1_000_000, oramaDecimals, "1"},
		{10 * params.SatsPerBTC, btcDecimals, "10"},
		{123_456_789, oramaDecimals, "123.456789"},
		{^uint64(0), oramaDecimals, "18446744073709.551615"},
		{^uint64(0), btcDecimals, "184467440737.09551615"},
	} {
		if got := formatUnits(tc.v, tc.dec); got != tc.want {
			t.Errorf("formatUnits(%d, %d) = %q, want %q", tc.v, tc.dec, got, tc.want)
		}
	}
	if oramaDecimals != 6 || btcDecimals != 8 {
		t.Fatalf("decimals %d %d", oramaDecimals, btcDecimals)
	}
}

func TestEffectivePower(t *testing.T) {
	for _, tc := range []struct {
		stake   uint64
		trusted bool
		want    uint64
	}{
		{1000, false, 1000},
		{1000, true, 1500},
		{1001, true, 1501},
		{^uint64(0), false, ^uint64(0)},
		{^uint64(0), true, ^uint64(0)},
		{^uint64(0) / 3 * 2, true, ^uint64(0) / 3 * 3},
	} {
		v := types.Validator{Stake: tc.stake, TrustedOS: tc.trusted}
		if got := effectivePower(&v); got != tc.want {
			t.Errorf("power(%d, %v) = %d, want %d", tc.stake, tc.trusted, got, tc.want)
		}
	}
}
