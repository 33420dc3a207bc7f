package suite

import (
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// finalWait bounds how long a transaction may take to be final.
const finalWait = 30 * time.Second

// included is a transaction followed to its final block.
type included struct {
	st      *api.TransactionStatus
	header  types.BlockHeader
	receipt types.Receipt
	fee     uint64 // burned + tip, in rays
}

// final follows s to finality and checks what the node shows of it: the
// transaction itself, its place in the block, and a receipt with the status
// the check expects, the intrinsic gas, the fees the block's base fee
// gives (spec/state.md "Fee, nonce, then the type", step 1) and, on
// success, the events.
func (l *live) final(c *C, s signed, want types.TxStatus, events []types.Event) *included {
	st := l.nut.waitFinal(c, s.hash, finalWait)
	out := &included{st: st}
	if st.Transaction == nil || st.Height == nil || st.Index == nil || st.Receipt == nil {
		c.Fatalf("transaction %s: final, but without transaction, height, index or receipt: %s", s, jsonOf(st))
	}
	tx, h, err := txFromAPI(*st.Transaction)
	if err != nil || h != s.hash || !deepEqual(&tx, &s.tx) {
		c.Errorf("transaction %s is shown as %s (%v)", s, jsonOf(st.Transaction), err)
	}
	b, hd, _, ok := l.block(c, l.nut, *st.Height)
	if !ok {
		c.Fatalf("no block %s holding %s", *st.Height, s)
	}
	out.header = hd
	if i := int(*st.Index); i < 0 || i >= len(b.Transactions) || b.Transactions[i].Hash != hashHex(s.hash) {
		c.Errorf("transaction %s: block %s holds no such transaction at index %d", s, *st.Height, *st.Index)
	}
	rc, err := receiptFromAPI(*st.Receipt)
	if err != nil {
		c.Fatalf("receipt of %s: %v", s, err)
	}
	out.receipt = rc
	gas, burned, tip := fees(&s.tx, hd.BaseFee)
	out.fee = burned + tip
	if rc.TxHash != s.hash || rc.Status != want || rc.GasUsed != gas || rc.FeeBurned != burned || rc.FeeTip != tip {
		c.Errorf("receipt of %s in block %d (base fee %d): %s; want status %v, gas %d, burned %d, tip %d",
			s, hd.Height, hd.BaseFee, jsonOf(st.Receipt), want, gas, burned, tip)
	}
	if want == types.TxStatusSuccess {
		if st.Status != api.Finalized {
			c.Errorf("transaction %s succeeded: status %q, want finalized", s, st.Status)
		}
		if !eventsEqual(rc.Events, events) {
			c.Errorf("receipt of %s: events %s, want %s", s, jsonOf(st.Receipt.Events), jsonOf(events))
		}
		l.r.cov.txOutcome(s.tx.Type, "succeeded")
	} else {
		if st.Status != api.Rejected || st.Reason == nil || *st.Reason != want.String() {
			c.Errorf("transaction %s failed with %v: status %q reason %v, want rejected and %v", s, want, st.Status, st.Reason, want)
		}
		if len(rc.Events) != 0 {
			c.Errorf("failed transaction %s lists events", s)
		}
		l.r.cov.txOutcome(s.tx.Type, "failed")
	}
	return out
}

func eventsEqual(a, b []types.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !deepEqual(&a[i], &b[i]) {
			return false
		}
	}
	return true
}

func transferEvent(tx *types.Transaction) []types.Event {
	ev := types.TransferEvent{From: tx.From, To: tx.To, Amount: tx.Amount, Asset: tx.Asset}
	data, _ := ev.MarshalBorsh()
	return []types.Event{{Emitter: tx.From, Topic: "transfer", Data: data}}
}

func usernameEvent(from types.Address, name string) []types.Event {
	ev := types.UsernameClaimedEvent{Address: from, Username: name}
	data, _ := ev.MarshalBorsh()
	return []types.Event{{Emitter: from, Topic: "username", Data: data}}
}

// expectAccount checks a proven account's balances, nonce and username.
func (l *live) expectAccount(c *C, what string, addr types.Address, orama, btc, nonce uint64, username string) *provenAccount {
	pa := l.proven(c, addr, "", true)
	a := pa.account
	if a.OramaBalance != orama || a.BTCBalance != btc || a.Nonce != nonce || a.Username != username {
		c.Errorf("%s %s at block %d: %d rays, %d sats, nonce %d, username %q; want %d, %d, %d, %q",
			what, crypto.FormatAddress(addr), pa.header.Height, a.OramaBalance, a.BTCBalance, a.Nonce, a.Username, orama, btc, nonce, username)
	}
	return pa
}

// checkTransfer: ORAMA, BTC and zero-amount transfers, each charged and
// credited exactly.
func (l *live) checkTransfer(c *C) {
	k := testKey(keyTransfer)
	from := k.Address()
	r1, r2, r3 := l.freshKey().Address(), l.freshKey().Address(), l.freshKey().Address()
	txs := []signed{
		sign(k, liveChainID, transfer(from, r1, 1_500_000, types.AssetOrama, 0)),
		sign(k, liveChainID, transfer(from, r2, 12_345, types.AssetBTC, 1)),
		sign(k, liveChainID, transfer(from, r3, 0, types.AssetOrama, 2)),
	}
	for _, s := range txs {
		if !l.nut.submit(c, s) {
			c.Fatalf("transfer %s not admitted", s)
		}
	}
	var fee uint64
	for _, s := range txs {
		fee += l.final(c, s, types.TxStatusSuccess, transferEvent(&s.tx)).fee
	}
	l.expectAccount(c, "sender", from, fundedOrama-1_500_000-fee, fundedBTC-12_345, 3, "")
	l.expectAccount(c, "ORAMA recipient", r1, 1_500_000, 0, 0, "")
	l.expectAccount(c, "BTC recipient", r2, 0, 12_345, 0, "")
	// A successful transfer writes its recipient's leaf even for a zero
	// amount (spec/state.md "The global state tree").
	if pa := l.expectAccount(c, "zero-amount recipient", r3, 0, 0, 0, ""); !pa.exists {
		c.Errorf("the recipient of a zero-amount transfer has no leaf in the state tree")
	}
}

// checkSelfTransfer: a transfer to oneself costs the fee only.
func (l *live) checkSelfTransfer(c *C) {
	k := testKey(keySelf)
	s := sign(k, liveChainID, transfer(k.Address(), k.Address(), 1_000_000, types.AssetOrama, 0))
	if !l.nut.submit(c, s) {
		return
	}
	inc := l.final(c, s, types.TxStatusSuccess, transferEvent(&s.tx))
	l.expectAccount(c, "self-sender", k.Address(), fundedOrama-inc.fee, fundedBTC, 1, "")
}

// checkClaim: a username claim, then the name resolves everywhere.
func (l *live) checkClaim(c *C) {
	k := testKey(keyClaim)
	s := sign(k, liveChainID, claim(k.Address(), claimName, 0))
	if !l.nut.submit(c, s) {
		return
	}
	inc := l.final(c, s, types.TxStatusSuccess, usernameEvent(k.Address(), claimName))
	l.expectAccount(c, "claimant", k.Address(), fundedOrama-inc.fee, fundedBTC, 1, claimName)
	var ar api.AccountResponse
	if l.nut.get(c, "getAccount", "/v1/accounts/@"+claimName, &ar) && ar.Account.Address != crypto.FormatAddress(k.Address()) {
		c.Errorf("@%s names %s, claimed by %s", claimName, ar.Account.Address, crypto.FormatAddress(k.Address()))
	}
	var bal api.Balance
	if l.nut.get(c, "getBalance", "/v1/accounts/@"+claimName+"/balance", &bal) && bal.Address != crypto.FormatAddress(k.Address()) {
		c.Errorf("the balance of @%s is %s's", claimName, bal.Address)
	}
	// The name is now taken, and the claimant has one.
	other := testKey(keyRefusals)
	l.nut.refused(c, sign(other, liveChainID, claim(other.Address(), claimName, 0)), 409, "username_taken", "a claim of a name claimed on chain")
	l.nut.refused(c, sign(k, liveChainID, claim(k.Address(), "another-name", 1)), 409, "username_already_set", "a second claim")
}

// checkFailedCharged: a BTC transfer that would overflow its recipient's
// balance passes admission (which checks the sender only), is included,
// fails with AmountOverflow, and still pays its fee and uses its nonce.
func (l *live) checkFailedCharged(c *C) {
	k := testKey(keyFailed)
	whale := testKey(keyWhale).Address()
	s := sign(k, liveChainID, transfer(k.Address(), whale, 1, types.AssetBTC, 0))
	if !l.nut.submit(c, s) {
		return
	}
	inc := l.final(c, s, types.TxStatusAmountOverflow, nil)
	if inc.fee == 0 {
		c.Errorf("the failed transaction paid no fee")
	}
	l.expectAccount(c, "failed sender", k.Address(), fundedOrama-inc.fee, fundedBTC, 1, "")
	l.expectAccount(c, "recipient at the BTC maximum", whale, fundedOrama, math.MaxUint64, 0, "")
}

// checkNonceTooLow: a used nonce is refused; the included bytes again are
// already known.
func (l *live) checkNonceTooLow(c *C) {
	k := testKey(keyNonceLow)
	to := l.freshKey().Address()
	s := sign(k, liveChainID, transfer(k.Address(), to, 10, types.AssetOrama, 0))
	if !l.nut.submit(c, s) {
		return
	}
	l.final(c, s, types.TxStatusSuccess, transferEvent(&s.tx))
	l.nut.refused(c, sign(k, liveChainID, transfer(k.Address(), to, 11, types.AssetOrama, 0)), 400, "nonce_too_low", "another transaction at a used nonce")
	l.nut.refused(c, s, 409, "already_known", "an included transaction sent again")
}

// checkNonceGapFilled: transactions behind a gap wait in the pool and are
// included in nonce order once it is filled.
func (l *live) checkNonceGapFilled(c *C) {
	k := testKey(keyGap)
	to := l.freshKey().Address()
	var txs [3]signed
	for i := range txs {
		txs[i] = sign(k, liveChainID, transfer(k.Address(), to, uint64(i+1), types.AssetOrama, uint64(i)))
	}
	for _, i := range []int{2, 1} {
		if !l.nut.submit(c, txs[i]) {
			return
		}
	}
	sleep(c, 4*l.r.cfg.BlockTime)
	for _, i := range []int{2, 1} {
		if st, ok := l.nut.txStatus(c, txs[i].hash); ok && st.Status != api.Pending {
			c.Errorf("transaction at nonce %d behind a gap: status %q, want pending", i, st.Status)
		}
	}
	if !l.nut.submit(c, txs[0]) {
		return
	}
	var last [2]int64 = [2]int64{-1, -1}
	for i, s := range txs {
		inc := l.final(c, s, types.TxStatusSuccess, transferEvent(&s.tx))
		place := [2]int64{int64(inc.header.Height), int64(*inc.st.Index)}
		if place[0] < last[0] || place[0] == last[0] && place[1] <= last[1] {
			c.Errorf("nonce %d included at block %d index %d, before nonce %d", i, place[0], place[1], i-1)
		}
		last = place
	}
	l.expectAccount(c, "recipient", to, 6, 0, 0, "")
}

// checkReplacement: a pooled transaction is replaced only by one with
// both caps 10% higher, and then only the replacement is included.
func (l *live) checkReplacement(c *C) {
	k := testKey(keyReplace)
	to := l.freshKey().Address()
	at := func(amount, tip, cap uint64) signed {
		tx := transfer(k.Address(), to, amount, types.AssetOrama, 1)
		tx.GasTipCap, tx.GasFeeCap = tip, cap
		return sign(k, liveChainID, tx)
	}
	orig := at(1, 10, 50)
	if !l.nut.submit(c, orig) {
		return
	}
	l.nut.refused(c, at(2, 10, 54), 409, "replacement_underpriced", "a replacement whose caps are not both 10% higher")
	l.nut.refused(c, at(2, 10, 100), 409, "replacement_underpriced", "a replacement with the same tip cap")
	repl := at(3, 20, 100)
	if !l.nut.submit(c, repl) {
		return
	}
	first := sign(k, liveChainID, transfer(k.Address(), to, 0, types.AssetOrama, 0))
	if !l.nut.submit(c, first) {
		return
	}
	l.final(c, first, types.TxStatusSuccess, transferEvent(&first.tx))
	l.final(c, repl, types.TxStatusSuccess, transferEvent(&repl.tx))
	l.nut.fails(c, get("getTransaction", "/v1/transactions/"+hashHex(orig.hash)), 404, "not_found")
	l.expectAccount(c, "recipient", to, 3, 0, 0, "")
}

// checkReplay: a transaction signed for another chain id is refused; the
// same transaction signed for this chain is included once, and sending its
// bytes again is refused.
func (l *live) checkReplay(c *C) {
	k := testKey(keyReplay)
	tx := transfer(k.Address(), l.freshKey().Address(), 5, types.AssetOrama, 0)
	other := sign(k, otherChainID, tx)
	l.nut.refused(c, other, 400, "invalid_signature", "a transaction signed for chain id 7358")
	s := sign(k, liveChainID, tx)
	if !l.nut.submit(c, s) {
		return
	}
	l.final(c, s, types.TxStatusSuccess, transferEvent(&s.tx))
	l.nut.refused(c, s, 409, "already_known", "a replay of an included transaction")
	l.nut.refused(c, other, 400, "invalid_signature", "the other chain's signature after the transaction was included")
}

// checkHistory: an account's history, newest or oldest first, in pages
// that add up to exactly its transactions in chain order, the same by
// address and by username.
func (l *live) checkHistory(c *C) {
	k := testKey(keyHistory)
	recipients := []types.Address{l.freshKey().Address(), l.freshKey().Address(), l.freshKey().Address()}
	var sent []signed
	for batch := range 3 {
		var now []signed
		for i := range 4 {
			n := uint64(batch*4 + i)
			s := sign(k, liveChainID, transfer(k.Address(), recipients[i%3], n+1, types.AssetOrama, n))
			if !l.nut.submit(c, s) {
				c.Fatalf("history transfer not admitted")
			}
			now = append(now, s)
		}
		for _, s := range now {
			l.nut.waitFinal(c, s.hash, finalWait)
		}
		sent = append(sent, now...)
	}
	// Chain order: by height, then index.
	type place struct {
		h     uint64
		i     int32
		hash  string
		state *api.TransactionStatus
	}
	var order []place
	for _, s := range sent {
		st, ok := l.nut.txStatus(c, s.hash)
		if !ok || st.Height == nil || st.Index == nil {
			c.Fatalf("history transfer %s has no place", s)
		}
		order = append(order, place{atou(*st.Height), *st.Index, hashHex(s.hash), st})
	}
	slices.SortFunc(order, func(a, b place) int {
		if a.h != b.h {
			return cmpU64(a.h, b.h)
		}
		return int(a.i - b.i)
	})
	asc := make([]string, len(order))
	for i, p := range order {
		asc[i] = p.hash
	}
	desc := slices.Clone(asc)
	slices.Reverse(desc)

	byAddr := "/v1/accounts/" + crypto.FormatAddress(k.Address()) + "/transactions"
	byName := "/v1/accounts/@" + genesisName + "/transactions"
	for _, tc := range []struct {
		base, query string
		want        []string
	}{
		{byName, "limit=5", desc},
		{byAddr, "limit=5&order=asc", asc},
		{byAddr, "", desc},
		{byName, "sort=height&order=desc&limit=100", desc},
		{byName, "sort=timestamp&order=asc&limit=7", asc},
	} {
		got := l.pages(c, tc.base, tc.query)
		if !slices.Equal(got, tc.want) {
			c.Errorf("GET %s?%s: %d transactions %v, want %d in chain order %v", tc.base, tc.query, len(got), got, len(tc.want), tc.want)
		}
	}
	// Each page entry is the transaction as GET /v1/transactions shows it.
	var page api.TransactionPage
	if l.nut.get(c, "getAccountTransactions", byAddr+"?order=asc&limit=100", &page) {
		for i, it := range page.Transactions {
			if i >= len(order) {
				break
			}
			st := order[i].state
			if it.Height != *st.Height || it.Index != *st.Index || jsonOf(it.Receipt) != jsonOf(st.Receipt) || it.Transaction.Hash != st.Hash {
				c.Errorf("history entry %d: %s; GET /v1/transactions shows %s", i, jsonOf(it), jsonOf(st))
			}
			if _, hd, _, ok := l.block(c, l.nut, it.Height); ok && it.Timestamp != u64s(hd.Timestamp) {
				c.Errorf("history entry %d: timestamp %s, block %s has %d", i, it.Timestamp, it.Height, hd.Timestamp)
			}
		}
	}
	// A recipient's history holds what it received.
	var rp api.TransactionPage
	received := 0
	for _, s := range sent {
		if s.tx.To == recipients[0] {
			received++
		}
	}
	if l.nut.get(c, "getAccountTransactions", "/v1/accounts/"+crypto.FormatAddress(recipients[0])+"/transactions", &rp) && len(rp.Transactions) != received {
		c.Errorf("recipient history: %d transactions, it received %d", len(rp.Transactions), received)
	}
	for _, q := range []string{"limit=0", "limit=101", "order=up", "sort=size", "cursor=abc", "cursor=1-2-3", "limit=x"} {
		l.nut.fails(c, get("getAccountTransactions", byAddr+"?"+q), 400, "invalid_parameter")
	}
	l.nut.fails(c, get("getAccountTransactions", byAddr+"?page=2"), 400, "unknown_parameter")
	l.nut.fails(c, get("getAccountTransactions", "/v1/accounts/nonsense/transactions"), 400, "invalid_account")
	l.nut.fails(c, get("getAccountTransactions", "/v1/accounts/@no-such-name/transactions"), 404, "unknown_username")
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pages follows next_cursor from base?query and returns the hashes in the
// order served. A page shorter than its limit ends the history, so it
// carries no cursor, and no cursor may lead back to a transaction already
// served.
func (l *live) pages(c *C, base, query string) []string {
	var out []string
	seen := map[string]bool{}
	cursor := ""
	for n := 0; n < 50; n++ {
		q := query
		if cursor != "" {
			if q != "" {
				q += "&"
			}
			q += "cursor=" + cursor
		}
		target := base
		if q != "" {
			target += "?" + q
		}
		var page api.TransactionPage
		if !l.nut.get(c, "getAccountTransactions", target, &page) {
			return out
		}
		for _, it := range page.Transactions {
			h := string(it.Transaction.Hash)
			if seen[h] {
				c.Errorf("GET %s: %s served twice across pages", target, h)
			}
			seen[h] = true
			out = append(out, h)
		}
		limit := 20
		if v := queryValue(query, "limit"); v != "" {
			limit = int(atou(v))
		}
		if page.NextCursor == nil {
			return out
		}
		if len(page.Transactions) < limit {
			c.Errorf("GET %s: a short page (%d of %d) with a next_cursor", target, len(page.Transactions), limit)
			return out
		}
		cursor = *page.NextCursor
	}
	c.Errorf("GET %s?%s: more than 50 pages", base, query)
	return out
}

func queryValue(query, key string) string {
	for _, kv := range splitQuery(query) {
		if k, v, ok := cutEq(kv); ok && k == key {
			return v
		}
	}
	return ""
}

func splitQuery(q string) []string {
	if q == "" {
		return nil
	}
	var out []string
	start := 0
	for i := 0; i <= len(q); i++ {
		if i == len(q) || q[i] == '&' {
			out = append(out, q[start:i])
			start = i + 1
		}
	}
	return out
}

func cutEq(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '=' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// checkPoolFull: 128 senders each queue 63 transactions behind a nonce gap
// (so none can be included) until the node refuses with pool_full; it
// must not refuse before it holds 8,000 (8 full blocks) and must by the
// 8,001st. The gapped transactions stay pooled, so this check runs last.
func (l *live) checkPoolFull(c *C) {
	const holds = 8 * params.MaxBlockTransactions
	// Every earlier check's transactions are final, so the pool drains to
	// nothing; counting from an empty pool makes the bounds below exact.
	var m0 int
	for i := 0; ; i++ {
		st0, err := l.nut.status(c.ctx)
		if err != nil {
			c.Fatalf("%v", err)
		}
		m0 = st0.MempoolSize
		if m0 == 0 || i == 100 {
			break
		}
		sleep(c, 100*time.Millisecond)
	}
	var (
		next, admitted atomic.Int64
		full           atomic.Bool
		mu             sync.Mutex
		other          []string
	)
	total := int64(poolSenders * 63)
	worker := func() {
		for !full.Load() && c.ctx.Err() == nil {
			i := next.Add(1) - 1
			if i >= total {
				return
			}
			k := testKey(keyPoolFirst + int(i/63))
			s := sign(k, liveChainID, transfer(k.Address(), k.Address(), 0, types.AssetOrama, uint64(i%63)+1))
			r, err := l.nut.send(c.ctx, sendRequest(s.raw))
			switch {
			case err != nil:
				mu.Lock()
				other = append(other, err.Error())
				mu.Unlock()
				return
			case r.status == http.StatusAccepted:
				admitted.Add(1)
			case r.status == http.StatusTooManyRequests && r.code == "pool_full":
				full.Store(true)
			default:
				mu.Lock()
				other = append(other, r.String())
				mu.Unlock()
				return
			}
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); worker() }()
	}
	wg.Wait()
	if len(other) > 0 {
		c.Fatalf("a gapped transaction was answered otherwise than 202 or 429 pool_full: %v", other[0])
	}
	n := admitted.Load()
	if !full.Load() {
		c.Fatalf("%d transactions admitted to a pool holding %d, and no pool_full", n, m0)
	}
	if n+int64(m0) < holds {
		c.Errorf("pool_full after %d transactions admitted to a pool that held %d: the node holds %d before it refuses clients", n, m0, holds)
	}
	if n+int64(m0) > holds+3 { // 3: the other workers' requests in flight
		c.Errorf("%d transactions admitted to a pool that held %d before pool_full; it refuses at %d", n, m0, holds)
	}
	var st api.ChainStatus
	if l.nut.get(c, "getChainStatus", "/v1/chain/status", &st) && st.MempoolSize < holds {
		c.Errorf("mempool_size %d after pool_full; the node refuses only while it holds %d", st.MempoolSize, holds)
	}
	l.r.cov.op("sendTransaction", false)
	l.r.cov.code("pool_full")
}
