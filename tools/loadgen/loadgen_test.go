package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, c := range []struct {
		vals []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2), 50, 1 * time.Millisecond},
		{ms(1, 2), 51, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 75, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 90, 4 * time.Millisecond},
		{ms(hundred...), 50, 50 * time.Millisecond},
		{ms(hundred...), 90, 90 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 100, 100 * time.Millisecond},
	} {
		if got := percentile(c.vals, c.p); got != c.want {
			t.Errorf("percentile(%d values, %v) = %v, want %v", len(c.vals), c.p, got, c.want)
		}
	}
	st := summarise(ms(30, 10, 20))
	if st.n != 3 || st.p50 != 20*time.Millisecond || st.max != 30*time.Millisecond || st.p99 != 30*time.Millisecond {
		t.Errorf("summarise = %+v", st)
	}
}

func TestPacer(t *testing.T) {
	start := time.Unix(1000, 0)
	p := newPacer(1000, start) // burst 20
	if n := p.due(start); n != 0 {
		t.Fatalf("due at start = %d", n)
	}
	if n := p.due(start.Add(10 * time.Millisecond)); n != 10 {
		t.Fatalf("due after 10ms = %d, want 10", n)
	}
	for range 10 {
		p.take()
	}
	if n := p.due(start.Add(15 * time.Millisecond)); n != 5 {
		t.Fatalf("due after 15ms = %d, want 5", n)
	}
	// Nothing sent for a second: only a burst is due, the rest is skipped.
	if n := p.due(start.Add(1015 * time.Millisecond)); n != 20 {
		t.Fatalf("due after a stall = %d, want the burst 20", n)
	}
	if p.skipped != 1005-20 {
		t.Fatalf("skipped = %d, want %d", p.skipped, 1005-20)
	}
	// Over a long even run the sends match the rate exactly.
	p = newPacer(2500, start)
	sent := 0
	for ms := 1; ms <= 2000; ms++ {
		for n := p.due(start.Add(time.Duration(ms) * time.Millisecond)); n > 0; n-- {
			p.take()
			sent++
		}
	}
	if sent != 5000 || p.skipped != 0 {
		t.Fatalf("sent %d skipped %d in 2s at 2500/s", sent, p.skipped)
	}
}

// presigned returns channels holding fake signed transactions for senders
// from their start nonces.
func presigned(start []uint64, per int) []<-chan *signedTx {
	out := make([]<-chan *signedTx, len(start))
	for i, n := range start {
		ch := make(chan *signedTx, per)
		for k := range per {
			ch <- &signedTx{sender: i, nonce: n + uint64(k)}
		}
		out[i] = ch
	}
	return out
}

func TestSchedulerWindowAndOrder(t *testing.T) {
	now := time.Unix(1000, 0)
	start := []uint64{0, 5, 100}
	s := newScheduler(4, time.Hour, start, presigned(start, 20))
	next := map[int]uint64{0: 0, 1: 5, 2: 100}
	var order []int
	for {
		tx, ok := s.pick(now)
		if !ok {
			break
		}
		if tx.nonce != next[tx.sender] {
			t.Fatalf("sender %d got nonce %d, want %d", tx.sender, tx.nonce, next[tx.sender])
		}
		next[tx.sender]++
		order = append(order, tx.sender)
	}
	// Round robin until each sender has window=4 in flight.
	if want := []int{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if s.inflight() != 12 {
		t.Fatalf("inflight %d", s.inflight())
	}
	// Sender 1's nonces 5 and 6 final: two more for it, none for the others.
	s.confirm(1, 7, now)
	s.confirm(0, 0, now) // no progress: no room
	for _, want := range []uint64{9, 10} {
		tx, ok := s.pick(now)
		if !ok || tx.sender != 1 || tx.nonce != want {
			t.Fatalf("after confirm: %+v %v, want sender 1 nonce %d", tx, ok, want)
		}
	}
	if tx, ok := s.pick(now); ok {
		t.Fatalf("picked %+v past the window", tx)
	}
	// A confirmation past what was sent skips the stale signed nonces.
	s.confirm(2, 110, now)
	tx, ok := s.pick(now)
	if !ok || tx.sender != 2 || tx.nonce != 110 {
		t.Fatalf("after a jump: %+v %v, want sender 2 nonce 110", tx, ok)
	}
	if s.inflight() != 4+4+1 {
		t.Fatalf("inflight %d, want 9", s.inflight())
	}
}

func TestSchedulerRetriesStallsAndDeath(t *testing.T) {
	now := time.Unix(1000, 0)
	start := []uint64{0, 0}
	s := newScheduler(8, 10*time.Second, start, presigned(start, 8))
	a, _ := s.pick(now) // sender 0 nonce 0
	b, _ := s.pick(now) // sender 1 nonce 0
	c, _ := s.pick(now) // sender 0 nonce 1

	s.result(a, 429, "pool_full", nil, now)
	s.result(b, 202, "", nil, now)
	s.result(c, 0, "", errors.New("connection reset"), now)
	// Retries wait for their backoff, then come before new transactions.
	if tx, _ := s.pick(now); tx == a || tx == c {
		t.Fatal("retry before its backoff")
	}
	later := now.Add(time.Second)
	if tx, _ := s.pick(later); tx != a {
		t.Fatalf("first retry %+v, want the 429", tx)
	}
	if tx, _ := s.pick(later); tx != c {
		t.Fatalf("second retry %+v, want the transport failure", tx)
	}
	// A retry whose nonce became final is dropped.
	s.result(c, 503, "internal", nil, later)
	s.confirm(0, 2, later)
	if tx, _ := s.pick(later.Add(time.Second)); tx == c {
		t.Fatal("retried a final nonce")
	}
	if s.retried != 2 {
		t.Fatalf("retried %d", s.retried)
	}

	// Benign refusals need nothing.
	for _, code := range []string{"already_known", "nonce_too_low", "replacement_underpriced"} {
		if o := classify(409, code, nil); o == outcomeRetry || o == outcomePermanent {
			t.Fatalf("%s classified %d", code, o)
		}
	}

	// No finality progress for the stall timeout: in-flight resent once.
	inflight := s.inflight()
	if n := s.checkStalls(later.Add(5 * time.Second)); n != 0 {
		t.Fatalf("stall too early: %d", n)
	}
	stallAt := later.Add(20 * time.Second)
	if n := s.checkStalls(stallAt); n != inflight {
		t.Fatalf("resent %d, want %d", n, inflight)
	}
	if n := s.checkStalls(stallAt.Add(time.Second)); n != 0 {
		t.Fatalf("resent again at once: %d", n)
	}

	// A permanent refusal stops its sender only.
	tx, _ := s.pick(stallAt)
	for tx != nil && tx.sender != 1 {
		tx, _ = s.pick(stallAt)
	}
	if tx == nil {
		t.Fatal("no transaction of sender 1")
	}
	s.result(tx, 400, "invalid_signature", nil, stallAt)
	if n, why := s.dead(); n != 1 || why["400 invalid_signature"] != 1 {
		t.Fatalf("dead %d %v", n, why)
	}
	for range 20 {
		if tx, ok := s.pick(stallAt.Add(time.Minute)); ok && tx.sender == 1 {
			t.Fatalf("dead sender picked: %+v", tx)
		}
	}
}

func TestSampler(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var s sampler
	if s.take(t0) {
		t.Fatal("sample before arming")
	}
	s.arm(t0, 10*time.Second, 5) // instants 1s, 3s, 5s, 7s, 9s
	var got []time.Duration
	for ms := 0; ms < 12000; ms += 100 {
		now := t0.Add(time.Duration(ms) * time.Millisecond)
		if s.take(now) {
			got = append(got, now.Sub(t0))
			if len(got) == 2 {
				s.retake() // refused: the next dispatch replaces it
			}
		}
	}
	want := []time.Duration{1 * time.Second, 3 * time.Second, 3100 * time.Millisecond, 5 * time.Second, 7 * time.Second, 9 * time.Second}
	if !slices.Equal(got, want) {
		t.Fatalf("samples at %v, want %v", got, want)
	}
}

func TestSignTransfer(t *testing.T) {
	k := cryptotest.Key(1000)
	to := cryptotest.Key(1001).Address()
	st, err := signTransfer(k, 4242, 7, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	tx := decodeBody(t, st.body)
	if tx.Nonce != 7 || tx.From != k.Address() || tx.To != to || tx.Amount != 1 || tx.GasLimit != params.GasTransfer ||
		tx.GasTipCap != 1 || tx.GasFeeCap != params.MaxBaseFee || tx.Type != types.TxTypeTransfer || tx.Asset != types.AssetOrama {
		t.Fatalf("transaction %+v", tx)
	}
	p, _ := tx.SigningPayload()
	if err := crypto.VerifyDomain(crypto.DomainTransaction, 4242, p, tx.Signature, tx.From); err != nil {
		t.Fatal(err)
	}
	if err := crypto.VerifyDomain(crypto.DomainTransaction, 4243, p, tx.Signature, tx.From); err == nil {
		t.Fatal("signature valid for another chain")
	}
	h, _ := tx.Hash()
	if st.hash != "0x"+hex.EncodeToString(h[:]) {
		t.Fatalf("hash %s, want %x", st.hash, h)
	}
}

func decodeBody(t *testing.T, body []byte) *types.Transaction {
	t.Helper()
	var req struct {
		Transaction string `json:"transaction"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(req.Transaction, "0x"))
	if err != nil {
		t.Fatal(err)
	}
	var tx types.Transaction
	if err := tx.UnmarshalBorsh(raw); err != nil {
		t.Fatal(err)
	}
	return &tx
}

// fakeChain is a chain behind fake REST APIs: it admits transfers as the
// node's mempool does (signature, nonce window), makes a final block every
// 20 ms from each sender's contiguous nonces, and serves status, accounts,
// blocks and transactions consistently.
type fakeChain struct {
	chainID uint64
	window  uint64

	mu      sync.Mutex
	nonce   map[types.Address]uint64
	pool    map[types.Address]map[uint64]*types.Transaction
	pooled  map[types.Hash]bool
	height  map[types.Hash]uint64
	blocks  []fakeBlock
	posts   int
	ok      int
	badSig  int
	badTx   int
	gap     int
	tooLow  int
	refused int // injected 429s
	every   int // refuse every n-th POST with 429 pool_full
}

type fakeBlock struct {
	hash, root string
	txs        []*types.Transaction
}

func newFakeChain(t *testing.T, accounts int) *fakeChain {
	f := &fakeChain{
		chainID: 4242, window: 64, every: 37,
		nonce:  map[types.Address]uint64{},
		pool:   map[types.Address]map[uint64]*types.Transaction{},
		pooled: map[types.Hash]bool{},
		height: map[types.Hash]uint64{},
		blocks: []fakeBlock{{hash: "0x" + strings.Repeat("ab", 32), root: "0x" + strings.Repeat("cd", 32)}},
	}
	for i := range accounts {
		f.nonce[cryptotest.Key(keyBase+i).Address()] = uint64(i%3) * 5 // some accounts have sent before
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				f.makeBlock()
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

func hexHash(b []byte) string {
	h := sha256.Sum256(b)
	return "0x" + hex.EncodeToString(h[:])
}

func (f *fakeChain) makeBlock() {
	f.mu.Lock()
	defer f.mu.Unlock()
	senders := make([]types.Address, 0, len(f.pool))
	for a := range f.pool {
		senders = append(senders, a)
	}
	slices.SortFunc(senders, func(x, y types.Address) int { return bytes.Compare(x[:], y[:]) })
	h := uint64(len(f.blocks))
	var txs []*types.Transaction
	seed := binary.BigEndian.AppendUint64([]byte(f.blocks[h-1].hash), h)
	for _, a := range senders {
		for len(txs) < params.MaxBlockTransactions {
			tx := f.pool[a][f.nonce[a]]
			if tx == nil {
				break
			}
			delete(f.pool[a], f.nonce[a])
			f.nonce[a]++
			th, _ := tx.Hash()
			delete(f.pooled, th)
			f.height[th] = h
			seed = append(seed, th[:]...)
			txs = append(txs, tx)
		}
	}
	f.blocks = append(f.blocks, fakeBlock{hash: hexHash(seed), root: hexHash(append([]byte("root"), seed...)), txs: txs})
}

// txsIn counts the transactions of the blocks in (h0, h1].
func (f *fakeChain) txsIn(h0, h1 uint64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for h := h0 + 1; h <= h1; h++ {
		n += len(f.blocks[h].txs)
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// server returns an API onto the chain; corrupt, if set, alters the state
// root it reports for some heights.
func (f *fakeChain) server(t *testing.T, corrupt func(uint64) bool) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/chain/status", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		h := uint64(len(f.blocks) - 1)
		head, genesis, pooled := f.blocks[h], f.blocks[0].hash, len(f.pooled)
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{
			"chain_id": strconv.FormatUint(f.chainID, 10), "genesis_hash": genesis,
			"height": strconv.FormatUint(h, 10), "head_hash": head.hash, "finalized_height": strconv.FormatUint(h, 10),
			"state_root": head.root, "timestamp": "0", "base_fee": "10", "mempool_size": pooled,
			"view": "1", "leader": crypto.FormatAddress(cryptotest.Key(1).Address()), "peers": 0, "syncing": false,
		})
	})
	mux.HandleFunc("GET /v1/accounts/{id}", func(w http.ResponseWriter, r *http.Request) {
		a, err := crypto.ParseAddress(r.PathValue("id"))
		if err != nil {
			writeErr(w, 400, "invalid_account", err.Error())
			return
		}
		f.mu.Lock()
		n, h := f.nonce[a], len(f.blocks)-1
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"height": strconv.Itoa(h), "account": map[string]any{
			"address": crypto.FormatAddress(a), "username": "", "nonce": strconv.FormatUint(n, 10), "orama_balance": "1000000000",
		}})
	})
	mux.HandleFunc("POST /v1/transactions/send", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Transaction string `json:"transaction"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		err := dec.Decode(&req)
		raw, herr := hex.DecodeString(strings.TrimPrefix(req.Transaction, "0x"))
		var tx types.Transaction
		f.mu.Lock()
		defer f.mu.Unlock()
		f.posts++
		if err != nil || herr != nil || !strings.HasPrefix(req.Transaction, "0x") || tx.UnmarshalBorsh(raw) != nil {
			f.badTx++
			writeErr(w, 400, "invalid_transaction", "cannot decode")
			return
		}
		p, _ := tx.SigningPayload()
		if err := crypto.VerifyDomain(crypto.DomainTransaction, f.chainID, p, tx.Signature, tx.From); err != nil {
			f.badSig++
			writeErr(w, 400, "invalid_signature", err.Error())
			return
		}
		if tx.Type != types.TxTypeTransfer || tx.Amount != 1 || tx.GasLimit != params.GasTransfer || tx.GasTipCap != 1 || tx.GasFeeCap != params.MaxBaseFee {
			f.badTx++
			writeErr(w, 400, "invalid_transaction", "not the expected transfer")
			return
		}
		if f.every > 0 && f.posts%f.every == 0 {
			f.refused++
			writeErr(w, 429, "pool_full", "injected")
			return
		}
		th, _ := tx.Hash()
		acct := f.nonce[tx.From]
		switch {
		case f.pooled[th]:
			writeErr(w, 409, "already_known", "known")
			return
		case tx.Nonce < acct:
			f.tooLow++
			writeErr(w, 400, "nonce_too_low", fmt.Sprintf("nonce %d, account nonce %d", tx.Nonce, acct))
			return
		case tx.Nonce-acct >= f.window:
			f.gap++
			writeErr(w, 400, "nonce_gap", fmt.Sprintf("nonce %d, account nonce %d", tx.Nonce, acct))
			return
		}
		if f.pool[tx.From] == nil {
			f.pool[tx.From] = map[uint64]*types.Transaction{}
		}
		f.pool[tx.From][tx.Nonce] = &tx
		f.pooled[th] = true
		f.ok++
		writeJSON(w, 202, map[string]string{"hash": "0x" + hex.EncodeToString(th[:])})
	})
	mux.HandleFunc("GET /v1/transactions/{hash}", func(w http.ResponseWriter, r *http.Request) {
		var th types.Hash
		raw, err := hex.DecodeString(strings.TrimPrefix(r.PathValue("hash"), "0x"))
		if err != nil || len(raw) != 32 {
			writeErr(w, 400, "invalid_parameter", "bad hash")
			return
		}
		copy(th[:], raw)
		f.mu.Lock()
		h, in := f.height[th]
		pending := f.pooled[th]
		f.mu.Unlock()
		switch {
		case in:
			writeJSON(w, 200, map[string]any{"hash": r.PathValue("hash"), "status": "finalized", "height": strconv.FormatUint(h, 10), "index": 0})
		case pending:
			writeJSON(w, 200, map[string]any{"hash": r.PathValue("hash"), "status": "pending"})
		default:
			writeErr(w, 404, "not_found", "unknown transaction")
		}
	})
	mux.HandleFunc("GET /v1/blocks/{id}", func(w http.ResponseWriter, r *http.Request) {
		h, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
		if err != nil {
			writeErr(w, 400, "invalid_parameter", "bad height")
			return
		}
		f.mu.Lock()
		if h >= uint64(len(f.blocks)) {
			f.mu.Unlock()
			writeErr(w, 404, "not_found", "no such block")
			return
		}
		b, parent := f.blocks[h], f.blocks[max(h, 1)-1].hash
		f.mu.Unlock()
		root := b.root
		if corrupt != nil && corrupt(h) {
			root = "0x" + strings.Repeat("00", 32)
		}
		txs := make([]map[string]any, len(b.txs))
		for i, tx := range b.txs {
			th, _ := tx.Hash()
			txs[i] = map[string]any{
				"hash": "0x" + hex.EncodeToString(th[:]), "type": "Transfer",
				"from": crypto.FormatAddress(tx.From), "to": crypto.FormatAddress(tx.To), "amount": "1", "asset": "Orama",
				"nonce": strconv.FormatUint(tx.Nonce, 10), "gas_limit": "100", "gas_tip_cap": "1", "gas_fee_cap": "100",
				"data": "0x", "signature": "0x" + hex.EncodeToString(tx.Signature[:]),
			}
		}
		writeJSON(w, 200, map[string]any{
			"hash":         b.hash,
			"header":       map[string]any{"height": strconv.FormatUint(h, 10), "state_root": root, "parent_hash": parent},
			"transactions": txs,
			"finalized":    true,
		})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// runJSON runs the generator with --json and decodes its report.
func runJSON(t *testing.T, args ...string) (int, *report, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), context.Background(), append(args, "--json"), &stdout, &stderr)
	var rep report
	if code == 0 || code == 1 && stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("exit %d, stdout %q: %v\nstderr:\n%s", code, stdout.String(), err, stderr.String())
		}
		return code, &rep, stderr.String()
	}
	return code, nil, stderr.String()
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	const accounts = 8
	f := newFakeChain(t, accounts)
	a, b := f.server(t, nil), f.server(t, nil)
	code, rep, logs := runJSON(t, "--api", a.URL+","+b.URL, "--accounts", strconv.Itoa(accounts), "--rate", "400",
		"--duration", "2s", "--warmup", "500ms", "--conns", "8", "--latency-samples", "20", "--progress", "1s",
		"--min-tps", "50", "--max-p50", "2s")
	t.Logf("stderr:\n%s", logs)
	if code != 0 || rep == nil {
		t.Fatalf("exit %d", code)
	}
	t.Logf("report %+v", *rep)
	f.mu.Lock()
	posts, ok, badSig, badTx, gap, tooLow, refused := f.posts, f.ok, f.badSig, f.badTx, f.gap, f.tooLow, f.refused
	f.mu.Unlock()
	if badSig != 0 || badTx != 0 {
		t.Fatalf("fake refused %d bad signatures and %d bad transactions", badSig, badTx)
	}
	if gap != 0 || tooLow != 0 {
		t.Fatalf("nonce discipline: %d beyond the window, %d too low", gap, tooLow)
	}
	if rep.Total.Submitted != int64(posts) || rep.Total.Accepted != int64(ok) || rep.Total.Rejected != int64(posts-ok) {
		t.Fatalf("whole run %+v, fake saw %d posts, %d accepted", rep.Total, posts, ok)
	}
	if rep.Total.Rejections["429 pool_full"] != int64(refused) || refused == 0 {
		t.Fatalf("rejections %v, fake injected %d", rep.Total.Rejections, refused)
	}
	if rep.Retried == 0 {
		t.Fatal("no retry of the refused transactions")
	}
	if rep.Submitted != rep.Accepted+rep.Rejected || rep.Submitted == 0 || rep.Submitted > rep.Total.Submitted {
		t.Fatalf("window counts %d = %d + %d (whole run %d)", rep.Submitted, rep.Accepted, rep.Rejected, rep.Total.Submitted)
	}
	if rep.SubmitRate < 200 || rep.SubmitRate > 440 {
		t.Fatalf("submit rate %.1f, target 400", rep.SubmitRate)
	}
	if want := f.txsIn(rep.H0, rep.H1); rep.FinalizedTxs != int64(want) || want == 0 {
		t.Fatalf("finalized_txs %d, fake blocks (%d, %d] hold %d", rep.FinalizedTxs, rep.H0, rep.H1, want)
	}
	if rep.Blocks != int(rep.H1-rep.H0) || rep.WindowS < 1.9 || rep.WindowS > 2.5 {
		t.Fatalf("blocks %d in (%d, %d], window %.2fs", rep.Blocks, rep.H0, rep.H1, rep.WindowS)
	}
	if d := rep.TPS - float64(rep.FinalizedTxs)/rep.WindowS; d > 1e-6 || d < -1e-6 {
		t.Fatalf("tps %f", rep.TPS)
	}
	if rep.Samples+rep.Unfinalized != 20 || rep.Unfinalized != 0 {
		t.Fatalf("latency samples %d, unfinalized %d, want 20 and 0", rep.Samples, rep.Unfinalized)
	}
	if p := rep.LatencyMs; p.P50 == nil || *p.P50 <= 0 || *p.P50 > *p.P90 || *p.P90 > *p.P99 || *p.P99 > *p.Max || *p.Max > 1000 {
		t.Fatalf("latency %+v", p)
	}
	if rep.SafetyViolations != 0 || len(rep.Warnings) != 0 || rep.DeadSenders != 0 {
		t.Fatalf("safety %d %v, dead senders %d", rep.SafetyViolations, rep.Warnings, rep.DeadSenders)
	}
}

func TestSafetyViolation(t *testing.T) {
	t.Parallel()
	f := newFakeChain(t, 4)
	f.every = 0
	a := f.server(t, nil)
	b := f.server(t, func(h uint64) bool { return h%3 == 0 })
	code, rep, logs := runJSON(t, "--api", a.URL+","+b.URL, "--accounts", "4", "--rate", "200",
		"--duration", "1s", "--warmup", "0s", "--latency-samples", "5", "--progress", "0")
	if code != 1 || rep == nil {
		t.Fatalf("exit %d, want 1\n%s", code, logs)
	}
	want := 0
	for h := rep.H0 + 1; h <= rep.H1; h++ {
		if h%3 == 0 {
			want++
		}
	}
	if rep.SafetyViolations != want || want == 0 || len(rep.Failed) == 0 {
		t.Fatalf("violations %d (%v), want %d in (%d, %d]", rep.SafetyViolations, rep.Violations, want, rep.H0, rep.H1)
	}
	if !strings.Contains(logs, "SAFETY VIOLATION") {
		t.Fatalf("no violation logged:\n%s", logs)
	}
}

func TestBarsMissed(t *testing.T) {
	t.Parallel()
	f := newFakeChain(t, 2)
	f.every = 0
	a := f.server(t, nil)
	code, rep, logs := runJSON(t, "--api", a.URL, "--accounts", "2", "--rate", "100",
		"--duration", "500ms", "--warmup", "0s", "--latency-samples", "3", "--progress", "0",
		"--min-tps", "1000000", "--max-p50", "1ns")
	if code != 1 || rep == nil || len(rep.Failed) != 2 || rep.SafetyViolations != 0 {
		t.Fatalf("exit %d, report %+v\n%s", code, rep, logs)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there now
	start := time.Now()
	code, _, logs := runJSON(t, "--api", srv.URL, "--duration", "1s")
	if code != 1 || !strings.Contains(logs, "unreachable") || !strings.Contains(logs, srv.URL) {
		t.Fatalf("exit %d:\n%s", code, logs)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	if code, _, _ := runJSON(t, "--accounts", "513"); code != 2 {
		t.Fatalf("--accounts 513: exit %d, want 2", code)
	}
	if code, _, _ := runJSON(t, "--window", "65"); code != 2 {
		t.Fatalf("--window 65: exit %d, want 2", code)
	}
}
