package suite

import (
	"encoding/hex"
	"math/big"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// Requests to operations the suite makes bad on purpose.
func get(op, target string) request { return request{op: op, method: http.MethodGet, target: target} }

// checkChainStatus: the status describes the head block, and the
// operation refuses what it does not take.
func (l *live) checkChainStatus(c *C) {
	var st api.ChainStatus
	if !l.nut.get(c, "getChainStatus", "/v1/chain/status", &st) {
		return
	}
	if st.ChainId != u64s(liveChainID) || st.GenesisHash != hashHex(l.gh) {
		c.Errorf("chain %s genesis %s, want %d and %s", st.ChainId, st.GenesisHash, liveChainID, hashHex(l.gh))
	}
	if atou(st.FinalizedHeight) > atou(st.Height) {
		c.Errorf("finalized_height %s above height %s", st.FinalizedHeight, st.Height)
	}
	if st.Peers < 1 {
		c.Errorf("peers %d: the node under test is connected to our validator", st.Peers)
	}
	if b, hd, _, ok := l.block(c, l.nut, st.Height); ok {
		if b.Hash != st.HeadHash || hashHex(hd.StateRoot) != st.StateRoot || u64s(hd.Timestamp) != st.Timestamp {
			c.Errorf("status head %s root %s timestamp %s; block %s has hash %s root %s timestamp %d",
				st.HeadHash, st.StateRoot, st.Timestamp, st.Height, b.Hash, hashHex(hd.StateRoot), hd.Timestamp)
		}
	}
	if v := crypto.FormatAddress(testKey(keyValidator).Address()); st.Leader != v {
		c.Errorf("leader %s; the only validator is %s", st.Leader, v)
	}
	l.nut.fails(c, get("getChainStatus", "/v1/chain/status?verbose=1"), 400, "unknown_parameter")
	l.nut.fails(c, request{method: http.MethodPost, target: "/v1/chain/status", body: []byte("{}")}, 405, "method_not_allowed")
}

// checkStatusBaseFee: ChainStatus.base_fee is the base fee the next block
// charges: NextBaseFee of the head's base fee and gas used.
func (l *live) checkStatusBaseFee(c *C) {
	for range 3 { // the head may move between the two reads; one agreeing pair is enough
		var st api.ChainStatus
		if !l.nut.get(c, "getChainStatus", "/v1/chain/status", &st) {
			return
		}
		_, hd, hh, ok := l.block(c, l.nut, st.Height)
		if !ok {
			return
		}
		if hashHex(hh) != st.HeadHash {
			continue
		}
		if want := nextBaseFee(hd.BaseFee, hd.GasUsed); st.BaseFee != u64s(want) {
			c.Errorf("base_fee %s after block %s (base fee %d, gas used %d); NextBaseFee gives %d",
				st.BaseFee, st.Height, hd.BaseFee, hd.GasUsed, want)
		}
		return
	}
	c.Errorf("the head moved between every status and block read")
}

// checkBlocks: latest, by height and by hash are one block; bad ids are
// refused with the spec's codes.
func (l *live) checkBlocks(c *C) {
	before, err := l.nut.status(c.ctx)
	if err != nil {
		c.Fatalf("%v", err)
	}
	latest, _, lh, ok := l.block(c, l.nut, "latest")
	if !ok {
		return
	}
	byHeight, _, hh, ok1 := l.block(c, l.nut, latest.Header.Height)
	byHash, _, xh, ok2 := l.block(c, l.nut, string(latest.Hash))
	upper, _, uh, ok3 := l.block(c, l.nut, "0x"+strings.ToUpper(strings.TrimPrefix(string(latest.Hash), "0x")))
	if ok1 && ok2 && ok3 && (hh != lh || xh != lh || uh != lh) {
		c.Errorf("block %s: latest %s, by height %s, by hash %s, by upper-case hash %s", latest.Header.Height,
			hashHex(lh), hashHex(hh), hashHex(xh), hashHex(uh))
	}
	after, err := l.nut.status(c.ctx)
	if err != nil {
		c.Fatalf("%v", err)
	}
	for _, b := range []*api.Block{latest, byHeight, byHash, upper} {
		if b == nil {
			continue
		}
		// finalized: at or below the finalized height, which only grows
		// between the two status reads.
		h := atou(b.Header.Height)
		if b.Finalized && h > atou(after.FinalizedHeight) || !b.Finalized && h <= atou(before.FinalizedHeight) {
			c.Errorf("block %d shown finalized=%v; the finalized height was %s before and %s after", h, b.Finalized, before.FinalizedHeight, after.FinalizedHeight)
		}
		for _, t := range b.Transactions {
			if _, _, err := txFromAPI(t); err != nil {
				c.Errorf("block %s: %v", b.Header.Height, err)
			}
		}
	}
	for _, bad := range []string{"abc", "0x1234", "-1", "18446744073709551616"} {
		l.nut.fails(c, get("getBlock", "/v1/blocks/"+bad), 400, "invalid_parameter")
	}
	l.nut.fails(c, get("getBlock", "/v1/blocks/99999999999"), 404, "not_found")
	l.nut.fails(c, get("getBlock", "/v1/blocks/0x"+strings.Repeat("ab", 32)), 404, "not_found")
	l.nut.fails(c, get("getLatestBlock", "/v1/blocks/latest?full=true"), 400, "unknown_parameter")
	r := l.nut.do(c, request{method: http.MethodDelete, target: "/v1/blocks/latest"})
	if r.status != 405 || r.code != "method_not_allowed" {
		c.Errorf("DELETE /v1/blocks/latest: want 405 method_not_allowed, got %s", r)
	} else if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") {
		c.Errorf("DELETE /v1/blocks/latest: 405 with Allow %q; it must list GET", allow)
	} else {
		l.r.cov.code("method_not_allowed")
	}
}

// checkValidators: the set is the genesis set, each with its Effective
// Power (stake, no trusted OS).
func (l *live) checkValidators(c *C) {
	var out struct {
		Validators []api.Validator `json:"validators"`
	}
	if !l.nut.get(c, "getValidators", "/v1/validators", &out) {
		return
	}
	if len(out.Validators) != len(l.g.Validators) {
		c.Fatalf("%d validators, the genesis has %d", len(out.Validators), len(l.g.Validators))
	}
	for i, v := range out.Validators {
		want := l.g.Validators[i]
		if v.Address != crypto.FormatAddress(want.Address) || v.Stake != u64s(want.Stake) || v.Power != u64s(want.Stake) ||
			v.PeerId != want.PeerID || v.TrustedOs != want.TrustedOS {
			c.Errorf("validator %d: %s, the genesis has %s with power %d", i, jsonOf(v), jsonOf(want), want.Stake)
		}
	}
	l.nut.fails(c, get("getValidators", "/v1/validators?epoch=1"), 400, "unknown_parameter")
}

// checkEvidence: our single validator never equivocates, so the page is
// empty; bad pages are refused.
func (l *live) checkEvidence(c *C) {
	var page api.EvidencePage
	if !l.nut.get(c, "getEvidence", "/v1/evidence?limit=5", &page) {
		return
	}
	if len(page.Evidence) != 0 || page.NextCursor != nil {
		c.Errorf("evidence against a validator that never equivocated: %s", jsonOf(page))
	}
	for _, q := range []string{"limit=0", "limit=101", "cursor=nonsense", "cursor=1-" + strings.Repeat("A", 40) + "-1"} {
		l.nut.fails(c, get("getEvidence", "/v1/evidence?"+q), 400, "invalid_parameter")
	}
	l.nut.fails(c, get("getEvidence", "/v1/evidence?validator=x"), 400, "unknown_parameter")
}

// account reads GET /v1/accounts/{id}.
func (l *live) account(c *C, id, query string) (*api.AccountResponse, bool) {
	var ar api.AccountResponse
	target := "/v1/accounts/" + url.PathEscape(id)
	if query != "" {
		target += "?" + query
	}
	if !l.nut.get(c, "getAccount", target, &ar) {
		return nil, false
	}
	return &ar, true
}

// proven reads an account with ?proof=true (at height when not "") and
// verifies it as a light client; needFinality refuses a proof without
// finality.
func (l *live) proven(c *C, addr types.Address, height string, needFinality bool) *provenAccount {
	q := "proof=true"
	if height != "" {
		q += "&height=" + height
	}
	ar, ok := l.account(c, crypto.FormatAddress(addr), q)
	if !ok {
		c.Fatalf("no account %s", crypto.FormatAddress(addr))
	}
	pa, err := verifyAccountProof(ar, addr, l.set, liveChainID, needFinality)
	if err != nil {
		c.Fatalf("account %s (%s): the proof does not verify: %v", crypto.FormatAddress(addr), q, err)
	}
	if height != "" && u64s(pa.header.Height) != height {
		c.Errorf("account %s at height %s: the proof is against block %d", crypto.FormatAddress(addr), height, pa.header.Height)
	}
	return pa
}

// checkAccounts: every address form and @username name one account; an
// address never seen is all zero; an old height reads old state; bad ids
// and parameters are refused.
func (l *live) checkAccounts(c *C) {
	k := testKey(keyHistory) // holds genesisName
	a := k.Address()
	hexLower := hex.EncodeToString(a[:])
	forms := []string{crypto.FormatAddress(a), "0x" + hexLower, hexLower, "0x" + strings.ToUpper(hexLower),
		"orama:" + hexLower, "@" + genesisName}
	var first *api.AccountResponse
	for _, f := range forms {
		ar, ok := l.account(c, f, "height=0")
		if !ok {
			continue
		}
		if ar.Account.Address != crypto.FormatAddress(a) {
			c.Errorf("GET /v1/accounts/%s shows address %s; want %s (orama: + EIP-55)", f, ar.Account.Address, crypto.FormatAddress(a))
		}
		if first == nil {
			first = ar
		} else if jsonOf(ar) != jsonOf(first) {
			c.Errorf("GET /v1/accounts/%s differs from %s: %s vs %s", f, forms[0], jsonOf(ar), jsonOf(first))
		}
	}
	if first != nil {
		if first.Height != "0" || first.Account.OramaBalance != u64s(fundedOrama) || first.Account.BtcBalance != u64s(fundedBTC) ||
			first.Account.Username != genesisName || first.Account.Nonce != "0" {
			c.Errorf("account at height 0: %s; the genesis allocates %d rays, %d sats, username %s", jsonOf(first), fundedOrama, fundedBTC, genesisName)
		}
	}
	fresh := l.freshKey().Address()
	if ar, ok := l.account(c, crypto.FormatAddress(fresh), ""); ok {
		zero := types.Account{Address: fresh}
		var got types.Account
		if err := fromAPI(ar.Account, &got); err != nil || !deepEqual(&got, &zero) {
			c.Errorf("an address that never received anything: %s, want all zero", jsonOf(ar.Account))
		}
	}

	// Balances, by address and by username, with exact decimal displays.
	f := testKey(keyFunded).Address()
	for _, id := range []string{crypto.FormatAddress(f), "@" + genesisName} {
		var bal api.Balance
		if !l.nut.get(c, "getBalance", "/v1/accounts/"+url.PathEscape(id)+"/balance", &bal) {
			continue
		}
		ar, ok := l.account(c, id, "")
		if !ok {
			continue
		}
		if bal.Orama != ar.Account.OramaBalance || bal.Btc != ar.Account.BtcBalance || bal.Address != ar.Account.Address {
			c.Errorf("balance of %s: %s; the account reads %s", id, jsonOf(bal), jsonOf(ar.Account))
		}
		if !exactDecimal(bal.OramaDisplay, atou(bal.Orama), 6) || !exactDecimal(bal.BtcDisplay, atou(bal.Btc), 8) {
			c.Errorf("balance of %s: displays %q and %q are not exactly %s rays and %s sats", id, bal.OramaDisplay, bal.BtcDisplay, bal.Orama, bal.Btc)
		}
	}

	// Bad account ids: a wrong EIP-55 checksum, not an address, an unknown
	// or malformed username.
	bad := crypto.FormatAddress(a)
	bad = "orama:" + flipCase(strings.TrimPrefix(bad, "orama:"))
	for _, id := range []string{bad, "nonsense", "orama:1234", "@AB"} {
		l.nut.fails(c, get("getAccount", "/v1/accounts/"+url.PathEscape(id)), 400, "invalid_account")
		l.nut.fails(c, get("getBalance", "/v1/accounts/"+url.PathEscape(id)+"/balance"), 400, "invalid_account")
	}
	l.nut.fails(c, get("getAccount", "/v1/accounts/@no-such-name"), 404, "unknown_username")
	l.nut.fails(c, get("getBalance", "/v1/accounts/@no-such-name/balance"), 404, "unknown_username")
	id := "/v1/accounts/" + crypto.FormatAddress(f)
	l.nut.fails(c, get("getAccount", id+"?height=abc"), 400, "invalid_parameter")
	l.nut.fails(c, get("getAccount", id+"?proof=maybe"), 400, "invalid_parameter")
	l.nut.fails(c, get("getAccount", id+"?height=99999999999"), 404, "not_found")
	l.nut.fails(c, get("getAccount", id+"?at=1"), 400, "unknown_parameter")
	l.nut.fails(c, get("getBalance", id+"/balance?height=1"), 400, "unknown_parameter")
}

// flipCase swaps the case of the first letter of a checksummed address,
// which breaks its EIP-55 checksum.
func flipCase(s string) string {
	b := []byte(s)
	for i, ch := range b {
		switch {
		case ch >= 'a' && ch <= 'f':
			b[i] = ch - 32
			return string(b)
		case ch >= 'A' && ch <= 'F':
			b[i] = ch + 32
			return string(b)
		}
	}
	return s
}

// exactDecimal reports whether s is exactly v / 10^decimals.
func exactDecimal(s string, v uint64, decimals int) bool {
	got, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "eE/") {
		return false
	}
	want := new(big.Rat).SetFrac(new(big.Int).SetUint64(v), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil))
	return got.Cmp(want) == 0
}

// checkProofs: account proofs verify as a light client holding the
// genesis validator set verifies them: inclusion of a funded account,
// non-existence of a fresh one, each against a header proven final.
func (l *live) checkProofs(c *C) {
	funded := testKey(keyFunded).Address()
	pa := l.proven(c, funded, "", true)
	if !pa.exists || pa.account.OramaBalance != fundedOrama {
		c.Errorf("funded account proven with exists=%v balance %d, want %d", pa.exists, pa.account.OramaBalance, fundedOrama)
	}
	fresh := l.freshKey().Address()
	if pf := l.proven(c, fresh, "", true); pf.exists {
		c.Errorf("an address that never received anything proven to exist")
	}
	// An older height: the proof is against that block.
	old := l.proven(c, funded, "1", false)
	if !old.exists {
		c.Errorf("funded account absent at height 1")
	}

	// The suite's own verifier refuses a tampered proof; if it did not, a
	// pass above would mean nothing.
	ar, ok := l.account(c, crypto.FormatAddress(funded), "proof=true")
	if !ok {
		return
	}
	tampered := *ar
	p := *ar.Proof
	tampered.Proof = &p
	p.Value = flipHexByte(p.Value)
	if _, err := verifyAccountProof(&tampered, funded, l.set, liveChainID, true); err == nil {
		c.Setupf("the suite's light client accepted an account proof with a tampered value")
	}
	p.Value = ar.Proof.Value
	if p.Finality != nil {
		f := *p.Finality
		f.CommitProof.Qc.BlockHash = hashHex(types.Hash{1})
		p.Finality = &f
		if _, err := verifyAccountProof(&tampered, funded, l.set, liveChainID, true); err == nil {
			c.Setupf("the suite's light client accepted a commit proof whose QC names another block")
		}
	}
}

// flipHexByte changes the last byte of "0x" + hex.
func flipHexByte(s string) string {
	if len(s) < 4 {
		return s + "00"
	}
	last := s[len(s)-1]
	if last == '0' {
		last = '1'
	} else {
		last = '0'
	}
	return s[:len(s)-1] + string(last)
}

// checkGetTransaction: bad and unknown hashes.
func (l *live) checkGetTransaction(c *C) {
	for _, bad := range []string{"0x1234", "xyz", strings.Repeat("g", 64)} {
		l.nut.fails(c, get("getTransaction", "/v1/transactions/"+bad), 400, "invalid_parameter")
	}
	l.nut.fails(c, get("getTransaction", "/v1/transactions/0x"+strings.Repeat("cd", 32)), 404, "not_found")
	l.nut.fails(c, get("getTransaction", "/v1/transactions/0x"+strings.Repeat("cd", 32)+"?wait=1"), 400, "unknown_parameter")
}

// checkHTTP: the conventions of spec/openapi.yaml's description for
// requests no operation takes, and framing.
func (l *live) checkHTTP(c *C) {
	l.nut.fails(c, get("", "/v1/no-such-route"), 404, "not_found")
	l.nut.fails(c, get("", "/v2/chain/status"), 404, "not_found")
	r := l.nut.do(c, request{method: http.MethodGet, target: "/v1/transactions/send"})
	if r.status != 405 || r.code != "method_not_allowed" || !strings.Contains(r.header.Get("Allow"), "POST") {
		c.Errorf("GET /v1/transactions/send (a literal path taking POST only): want 405 method_not_allowed with Allow: POST, got %s (Allow %q)", r, r.header.Get("Allow"))
	} else {
		l.r.cov.code("method_not_allowed")
	}
	host := "Host: " + l.nut.addr + "\r\n"
	l.nut.raw(c, "a malformed request line", []byte("GET\r\n\r\n"), 400, "bad_request")
	l.nut.raw(c, "a request without Host", []byte("GET /v1/chain/status HTTP/1.1\r\n\r\n"), 400, "bad_request")
	l.nut.raw(c, "Expect: something", []byte("GET /v1/chain/status HTTP/1.1\r\n"+host+"Expect: something\r\n\r\n"), 417, "bad_request")
	big := "X-Pad: " + strings.Repeat("a", 1<<20) + "\r\n"
	l.nut.raw(c, "headers over the node's limit", []byte("GET /v1/chain/status HTTP/1.1\r\n"+host+big+"\r\n"), 431, "too_large")
}

// checkSendBadRequest: bodies that are not exactly one SendRequest.
func (l *live) checkSendBadRequest(c *C) {
	good := sign(testKey(keyRefusals), liveChainID, transfer(testKey(keyRefusals).Address(), l.freshKey().Address(), 1, types.AssetOrama, 63))
	body := sendBody(good.raw)
	for _, b := range []struct{ what, body, ctype string }{
		{"not JSON", "transaction", ""},
		{"two JSON values", string(body) + " {}", ""},
		{"no transaction", "{}", ""},
		{"an unknown property", `{"transaction":"0x00","extra":1}`, ""},
		{"a transaction that is not hex", `{"transaction":"0xzz"}`, ""},
		{"a transaction without 0x", `{"transaction":"` + hex.EncodeToString(good.raw) + `"}`, ""},
		{"an odd number of hex digits", `{"transaction":"0x123"}`, ""},
	} {
		r := request{op: "sendTransaction", method: http.MethodPost, target: "/v1/transactions/send", body: []byte(b.body)}
		if !l.nut.fails(c, r, 400, "bad_request") {
			c.Errorf("(the body was %s)", b.what)
		}
	}
	r := request{op: "sendTransaction", method: http.MethodPost, target: "/v1/transactions/send", body: body,
		header: map[string]string{"Content-Type": "text/plain"}}
	l.nut.fails(c, r, 415, "bad_request")
	huge := []byte(`{"transaction":"0x` + strings.Repeat("00", 70_000) + `"}`)
	l.nut.fails(c, request{op: "sendTransaction", method: http.MethodPost, target: "/v1/transactions/send", body: huge}, 413, "too_large")
}

// checkSendInvalid: transactions that break a stateless rule.
func (l *live) checkSendInvalid(c *C) {
	k := testKey(keyRefusals)
	from, to := k.Address(), l.freshKey().Address()
	l.nut.fails(c, sendRequest([]byte{0}), 400, "invalid_transaction")
	good := sign(k, liveChainID, transfer(from, to, 1, types.AssetOrama, 0))
	l.nut.fails(c, sendRequest(append(append([]byte{}, good.raw...), 0)), 400, "invalid_transaction")
	cases := []struct {
		what string
		edit func(tx *types.Transaction)
	}{
		{"gas limit below the intrinsic gas", func(tx *types.Transaction) { tx.GasLimit = params.GasTransfer - 1 }},
		{"gas limit above the block gas limit", func(tx *types.Transaction) { tx.GasLimit = params.BlockGasLimit + 1 }},
		{"tip cap above the fee cap", func(tx *types.Transaction) { tx.GasTipCap = tx.GasFeeCap + 1 }},
		{"a transfer with data", func(tx *types.Transaction) { tx.Data = types.Bytes{1}; tx.GasLimit = params.GasTransfer + 1 }},
	}
	for _, tc := range cases {
		tx := transfer(from, to, 1, types.AssetOrama, 0)
		tc.edit(&tx)
		l.nut.refused(c, sign(k, liveChainID, tx), 400, "invalid_transaction", tc.what)
	}
	bad := claim(from, "AB", 0)
	l.nut.refused(c, sign(k, liveChainID, bad), 400, "invalid_transaction", "a claim of a malformed username")
	withTo := claim(from, "valid-name", 0)
	withTo.To = to
	l.nut.refused(c, sign(k, liveChainID, withTo), 400, "invalid_transaction", "a claim with a recipient")
}

// checkInactiveTypes: every type the chain does not execute yet is
// refused at admission (it could only fail with UnsupportedType).
func (l *live) checkInactiveTypes(c *C) {
	k := testKey(keyRefusals)
	for t := types.TxType(0); t.Valid(); t++ {
		if slices.Contains(activeTypes, t) {
			continue
		}
		tx := types.Transaction{Type: t, From: k.Address(), Nonce: 0, GasTipCap: tipCap, GasFeeCap: feeCap, Data: types.Bytes{}}
		if p := t.NewPayload(); p != nil {
			validEnums(reflect.ValueOf(p).Elem()) // the zero payload, with valid enum values: a well-formed one
			b, err := p.MarshalBorsh()
			if err != nil {
				c.Setupf("a well-formed payload of %v: %v", t, err)
			}
			tx.Data = b
		}
		tx.GasLimit = intrinsicGas(&tx)
		if l.nut.refused(c, sign(k, liveChainID, tx), 400, "invalid_transaction", "inactive type "+t.String()) {
			l.r.cov.txOutcome(t, "refused")
		}
	}
}

// validEnums sets every enum field of v (a struct, recursively) that holds
// no variant to its lowest variant.
func validEnums(v reflect.Value) {
	type valider interface{ Valid() bool }
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			validEnums(v.Field(i))
		}
	case reflect.Uint8:
		e, ok := v.Interface().(valider)
		if !ok || !v.CanSet() {
			return
		}
		for n := uint64(0); n < 256 && !e.Valid(); n++ {
			v.SetUint(n)
			e = v.Interface().(valider)
		}
	}
}

// checkFeeTooLow: a fee cap below MinBaseFee.
func (l *live) checkFeeTooLow(c *C) {
	k := testKey(keyRefusals)
	tx := transfer(k.Address(), l.freshKey().Address(), 1, types.AssetOrama, 0)
	tx.GasFeeCap, tx.GasTipCap = params.MinBaseFee-1, 0
	l.nut.refused(c, sign(k, liveChainID, tx), 400, "fee_too_low", "a fee cap below MinBaseFee")
}

// checkInvalidSignature: a signature for another chain id, and one by a
// key that is not the sender's.
func (l *live) checkInvalidSignature(c *C) {
	k := testKey(keyRefusals)
	tx := transfer(k.Address(), l.freshKey().Address(), 1, types.AssetOrama, 0)
	l.nut.refused(c, sign(k, otherChainID, tx), 400, "invalid_signature", "a transaction signed for chain id 7358")
	l.nut.refused(c, sign(testKey(keyFunded), liveChainID, tx), 400, "invalid_signature", "a transaction signed by a key that is not its sender's")
	s := sign(k, liveChainID, tx)
	s.tx.Signature[64] = 27 // Ethereum's V form: not 0 or 1 (DECISIONS.md D4)
	s.raw, _ = s.tx.MarshalBorsh()
	l.nut.refused(c, s, 400, "invalid_signature", "a signature with V = 27")
}

// checkNonceGapRefused: a nonce 64 ahead of the account.
func (l *live) checkNonceGapRefused(c *C) {
	k := testKey(keyRefusals)
	tx := transfer(k.Address(), l.freshKey().Address(), 1, types.AssetOrama, 64)
	l.nut.refused(c, sign(k, liveChainID, tx), 400, "nonce_gap", "a nonce 64 above the account's")
}

// checkInsufficient: an amount above the balance, and a sender with
// nothing at all.
func (l *live) checkInsufficient(c *C) {
	k := testKey(keyRefusals)
	tx := transfer(k.Address(), l.freshKey().Address(), fundedOrama, types.AssetOrama, 0)
	l.nut.refused(c, sign(k, liveChainID, tx), 400, "insufficient_balance", "a transfer of the whole balance, leaving nothing for the fee")
	btc := transfer(k.Address(), l.freshKey().Address(), fundedBTC+1, types.AssetBTC, 0)
	l.nut.refused(c, sign(k, liveChainID, btc), 400, "insufficient_balance", "a BTC transfer above the BTC balance")
	poor := l.freshKey()
	l.nut.refused(c, sign(poor, liveChainID, transfer(poor.Address(), k.Address(), 0, types.AssetOrama, 0)), 400, "insufficient_balance", "a sender with no balance")
}

// checkAlreadyKnown: a pooled transaction sent again. The transaction
// waits behind a nonce gap, which the check then fills.
func (l *live) checkAlreadyKnown(c *C) {
	k := testKey(keyKnown)
	to := l.freshKey().Address()
	later := sign(k, liveChainID, transfer(k.Address(), to, 1, types.AssetOrama, 1))
	if !l.nut.submit(c, later) {
		return
	}
	l.nut.refused(c, later, 409, "already_known", "the same pooled transaction again")
	first := sign(k, liveChainID, transfer(k.Address(), to, 1, types.AssetOrama, 0))
	if l.nut.submit(c, first) {
		l.nut.waitFinal(c, first.hash, 30*time.Second)
		l.nut.waitFinal(c, later.hash, 30*time.Second)
	}
}

// checkUsernameRefusals: a name another account holds, and a second name
// for an account that has one.
func (l *live) checkUsernameRefusals(c *C) {
	k := testKey(keyRefusals)
	l.nut.refused(c, sign(k, liveChainID, claim(k.Address(), genesisName, 0)), 409, "username_taken", "a claim of a name held since genesis")
	named := testKey(keyHistory)
	var ar api.AccountResponse
	if !l.nut.get(c, "getAccount", "/v1/accounts/@"+genesisName, &ar) {
		return
	}
	l.nut.refused(c, sign(named, liveChainID, claim(named.Address(), "second-name", atou(ar.Account.Nonce))), 409,
		"username_already_set", "a claim by an account that has a username")
}
