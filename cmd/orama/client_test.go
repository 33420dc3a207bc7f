package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// wallet is a CLI with one key in a keystore, talking to a fake node.
type wallet struct {
	*cli
	node *fakeNode
	ks   string
	pw   string
	addr types.Address
}

func newWallet(t *testing.T) *wallet {
	t.Helper()
	c := newCLI(t)
	dir := t.TempDir()
	w := &wallet{cli: c, node: newFakeNode(t), ks: filepath.Join(dir, "ks"), pw: writeFile(t, dir, "pw", "pw")}
	c.env["ORAMA_NODE"] = w.node.URL()
	c.env["ORAMA_KEYSTORE"] = w.ks
	r := c.ok("keys", "new", "--password-file", w.pw, "--light-kdf", "--json")
	var out keyOut
	decodeJSON(t, r.stdout, &out)
	w.addr = mustParse(t, out.Address)
	w.node.addAccount(w.addr, "", 10*params.RaysPerOrama, params.SatsPerBTC, 5)
	return w
}

// sentOut is the --json output of send and username claim.
type sentOut struct {
	Hash        string                 `json:"hash"`
	Transaction api.Transaction        `json:"transaction"`
	Status      *api.TransactionStatus `json:"status"`
}

func TestSendTransfer(t *testing.T) {
	t.Parallel()
	w := newWallet(t)
	alex := types.Address{0xa1}
	w.node.addAccount(alex, "alex", 0, 0, 0)

	r := w.ok("send", "--to", "@alex", "--amount", "1.5", "--password-file", w.pw, "--json")
	if keys := jsonKeys(t, r.stdout); !slices.Equal(sorted(keys), []string{"hash", "transaction"}) {
		t.Fatalf("send --json keys %v", keys)
	}
	var out sentOut
	decodeJSON(t, r.stdout, &out)
	tx := w.node.lastSent()
	h, _ := tx.Hash()
	if out.Hash != h.String() || out.Transaction.Hash != out.Hash {
		t.Fatalf("hash %s, node saw %s", out.Hash, h.String())
	}
	want := types.Transaction{
		Type: types.TxTypeTransfer, From: w.addr, To: alex, Amount: 1_500_000, Asset: types.AssetOrama,
		Nonce: 5, GasLimit: params.GasTransfer, GasTipCap: 0, GasFeeCap: 20, Signature: tx.Signature,
	}
	if tx.Type != want.Type || tx.From != want.From || tx.To != want.To || tx.Amount != want.Amount || tx.Asset != want.Asset ||
		tx.Nonce != want.Nonce || tx.GasLimit != want.GasLimit || tx.GasTipCap != want.GasTipCap || tx.GasFeeCap != want.GasFeeCap || len(tx.Data) != 0 {
		t.Fatalf("sent %+v\nwant %+v", tx, want)
	}
	if out.Transaction.Amount != "1500000" || out.Transaction.Asset != api.Orama || out.Transaction.To != crypto.FormatAddress(alex) {
		t.Fatalf("printed transaction %+v", out.Transaction)
	}
	// The requests: the username, the status, the key's account for the
	// nonce, the send; nothing else.
	wantLog := []string{"GET /v1/accounts/@alex", "GET /v1/chain/status",
		"GET /v1/accounts/" + crypto.FormatAddress(w.addr), "POST /v1/transactions/send"}
	if log := w.node.requestLog(); !slices.Equal(log, wantLog) {
		t.Errorf("requests %q, want %q", log, wantLog)
	}

	// BTC: the smallest amount, a tip, an explicit nonce, a hex recipient.
	r = w.ok("send", "--to", "0x"+strings.Repeat("b", 40), "--amount", "0.00000001", "--asset", "btc",
		"--tip", "3", "--nonce", "9", "--password-file", w.pw)
	tx = w.node.lastSent()
	if tx.Amount != 1 || tx.Asset != types.AssetBTC || tx.GasTipCap != 3 || tx.GasFeeCap != 23 || tx.Nonce != 9 || tx.To != (types.Address{0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb}) {
		t.Fatalf("sent %+v", tx)
	}
	h, _ = tx.Hash()
	if !strings.Contains(r.stdout, "sent "+h.String()) || !strings.Contains(r.stdout, "0.00000001 BTC (1 sats)") {
		t.Fatalf("human output:\n%s", r.stdout)
	}

	// --fee-cap is taken as given; the base fee cap is at most MaxBaseFee.
	w.ok("send", "--to", "@alex", "--amount", "1", "--fee-cap", "15", "--tip", "15", "--password-file", w.pw)
	if tx = w.node.lastSent(); tx.GasFeeCap != 15 || tx.GasTipCap != 15 {
		t.Fatalf("fees %d/%d", tx.GasFeeCap, tx.GasTipCap)
	}
	w.node.mu.Lock()
	w.node.baseFee = 90
	w.node.mu.Unlock()
	w.ok("send", "--to", "@alex", "--amount", "1", "--password-file", w.pw)
	if tx = w.node.lastSent(); tx.GasFeeCap != params.MaxBaseFee {
		t.Fatalf("fee cap %d at base fee 90, want %d", tx.GasFeeCap, params.MaxBaseFee)
	}
}

func sorted(s []string) []string { slices.Sort(s); return s }

func TestSendRejectsBadInputBeforeTalkingToTheNode(t *testing.T) {
	t.Parallel()
	w := newWallet(t)
	before := len(w.node.requestLog())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "@alex", "--amount", "1.0000001"}, "7 decimal places"},
		{[]string{"--to", "@alex", "--amount", "1e3"}, "plain decimal"},
		{[]string{"--to", "@alex", "--amount", "-1"}, "negative"},
		{[]string{"--to", "@alex", "--amount", ""}, "--amount"},
		{[]string{"--to", "@alex", "--amount", "1."}, "after the '.'"},
		{[]string{"--to", "@alex", "--amount", "0.000000001", "--asset", "BTC"}, "9 decimal places"},
		{[]string{"--to", "@alex", "--amount", "1", "--asset", "ETH"}, "ORAMA or BTC"},
		{[]string{"--to", "@A", "--amount", "1"}, "--to"},
		{[]string{"--to", "orama:123", "--amount", "1"}, "--to"},
		{[]string{"--amount", "1"}, "--to"},
		{[]string{"--to", "@alex", "--amount", "1", "--tip", "0.5"}, "--tip"},
		{[]string{"--to", "@alex", "--amount", "1", "--tip", "5", "--fee-cap", "4"}, "above --fee-cap"},
		{[]string{"--to", "@alex", "--amount", "1", "--fee-cap", "0"}, "--fee-cap"},
		{[]string{"--to", "@alex", "--amount", "1", "--nonce", "-1"}, "--nonce"},
		{[]string{"--to", "@alex", "--amount", "1", "--bogus"}, "unknown flag"},
		{[]string{"--to", "@alex", "--amount", "1", "extra"}, "unknown command"},
	} {
		w.fails(exitUsage, append([]string{"send", "--password-file", w.pw}, tc.args...), tc.want)
	}
	if after := w.node.requestLog(); len(after) != before {
		t.Fatalf("bad input reached the node: %v", after[before:])
	}
}

func TestSendWait(t *testing.T) {
	t.Parallel()
	w := newWallet(t)
	w.node.pendingPolls = map[string]int{}
	r := w.ok("send", "--to", "0x"+strings.Repeat("c", 40), "--amount", "2", "--wait", "--password-file", w.pw, "--json")
	if keys := jsonKeys(t, r.stdout); !slices.Equal(sorted(keys), []string{"hash", "status", "transaction"}) {
		t.Fatalf("send --wait --json keys %v", keys)
	}
	var out sentOut
	decodeJSON(t, r.stdout, &out)
	if out.Status == nil || out.Status.Status != api.Finalized || out.Status.Receipt == nil || out.Status.Receipt.Status != "Success" {
		t.Fatalf("status %+v", out.Status)
	}

	// Rejected: the status is printed and the exit status is 1.
	w.node.finalStatus, w.node.finalReason = api.Rejected, "InsufficientBalance"
	r = w.fails(exitFailure, []string{"send", "--to", "0x" + strings.Repeat("c", 40), "--amount", "2", "--wait", "--password-file", w.pw},
		"rejected: InsufficientBalance")
	if !strings.Contains(r.stdout, "status   rejected") || !strings.Contains(r.stdout, "reason   InsufficientBalance") {
		t.Fatalf("human output:\n%s", r.stdout)
	}
}

func TestAPIErrorsAndExitCodes(t *testing.T) {
	t.Parallel()
	w := newWallet(t)
	var e api.Error
	e.Error.Code, e.Error.Message = "insufficient_balance", "ORAMA balance 10, transaction needs 1000"
	w.node.sendError = &e

	r := w.fails(exitFailure, []string{"send", "--to", "@nobody", "--amount", "1", "--password-file", w.pw},
		"unknown_username: no account has claimed the username \"nobody\"")
	if r.stdout != "" {
		t.Fatalf("stdout on failure: %q", r.stdout)
	}
	// The recipient is resolved before a password is asked for: on a
	// terminal with no answers queued, a prompt would fail differently.
	w.passwords = []string{}
	w.fails(exitFailure, []string{"send", "--to", "@nobody", "--amount", "1"}, "unknown_username")
	w.passwords = nil
	w.node.addAccount(types.Address{1}, "bob", 0, 0, 0)
	w.fails(exitFailure, []string{"send", "--to", "@bob", "--amount", "1", "--password-file", w.pw},
		"orama: insufficient_balance: ORAMA balance 10, transaction needs 1000")

	// With --json, the error is a JSON object on stderr, shaped like the API's.
	r = w.fails(exitFailure, []string{"send", "--to", "@bob", "--amount", "1", "--password-file", w.pw, "--json"})
	var je api.Error
	decodeJSON(t, r.stderr, &je)
	if je.Error.Code != "insufficient_balance" || je.Error.Message != "ORAMA balance 10, transaction needs 1000" || r.stdout != "" {
		t.Fatalf("json error %+v, stdout %q", je, r.stdout)
	}
	r = w.fails(exitUsage, []string{"send", "--to", "@bob", "--amount", "x", "--json"})
	decodeJSON(t, r.stderr, &je)
	if je.Error.Code != "usage" {
		t.Fatalf("json usage error %+v", je)
	}

	// Not found.
	w.fails(exitFailure, []string{"tx", "0x" + strings.Repeat("0", 64)}, "not_found: transaction")
	w.fails(exitFailure, []string{"block", "999"}, "not_found: no block at height 999")
	// Usage errors: exit status 2.
	w.fails(exitUsage, []string{"tx", "0x1234"}, "64 hex digits")
	w.fails(exitUsage, []string{"tx"}, "accepts 1 arg")
	w.fails(exitUsage, []string{"block", "abc"}, "want latest, a height or a block hash")
	w.fails(exitUsage, []string{"block", "-1"}, "unknown shorthand flag")
	w.fails(exitUsage, []string{"block", "18446744073709551616"}, "exceeds")
	w.fails(exitUsage, []string{"block", "1", "2"}, "at most 1 arg")
	w.fails(exitUsage, []string{"account", "@X"}, "account")
	w.fails(exitUsage, []string{"nosuchcommand"}, "unknown command")
	w.fails(exitUsage, []string{"keys", "nosuchcommand"}, `unknown command "nosuchcommand" for "orama keys"`)
	w.fails(exitUsage, []string{"username", "nosuchcommand"}, "unknown command")
	if r := w.ok("keys"); !strings.Contains(r.stdout, "Available Commands") {
		t.Fatalf("orama keys: %s", r.stdout)
	}
	w.fails(exitUsage, []string{"status", "--node", "ftp://x"}, "--node")
	w.fails(exitUsage, []string{"status", "--node", "localhost:8545"}, "--node")
}

func TestConnectionFailureNamesTheURL(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	// A port with nothing listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	for _, args := range [][]string{{"status"}, {"account", "@alex"}, {"block"}, {"tx", "0x" + strings.Repeat("1", 64)}} {
		c.fails(exitFailure, append(args, "--node", url), "cannot reach the node at "+url, "connection refused")
	}
	r := c.fails(exitFailure, []string{"status", "--node", url, "--json"})
	var je api.Error
	decodeJSON(t, r.stderr, &je)
	if je.Error.Code != "connection_failed" || !strings.Contains(je.Error.Message, url) {
		t.Fatalf("json error %+v", je)
	}
	// ORAMA_NODE is the default; --node overrides it.
	c.env["ORAMA_NODE"] = url
	c.fails(exitFailure, []string{"status"}, "cannot reach the node at "+url)
	f := newFakeNode(t)
	c.ok("status", "--node", f.URL())
}

func TestNonAPIResponses(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/chain/status":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<html>Bad Gateway</html>"))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("{not json"))
		}
	}))
	defer srv.Close()
	c.fails(exitFailure, []string{"status", "--node", srv.URL}, "HTTP 502", "Bad Gateway", srv.URL)
	c.fails(exitFailure, []string{"block", "--node", srv.URL}, "not the API's JSON", srv.URL)
}

func TestQueriesJSONAndHuman(t *testing.T) {
	t.Parallel()
	w := newWallet(t)
	alex := types.Address{0xa1, 0x1e}
	w.node.addAccount(alex, "alex", 1_500_000, 1, 3)

	// status --json is the API's ChainStatus, field for field.
	r := w.ok("status", "--json")
	var st api.ChainStatus
	decodeJSON(t, r.stdout, &st)
	if st.ChainId != "4242" || st.BaseFee != "10" {
		t.Fatalf("status %+v", st)
	}
	r = w.ok("status")
	if !strings.Contains(r.stdout, "chain id    4242") || !strings.Contains(r.stdout, "base fee    10 rays/gas") {
		t.Fatalf("status:\n%s", r.stdout)
	}

	// account
	r = w.ok("account", "@alex", "--json")
	var ar api.AccountResponse
	decodeJSON(t, r.stdout, &ar)
	if ar.Account.Address != crypto.FormatAddress(alex) || ar.Account.Nonce != "3" || ar.Proof != nil {
		t.Fatalf("account %+v", ar)
	}
	r = w.ok("account", crypto.FormatAddress(alex))
	for _, want := range []string{"username  @alex", "nonce     3", "ORAMA     1.5 ORAMA (1500000 rays)", "BTC       0.00000001 BTC (1 sats)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("account output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = w.ok("account", "@alex", "--proof", "--height", "7")
	if !strings.Contains(r.stdout, "proof against the state root of block 7") || !strings.Contains(r.stdout, `"proof_fields"`) {
		t.Fatalf("account --proof:\n%s", r.stdout)
	}
	if log := w.node.requestLog(); !slices.Contains(log, "GET /v1/accounts/@alex?proof=true&height=7") {
		t.Fatalf("requests %v", log)
	}
	r = w.ok("account", "@alex", "--proof", "--json")
	decodeJSON(t, r.stdout, &ar)
	if ar.Proof == nil || len(ar.Proof.ProofFields.Siblings) != 1 {
		t.Fatalf("account --proof --json %+v", ar)
	}

	// block: latest by default, a height, a hash.
	hash := "0x" + strings.Repeat("AB", 32)
	for _, tc := range []struct {
		args []string
		path string
	}{
		{nil, "/v1/blocks/latest"},
		{[]string{"latest"}, "/v1/blocks/latest"},
		{[]string{"0"}, "/v1/blocks/0"},
		{[]string{"0042"}, "/v1/blocks/42"},
		{[]string{hash}, "/v1/blocks/" + strings.ToLower(hash)},
	} {
		r := w.ok(append([]string{"block", "--json"}, tc.args...)...)
		var b api.Block
		decodeJSON(t, r.stdout, &b)
		log := w.node.requestLog()
		if last := log[len(log)-1]; last != "GET "+tc.path {
			t.Errorf("block %v requested %s, want %s", tc.args, last, tc.path)
		}
	}
	r = w.ok("block", "5")
	if !strings.Contains(r.stdout, "height        5") || !strings.Contains(r.stdout, "finalized     yes") {
		t.Fatalf("block:\n%s", r.stdout)
	}

	// tx: pending, then finalized with --wait.
	r = w.ok("send", "--to", "@alex", "--amount", "1", "--password-file", w.pw, "--json")
	var out sentOut
	decodeJSON(t, r.stdout, &out)
	w.node.mu.Lock()
	w.node.pendingPolls[out.Hash] = 2
	w.node.mu.Unlock()
	r = w.ok("tx", out.Hash, "--json")
	var ts api.TransactionStatus
	decodeJSON(t, r.stdout, &ts)
	if ts.Status != api.Pending || ts.Transaction == nil || ts.Transaction.Hash != out.Hash {
		t.Fatalf("tx %+v", ts)
	}
	r = w.ok("tx", strings.ToUpper(out.Hash[2:]), "--wait")
	for _, want := range []string{"hash     " + out.Hash, "status   finalized", "block    8, index 0", "amount   1 ORAMA (1000000 rays)", "to       " + crypto.FormatAddress(alex)} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("tx output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestUsernameClaim(t *testing.T) {
	t.Parallel()
	w := newWallet(t)
	r := w.ok("username", "claim", "@alice_1", "--password-file", w.pw, "--tip", "1", "--json")
	var out sentOut
	decodeJSON(t, r.stdout, &out)
	tx := w.node.lastSent()
	var p types.ClaimUsernamePayload
	if err := p.UnmarshalBorsh(tx.Data); err != nil || p.Username != "alice_1" {
		t.Fatalf("payload %q: %v", p.Username, err)
	}
	if tx.Type != types.TxTypeClaimUsername || !tx.To.IsZero() || tx.Amount != 0 || tx.Asset != types.AssetOrama ||
		tx.GasLimit != params.GasClaimUsername+uint64(len(tx.Data))*params.GasPerDataByte || tx.GasTipCap != 1 || tx.GasFeeCap != 21 {
		t.Fatalf("claim %+v", tx)
	}
	if out.Transaction.Type != "ClaimUsername" || out.Transaction.Data == "0x" {
		t.Fatalf("printed %+v", out.Transaction)
	}

	// Invalid names fail locally, before a password or the node.
	before := len(w.node.requestLog())
	for _, name := range []string{"Al", "ALICE", "a b", strings.Repeat("a", 33), "é"} {
		w.fails(exitUsage, []string{"username", "claim", name, "--password-file", w.pw}, "username")
	}
	if len(w.node.requestLog()) != before {
		t.Fatal("an invalid name reached the node")
	}
	// Taken names and accounts that have a name fail before signing.
	w.node.addAccount(types.Address{9}, "taken", 0, 0, 0)
	w.fails(exitFailure, []string{"username", "claim", "taken", "--password-file", w.pw}, "@taken is taken by")
	w.node.addAccount(w.addr, "mine", 0, 0, 0)
	w.fails(exitFailure, []string{"username", "claim", "other", "--password-file", w.pw}, "already has the username @mine")
	// --from @username is resolved by the node.
	r = w.ok("keys", "export", "--from", "@mine", "--json")
	var k struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &k); err != nil || mustParse(t, k.Address) != w.addr {
		t.Fatalf("--from @mine selected %s, %v", k.Address, err)
	}
	w.fails(exitFailure, []string{"keys", "export", "--from", "@taken"}, "no key for")
	w.fails(exitFailure, []string{"keys", "export", "--from", "@ghost"}, "unknown_username")
}

func TestVersionJSON(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	r := c.ok("version", "--json")
	var v struct {
		Version string `json:"version"`
	}
	decodeJSON(t, r.stdout, &v)
	if v.Version != version {
		t.Fatalf("version %q", v.Version)
	}
	if err := json.Unmarshal([]byte(c.ok("version").stdout), &v); err == nil {
		t.Fatal("human version output is JSON")
	}
}
