package rpc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	contracts "github.com/oramanetwork/orama-chain/examples/contracts"
	"github.com/oramanetwork/orama-chain/gen/hostgen/wasm"
	"github.com/oramanetwork/orama-chain/generated/api"
	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/ns"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// The namespace endpoints against a real namespace: a node whose chain
// holds the NamespaceCreate of "demo", and runtime/ns's Manager running it
// on the embedded engines in a temporary directory (the node's own wiring
// of the two is runtime/node's).

var (
	exampleOnce sync.Once
	exampleMods map[string][]byte
	exampleErr  error
)

// exampleModule returns an example contract, built once per test binary.
func exampleModule(t testing.TB, name string) []byte {
	t.Helper()
	exampleOnce.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			exampleErr = err
			return
		}
		exampleMods, exampleErr = contracts.Build(context.Background(), root)
	})
	if exampleErr != nil {
		t.Fatal(exampleErr)
	}
	m, ok := exampleMods[name]
	if !ok {
		t.Fatalf("no example contract %q", name)
	}
	return m
}

// blobData is what blobModule's put stores.
var blobData = []byte("hello blob")

// blobModule is a module whose export put stores blobData with
// orama.storage.put (no example contract stores an object by itself).
func blobModule() []byte {
	body := wasm.I32Const(nil, 1024)
	body = wasm.I32Const(body, int32(len(blobData)))
	body = wasm.U32(append(body, wasm.OpCall), 0)
	body = append(body, wasm.OpDrop)
	// orama_alloc(size): a bump allocator over global 0.
	alloc := wasm.U32(append([]byte{wasm.OpGlobalGet, 0, wasm.OpGlobalGet, 0}, wasm.OpLocalGet), 0)
	alloc = append(alloc, wasm.OpI32Add, wasm.OpGlobalSet, 0)
	m := &wasm.Module{
		Imports: []wasm.Import{{Module: "orama.storage", Name: "put", Type: wasm.FuncType{Params: []byte{wasm.I32, wasm.I32}, Results: []byte{wasm.I32}}}},
		Funcs: []wasm.Func{
			{Type: wasm.FuncType{}, Body: body, Export: "put"},
			{Type: wasm.FuncType{Params: []byte{wasm.I32}, Results: []byte{wasm.I32}}, Body: alloc, Export: "orama_alloc"},
		},
		Pages:   2,
		Globals: []int32{4096},
		Data:    []wasm.Data{{Offset: 1024, Bytes: blobData}},
	}
	return m.Bytes()
}

// fixedFinal is the chain's final block as the namespace sees it.
type fixedFinal struct{ height, ts uint64 }

func (f fixedFinal) Final() (uint64, uint64) { return f.height, f.ts }

// nsFixture is a node, its API and the namespace "demo".
type nsFixture struct {
	t         *testing.T
	n         *node.Node
	keys      []*crypto.PrivateKey
	c         *client
	mgr       *ns.Manager
	demo      *ns.Namespace
	authority *crypto.PrivateKey
}

// newNSFixture creates "demo" (tier) on the chain, opens it with a Manager
// and serves both.
func newNSFixture(t *testing.T, tier types.NamespaceTier, cfg Config) *nsFixture {
	t.Helper()
	n, keys := newTestNode(t, node.Config{})
	f := &nsFixture{t: t, n: n, keys: keys, authority: keys[validatorKey]}
	mgr, err := ns.NewManager(context.Background(), ns.ManagerConfig{Dir: t.TempDir(), ChainID: testChainID,
		Authority: f.authority.Address(), Chain: fixedFinal{height: 1, ts: 1_700_000_000_000}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mgr.Close() })
	f.mgr = mgr
	cfg.Namespaces = mgr
	f.c = newServer(t, n, cfg)

	f.createOnChain(keys[aliceKey], 0, "demo", tier)
	rec, ok, err := n.State().Namespace("demo")
	if err != nil || !ok {
		t.Fatalf("demo is not on the chain: %v", err)
	}
	if f.demo, err = mgr.Ensure(types.NamespaceMeta{Name: rec.Name, Tier: rec.Tier, Owner: rec.Owner, CreatedHeight: rec.CreatedHeight}); err != nil {
		t.Fatal(err)
	}
	return f
}

// createOnChain sends a NamespaceCreate by k and commits a block.
func (f *nsFixture) createOnChain(k *crypto.PrivateKey, nonce uint64, name string, tier types.NamespaceTier) {
	f.t.Helper()
	data, err := (&types.NamespaceCreatePayload{Name: name, Tier: tier}).MarshalBorsh()
	if err != nil {
		f.t.Fatal(err)
	}
	tx := types.Transaction{Type: types.TxTypeNamespaceCreate, Nonce: nonce, Data: data}
	tx.GasLimit = txrules.IntrinsicGas(&tx)
	if r := f.c.send(encodeTx(f.t, signTx(k, testChainID, tx))); r.status != 202 {
		f.t.Fatalf("send NamespaceCreate: %d %s", r.status, r.body)
	}
	produce(f.t, f.n)
}

// nonce reads k's namespace nonce through the API.
func (f *nsFixture) nonce(k *crypto.PrivateKey) uint64 {
	f.t.Helper()
	var acc api.NamespaceAccount
	acc = zero(acc)
	f.c.getJSON("/v1/namespace/demo/accounts/"+crypto.FormatAddress(k.Address()), 200, &acc)
	return atou(f.t, acc.Nonce)
}

func atou(t testing.TB, s string) uint64 {
	t.Helper()
	var v uint64
	if _, err := fmt.Sscan(s, &v); err != nil {
		t.Fatalf("%q is not a u64", s)
	}
	return v
}

// request signs payload by k with its next nonce, as a POST body.
func (f *nsFixture) request(k *crypto.PrivateKey, payload any, module []byte) []byte {
	f.t.Helper()
	return f.requestAt(k, f.nonce(k), payload, module)
}

func (f *nsFixture) requestAt(k *crypto.PrivateKey, nonce uint64, payload any, module []byte) []byte {
	f.t.Helper()
	sub, err := ns.NewSubmission("demo", k, testChainID, nonce, payload, module)
	if err != nil {
		f.t.Fatal(err)
	}
	return submitBody(f.t, sub)
}

func submitBody(t testing.TB, sub *types.NamespaceSubmission) []byte {
	t.Helper()
	b, err := sub.MarshalBorsh()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(api.NamespaceSubmitRequest{Request: hexBytes(b)})
	return body
}

func (f *nsFixture) post(path string, body []byte) response {
	f.t.Helper()
	return f.c.do(http.MethodPost, path, body, "application/json")
}

// submitOK posts a request and requires a 200 with outcome Ok.
func (f *nsFixture) submitOK(path string, body []byte) api.NamespaceSubmitResult {
	f.t.Helper()
	r := f.post(path, body)
	if r.status != 200 {
		f.t.Fatalf("POST %s: %d %s", path, r.status, r.body)
	}
	var res api.NamespaceSubmitResult
	if err := json.Unmarshal(r.body, &res); err != nil {
		f.t.Fatal(err)
	}
	if res.Outcome.Status != api.NsStatusOk {
		f.t.Fatalf("POST %s: outcome %s %q", path, res.Outcome.Status, res.Outcome.Trap)
	}
	return res
}

// deploy deploys mod by k and returns its address.
func (f *nsFixture) deploy(k *crypto.PrivateKey, mod []byte, init string) string {
	f.t.Helper()
	res := f.submitOK("/v1/namespace/demo/contracts", f.request(k, &types.NsDeploy{Init: init, GasLimit: 100_000_000}, mod))
	if res.Address == nil || res.CodeHash == nil || *res.CodeHash != hash32(sha256.Sum256(mod)) {
		f.t.Fatalf("deploy: address %v code hash %v", res.Address, res.CodeHash)
	}
	return *res.Address
}

func (f *nsFixture) call(k *crypto.PrivateKey, contract, fn string, args []uint64, input []byte) api.NamespaceSubmitResult {
	f.t.Helper()
	a, err := crypto.ParseAddress(contract)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.submitOK("/v1/namespace/demo/contracts/"+contract+"/call",
		f.request(k, &types.NsCall{Contract: a, Function: fn, Args: args, Input: input, GasLimit: 10_000_000}, nil))
}

// packText packs up to 32 bytes into guestbook.sign's parameters.
func packText(s string) []uint64 {
	var b [32]byte
	copy(b[:], s)
	out := []uint64{uint64(len(s))}
	for i := range 4 {
		out = append(out, binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

// TestNamespaceAPI runs every namespace operation with good input against
// one namespace, each answer checked against the spec by the client.
func TestNamespaceAPI(t *testing.T) {
	f := newNSFixture(t, types.NamespaceTierTier1, Config{})
	alice, bob := f.keys[aliceKey], f.keys[bobKey]
	c := f.c

	// The chain's records.
	var page api.NamespacePage
	page = zero(page)
	c.getJSON("/v1/namespaces", 200, &page)
	if len(page.Namespaces) != 1 || page.Namespaces[0].Name != "demo" || !page.Namespaces[0].Hosted ||
		page.Namespaces[0].Owner != address(alice.Address()) || len(page.Namespaces[0].Nodes) != 1 || page.NextCursor != nil {
		t.Fatalf("namespaces %+v", page)
	}
	page = zero(page)
	c.getJSON("/v1/namespaces?owner=@alice&limit=1", 200, &page)
	if len(page.Namespaces) != 1 {
		t.Fatalf("alice's namespaces %+v", page)
	}
	page = zero(page)
	c.getJSON("/v1/namespaces?owner="+crypto.FormatAddress(bob.Address()), 200, &page)
	if len(page.Namespaces) != 0 {
		t.Fatalf("bob's namespaces %+v", page)
	}
	var rec api.NamespaceRecord
	rec = zero(rec)
	c.getJSON("/v1/namespace/demo", 200, &rec)
	if rec.Tier != api.NamespaceTier("Tier1") || rec.Position == nil || *rec.Position != "0" || rec.Root == nil {
		t.Fatalf("record %+v", rec)
	}
	var st api.NamespaceStatus
	st = zero(st)
	c.getJSON("/v1/namespace/demo/status", 200, &st)
	if !st.Hosted || st.Engine == nil || *st.Engine != api.Embedded || st.Executor == nil || !*st.Executor || len(st.Nodes) != 1 {
		t.Fatalf("status %+v", st)
	}

	// Value in, deploys, calls.
	var src types.Hash
	src[0] = 1
	dep := f.submitOK("/v1/namespace/demo/deposits", f.request(f.authority, &types.NsDeposit{Asset: types.AssetOrama, Amount: 1000, To: alice.Address(), Source: src}, nil))
	if dep.Position != "1" || dep.Address != nil {
		t.Fatalf("deposit %+v", dep)
	}
	counter := f.deploy(alice, exampleModule(t, "counter"), "")
	res := f.call(alice, counter, "increment", []uint64{5}, nil)
	if len(res.Outcome.Results) != 1 || res.Outcome.Results[0] != "5" || res.Root == hash32(types.Hash{}) {
		t.Fatalf("increment %+v", res)
	}
	// A failed outcome is logged: 200 with its status, the nonce used.
	before := f.nonce(alice)
	a, _ := crypto.ParseAddress(counter)
	r := f.post("/v1/namespace/demo/contracts/"+counter+"/call", f.request(alice, &types.NsCall{Contract: a, Function: "nope", GasLimit: 1_000_000}, nil))
	var failed api.NamespaceSubmitResult
	if r.status != 200 || json.Unmarshal(r.body, &failed) != nil || failed.Outcome.Status != api.NsStatusUnknownFunction || f.nonce(alice) != before+1 {
		t.Fatalf("unknown function: %d %s", r.status, r.body)
	}
	// The same signed request again: the logged entry, not a second one.
	again := f.requestAt(alice, before+1, &types.NsCall{Contract: a, Function: "increment", Args: []uint64{1}, GasLimit: 10_000_000}, nil)
	first := f.submitOK("/v1/namespace/demo/contracts/"+counter+"/call", again)
	second := f.submitOK("/v1/namespace/demo/contracts/"+counter+"/call", again)
	if first.Position != second.Position || first.CallId != second.CallId || first.EntryHash != second.EntryHash {
		t.Fatalf("retry: %+v then %+v", first, second)
	}

	// View: the head's value, nothing logged.
	head := f.demo.Status().Position
	var view api.NamespaceViewResult
	r = f.post("/v1/namespace/demo/contracts/"+counter+"/view", []byte(`{"function":"get","gas_limit":"1000000","caller":"@alice"}`))
	if r.status != 200 || json.Unmarshal(r.body, &view) != nil || view.Outcome.Status != api.NsStatusOk ||
		len(view.Outcome.Results) != 1 || view.Outcome.Results[0] != "6" || view.Position != u64(head) {
		t.Fatalf("view: %d %s", r.status, r.body)
	}
	r = f.post("/v1/namespace/demo/contracts/"+counter+"/view?min_position="+u64(head), []byte(`{"function":"increment","args":["2"],"input":"0x","gas_limit":"1000000"}`))
	if r.status != 200 || json.Unmarshal(r.body, &view) != nil || view.Outcome.Results[0] != "8" || f.demo.Status().Position != head {
		t.Fatalf("view of a write: %d %s (head %d)", r.status, r.body, f.demo.Status().Position)
	}

	// State, contracts, accounts.
	var sv api.NamespaceStateValue
	sv = zero(sv)
	c.getJSON("/v1/namespace/demo/contracts/"+counter+"/state/0x6e?min_position=1", 200, &sv)
	if sv.Value != hexBytes(binary.LittleEndian.AppendUint64(nil, 6)) || sv.Key != "0x6e" {
		t.Fatalf("state %+v", sv)
	}
	// With a proof against the root: present, then absent.
	for _, k := range []string{"0x6e", "0x00"} {
		sv = zero(sv)
		c.getJSON("/v1/namespace/demo/contracts/"+counter+"/state/"+k+"?proof=true", 200, &sv)
		if sv.Proof == nil || sv.Proof.Root != hash32(f.demo.Status().Root) || sv.Proof.Exists != (k == "0x6e") {
			t.Fatalf("state with proof %s: %+v", k, sv)
		}
		ca, _ := crypto.ParseAddress(counter)
		key, _ := hex.DecodeString(k[2:])
		p, err := f.demo.ProveState(ca, key)
		if err != nil || ns.VerifyStateProof(f.demo.Status().Root, ca, key, p) != nil || len(p.AccountProof.Siblings) != len(sv.Proof.AccountProof.Siblings) {
			t.Fatalf("proof %s: %v", k, err)
		}
	}
	var ct api.NamespaceContract
	ct = zero(ct)
	c.getJSON("/v1/namespace/demo/contracts/"+strings.TrimPrefix(counter, "orama:"), 200, &ct)
	if ct.Address != counter || ct.DeployedAt != "2" || ct.CodeHash != hash32(sha256.Sum256(exampleModule(t, "counter"))) {
		t.Fatalf("contract %+v", ct)
	}
	guestbook := f.deploy(alice, exampleModule(t, "guestbook"), "init")
	blobs := f.deploy(bob, blobModule(), "")
	var cp api.NamespaceContractPage
	cp = zero(cp)
	c.getJSON("/v1/namespace/demo/contracts?limit=2", 200, &cp)
	if len(cp.Contracts) != 2 || cp.NextCursor == nil {
		t.Fatalf("contracts page 1 %+v", cp)
	}
	seen := []string{cp.Contracts[0].Address, cp.Contracts[1].Address}
	next := *cp.NextCursor
	cp = zero(cp)
	c.getJSON("/v1/namespace/demo/contracts?limit=2&cursor="+next, 200, &cp)
	if len(cp.Contracts) != 1 || cp.NextCursor != nil {
		t.Fatalf("contracts page 2 %+v", cp)
	}
	seen = append(seen, cp.Contracts[0].Address)
	for _, want := range []string{counter, guestbook, blobs} {
		if !strings.Contains(strings.Join(seen, " "), want) {
			t.Fatalf("contracts %v lack %s", seen, want)
		}
	}
	var acc api.NamespaceAccount
	acc = zero(acc)
	c.getJSON("/v1/namespace/demo/accounts/@alice", 200, &acc)
	if acc.Orama != "1000" || acc.Address != address(alice.Address()) || acc.CodeHash != hash32(types.Hash{}) {
		t.Fatalf("alice %+v", acc)
	}
	acc = zero(acc)
	c.getJSON("/v1/namespace/demo/accounts/"+strings.Repeat("ab", 20), 200, &acc)
	if acc.Orama != "0" || acc.Nonce != "0" {
		t.Fatalf("a new account %+v", acc)
	}

	// Withdraw.
	wd := f.submitOK("/v1/namespace/demo/withdrawals", f.request(alice, &types.NsWithdraw{Asset: types.AssetOrama, Amount: 400, To: alice.Address()}, nil))
	acc = zero(acc)
	c.getJSON("/v1/namespace/demo/accounts/@alice?min_position="+wd.Position, 200, &acc)
	if acc.Orama != "600" {
		t.Fatalf("after the withdrawal %+v", acc)
	}

	// SQL, events.
	f.call(alice, guestbook, "sign", packText("hello"), nil)
	f.call(bob, guestbook, "sign", packText("tab\there"), nil)
	var q api.NamespaceQueryResult
	q = zero(q)
	c.getJSON("/v1/namespace/demo/query?sql="+url.QueryEscape("SELECT id, author, message, 1.5 AS r, NULL AS n FROM guestbook ORDER BY id"), 200, &q)
	want := fmt.Sprintf(`[[{"i":"1"},{"b":"%s"},{"t":"hello"},{"r":1.5},null],[{"i":"2"},{"b":"%s"},{"t":"tab\there"},{"r":1.5},null]]`,
		hexBytes(addrBytes(alice)), hexBytes(addrBytes(bob)))
	if string(q.Rows) != want || strings.Join(q.Columns, ",") != "id,author,message,r,n" || q.Truncated {
		t.Fatalf("query rows %s columns %v\nwant %s", q.Rows, q.Columns, want)
	}
	r = f.post("/v1/namespace/demo/query?min_position=1", []byte(`{"sql":"SELECT ?1, ?2, ?3, ?4, ?5, typeof(?3)","params":[{"i":"-9223372036854775808"},{"t":"x"},{"r":-0.25},{"b":"0x00ff"},null]}`))
	if r.status != 200 || json.Unmarshal(r.body, &q) != nil || string(q.Rows) != `[[{"i":"-9223372036854775808"},{"t":"x"},{"r":-0.25},{"b":"0x00ff"},null,{"t":"real"}]]` {
		t.Fatalf("query with params: %d %s", r.status, r.body)
	}
	q = zero(q)
	c.getJSON("/v1/namespace/demo/query?sql="+url.QueryEscape("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 10001) SELECT x FROM c"), 200, &q)
	var rows [][]json.RawMessage
	if json.Unmarshal(q.Rows, &rows) != nil || len(rows) != ns.MaxQueryRows || !q.Truncated {
		t.Fatalf("10,001 rows: %d, truncated %v", len(rows), q.Truncated)
	}

	var ev api.NamespaceEventPage
	ev = zero(ev)
	c.getJSON("/v1/namespace/demo/events", 200, &ev)
	if len(ev.Events) != 2 || ev.Events[0].Topic != "signed" || ev.Events[0].Caller != address(alice.Address()) || ev.Events[1].Caller != address(bob.Address()) {
		t.Fatalf("events %+v", ev)
	}
	ev = zero(ev)
	c.getJSON("/v1/namespace/demo/events?order=desc&limit=1&topic=signed&contract="+guestbook, 200, &ev)
	if len(ev.Events) != 1 || ev.Events[0].Caller != address(bob.Address()) || ev.NextCursor == nil {
		t.Fatalf("newest event %+v", ev)
	}
	next = *ev.NextCursor
	ev = zero(ev)
	c.getJSON("/v1/namespace/demo/events?order=desc&limit=1&topic=signed&contract="+guestbook+"&cursor="+next, 200, &ev)
	if len(ev.Events) != 1 || ev.Events[0].Caller != address(alice.Address()) {
		t.Fatalf("second page %+v", ev)
	}
	ev = zero(ev)
	c.getJSON("/v1/namespace/demo/events?caller=@alice&from_position=1&to_position="+u64(f.demo.Status().Position), 200, &ev)
	if len(ev.Events) != 1 {
		t.Fatalf("alice's events %+v", ev)
	}
	// Bounds above the largest i64 are no position (they wrapped to -1).
	ev = zero(ev)
	c.getJSON("/v1/namespace/demo/events?from_position=18446744073709551615", 200, &ev)
	if len(ev.Events) != 0 {
		t.Fatalf("events from position 2^64-1 %+v", ev)
	}
	ev = zero(ev)
	c.getJSON("/v1/namespace/demo/events?caller=@alice&to_position=18446744073709551615", 200, &ev)
	if len(ev.Events) != 1 {
		t.Fatalf("alice's events to position 2^64-1 %+v", ev)
	}
	ev = zero(ev)
	c.getJSON("/v1/namespace/demo/events?to_position=0", 200, &ev)
	if len(ev.Events) != 0 {
		t.Fatalf("events to position 0 %+v", ev)
	}

	// Blobs.
	f.call(alice, blobs, "put", nil, nil)
	cid := FormatCID(abi.RawCID(blobData))
	r = c.get("/v1/namespace/demo/blobs/" + cid)
	if r.status != 200 || !bytes.Equal(r.body, blobData) {
		t.Fatalf("blob %s: %d %q", cid, r.status, r.body)
	}

	// The log: pages and single entries, which replay to the head.
	var tl api.NamespaceTxLogPage
	tl = zero(tl)
	c.getJSON("/v1/namespace/demo/txlog?limit=3", 200, &tl)
	if len(tl.Entries) != 3 || tl.NextFrom == nil || *tl.NextFrom != "4" || tl.Entries[0].Position != "1" {
		t.Fatalf("txlog page %+v", tl)
	}
	var all [][]byte
	for from := "1"; ; {
		tl = zero(tl)
		c.getJSON("/v1/namespace/demo/txlog?from="+from, 200, &tl)
		for _, e := range tl.Entries {
			b, _ := hex.DecodeString(strings.TrimPrefix(e.Borsh, "0x"))
			if hash32(sha256.Sum256(b)) != e.Hash {
				t.Fatalf("entry %s: hash %s of its bytes", e.Position, e.Hash)
			}
			all = append(all, b)
		}
		if tl.NextFrom == nil {
			break
		}
		from = *tl.NextFrom
	}
	hd := f.demo.Status()
	if uint64(len(all)) != hd.Position || tl.Head != u64(hd.Position) {
		t.Fatalf("%d entries, head %d", len(all), hd.Position)
	}
	var item api.NamespaceTxLogItem
	item = zero(item)
	c.getJSON("/v1/namespace/demo/txlog/"+u64(hd.Position), 200, &item)
	if item.Hash != hash32(hd.Hash) || item.Entry.Root != hash32(hd.Root) {
		t.Fatalf("last entry %+v, head %+v", item, hd)
	}
	rep, err := ns.Verify(context.Background(), ns.VerifyConfig{Meta: hd.Meta, ChainID: testChainID, Authority: f.authority.Address()}, &ns.SliceSource{Entries: all})
	if err != nil || rep.Head != hd.Hash || rep.Root != hd.Root {
		t.Fatalf("verify of the served log: %+v %v", rep, err)
	}
}

// TestNamespaceBadInput: bad input at every namespace endpoint gets its
// typed 4xx, and nothing is logged.
func TestNamespaceBadInput(t *testing.T) {
	f := newNSFixture(t, types.NamespaceTierTier0, Config{})
	alice, bob := f.keys[aliceKey], f.keys[bobKey]
	counter := f.deploy(alice, exampleModule(t, "counter"), "")
	ca, _ := crypto.ParseAddress(counter)
	f.call(alice, counter, "increment", []uint64{1}, nil)
	head := f.demo.Status()
	nonce := f.nonce(alice)

	call := func(mut func(*types.NsCall)) []byte {
		p := &types.NsCall{Contract: ca, Function: "increment", Args: []uint64{1}, GasLimit: 1_000_000}
		mut(p)
		return f.requestAt(alice, nonce, p, nil)
	}
	badSig := func() []byte {
		sub, _ := ns.NewSubmission("demo", alice, testChainID, nonce, &types.NsCall{Contract: ca, Function: "get", GasLimit: 1_000_000}, nil)
		sub.Request.Signature[3] ^= 1
		return submitBody(t, sub)
	}()
	wrongChain := func() []byte {
		sub, _ := ns.NewSubmission("demo", alice, testChainID+1, nonce, &types.NsCall{Contract: ca, Function: "get", GasLimit: 1_000_000}, nil)
		return submitBody(t, sub)
	}()
	otherNS := func() []byte {
		sub, _ := ns.NewSubmission("other", alice, testChainID, nonce, &types.NsCall{Contract: ca, Function: "get", GasLimit: 1_000_000}, nil)
		return submitBody(t, sub)
	}()
	moduleOnCall := func() []byte {
		sub, _ := ns.NewSubmission("demo", alice, testChainID, nonce, &types.NsCall{Contract: ca, Function: "get", GasLimit: 1_000_000}, nil)
		sub.Module = []byte{1}
		return submitBody(t, sub)
	}()
	badHash := func() []byte {
		sub, _ := ns.NewSubmission("demo", alice, testChainID, nonce, &types.NsDeploy{GasLimit: 1_000_000}, []byte("\x00asm"))
		sub.Module = []byte("\x00asn")
		return submitBody(t, sub)
	}()
	trailing := func() []byte {
		sub, _ := ns.NewSubmission("demo", alice, testChainID, nonce, &types.NsCall{Contract: ca, Function: "get", GasLimit: 1_000_000}, nil)
		b, _ := sub.MarshalBorsh()
		body, _ := json.Marshal(api.NamespaceSubmitRequest{Request: hexBytes(append(b, 0))})
		return body
	}()
	var src types.Hash
	src[5] = 9
	const (
		base   = "/v1/namespace/demo"
		cpath  = base + "/contracts/"
		nobody = "/v1/namespace/nobody"
	)
	cs := cpath + counter
	longSQL := `{"sql":"` + strings.Repeat("x", 16385) + `"}`
	cases := []struct {
		name   string
		method string
		path   string
		body   []byte
		status int
		code   string
	}{
		// Names and namespaces.
		{"name too short", "GET", "/v1/namespace/ab", nil, 400, CodeInvalidNamespace},
		{"name upper case", "GET", "/v1/namespace/Demo/status", nil, 400, CodeInvalidNamespace},
		{"name double dash", "GET", "/v1/namespace/de--mo/contracts", nil, 400, CodeInvalidNamespace},
		{"name trailing dash", "POST", "/v1/namespace/demo-/query", []byte(`{"sql":"SELECT 1"}`), 400, CodeInvalidNamespace},
		{"name 64 bytes", "GET", "/v1/namespace/" + strings.Repeat("a", 64) + "/txlog", nil, 400, CodeInvalidNamespace},
		{"unknown namespace", "GET", nobody, nil, 404, CodeUnknownNamespace},
		{"unknown namespace status", "GET", nobody + "/status", nil, 404, CodeUnknownNamespace},
		{"unknown namespace query", "GET", nobody + "/query?sql=SELECT%201", nil, 404, CodeUnknownNamespace},
		{"unknown namespace deploy", "POST", nobody + "/contracts", call(func(*types.NsCall) {}), 404, CodeUnknownNamespace},
		{"list: limit 0", "GET", "/v1/namespaces?limit=0", nil, 400, CodeInvalidParameter},
		{"list: limit 1001", "GET", "/v1/namespaces?limit=1001", nil, 400, CodeInvalidParameter},
		{"list: bad cursor", "GET", "/v1/namespaces?cursor=A", nil, 400, CodeInvalidParameter},
		{"list: bad owner", "GET", "/v1/namespaces?owner=nobody", nil, 400, CodeInvalidAccount},
		{"list: unknown owner", "GET", "/v1/namespaces?owner=@nobody", nil, 404, CodeUnknownUsername},
		{"list: unknown parameter", "GET", "/v1/namespaces?tier=1", nil, 400, CodeUnknownParameter},

		// Submissions.
		{"request not hex", "POST", cs + "/call", []byte(`{"request":"0xzz"}`), 400, CodeBadRequest},
		{"request odd hex", "POST", cs + "/call", []byte(`{"request":"0xabc"}`), 400, CodeBadRequest},
		{"request without 0x", "POST", cs + "/call", []byte(`{"request":"abcd"}`), 400, CodeBadRequest},
		{"request does not decode", "POST", cs + "/call", []byte(`{"request":"0x0001"}`), 400, CodeInvalidRequest},
		{"request with trailing bytes", "POST", cs + "/call", trailing, 400, CodeInvalidRequest},
		{"extra property", "POST", cs + "/call", []byte(`{"request":"0x00","x":1}`), 400, CodeBadRequest},
		{"no body", "POST", cs + "/call", nil, 400, CodeBadRequest},
		{"request too long", "POST", cs + "/call", []byte(`{"request":"0x` + strings.Repeat("00", 70170) + `"}`), 413, CodeTooLarge},
		{"bad signature", "POST", cs + "/call", badSig, 400, CodeInvalidSignature},
		{"wrong chain id", "POST", cs + "/call", wrongChain, 400, CodeInvalidSignature},
		{"another namespace's request", "POST", cs + "/call", otherNS, 400, CodeInvalidNamespace},
		{"nonce too low", "POST", cs + "/call", f.requestAt(alice, 0, &types.NsCall{Contract: ca, Function: "get", GasLimit: 1_000_000}, nil), 400, CodeNonceTooLow},
		{"nonce gap", "POST", cs + "/call", f.requestAt(alice, nonce+1, &types.NsCall{Contract: ca, Function: "get", GasLimit: 1_000_000}, nil), 400, CodeNonceGap},
		{"gas 0", "POST", cs + "/call", call(func(p *types.NsCall) { p.GasLimit = 0 }), 400, CodeInvalidRequest},
		{"gas over the limit", "POST", cs + "/call", call(func(p *types.NsCall) { p.GasLimit = 1_000_000_001 }), 400, CodeInvalidRequest},
		{"reserved function", "POST", cs + "/call", call(func(p *types.NsCall) { p.Function = "__orama_x" }), 400, CodeInvalidRequest},
		{"call of another contract", "POST", cpath + strings.Repeat("ab", 20) + "/call", call(func(*types.NsCall) {}), 400, CodeInvalidRequest},
		{"a module on a call", "POST", cs + "/call", moduleOnCall, 400, CodeInvalidRequest},
		{"a call posted as deploy", "POST", base + "/contracts", call(func(*types.NsCall) {}), 400, CodeInvalidRequest},
		{"a call posted as withdrawal", "POST", base + "/withdrawals", call(func(*types.NsCall) {}), 400, CodeInvalidRequest},
		{"a call posted as deposit", "POST", base + "/deposits", call(func(*types.NsCall) {}), 400, CodeInvalidRequest},
		{"module not its code hash", "POST", base + "/contracts", badHash, 400, CodeInvalidRequest},
		{"deploy without module", "POST", base + "/contracts", f.requestAt(alice, nonce, &types.NsDeploy{GasLimit: 1}, nil), 400, CodeInvalidRequest},
		{"withdraw of 0", "POST", base + "/withdrawals", f.requestAt(alice, nonce, &types.NsWithdraw{Asset: types.AssetOrama, To: alice.Address()}, nil), 400, CodeInvalidRequest},
		{"deposit not by the authority", "POST", base + "/deposits", f.requestAt(alice, nonce, &types.NsDeposit{Asset: types.AssetOrama, Amount: 1, To: alice.Address(), Source: src}, nil), 403, CodeNotAuthority},
		{"call: bad contract id", "POST", cpath + "nope/call", call(func(*types.NsCall) {}), 400, CodeInvalidAccount},

		// Reads.
		{"unknown contract", "GET", cpath + strings.Repeat("ab", 20), nil, 404, CodeUnknownContract},
		{"contract: bad address", "GET", cpath + "0x1234", nil, 400, CodeInvalidAccount},
		{"contract: unknown username", "GET", cpath + "@nobody", nil, 404, CodeUnknownUsername},
		{"contracts: bad cursor", "GET", base + "/contracts?cursor=" + strings.Repeat("AB", 20), nil, 400, CodeInvalidParameter},
		{"contracts: limit 0", "GET", base + "/contracts?limit=0", nil, 400, CodeInvalidParameter},
		{"state: absent key", "GET", cs + "/state/0x00", nil, 404, CodeNotFound},
		{"state: key not hex", "GET", cs + "/state/n", nil, 400, CodeInvalidParameter},
		{"state: upper-case hex", "GET", cs + "/state/0xAB", nil, 400, CodeInvalidParameter},
		{"state: key too long", "GET", cs + "/state/0x" + strings.Repeat("00", 257), nil, 400, CodeInvalidParameter},
		{"state: unknown contract", "GET", cpath + strings.Repeat("ab", 20) + "/state/0x6e", nil, 404, CodeUnknownContract},
		{"state: bad min_position", "GET", cs + "/state/0x6e?min_position=-1", nil, 400, CodeInvalidParameter},
		{"state: proof not a boolean", "GET", cs + "/state/0x6e?proof=yes", nil, 400, CodeInvalidParameter},
		{"account: bad id", "GET", base + "/accounts/nobody", nil, 400, CodeInvalidAccount},
		{"account: unknown username", "GET", base + "/accounts/@nobody", nil, 404, CodeUnknownUsername},
		{"txlog: from 0", "GET", base + "/txlog?from=0", nil, 400, CodeInvalidParameter},
		{"txlog: from word", "GET", base + "/txlog?from=one", nil, 400, CodeInvalidParameter},
		{"txlog: limit 1001", "GET", base + "/txlog?limit=1001", nil, 400, CodeInvalidParameter},
		{"txlog: position 0", "GET", base + "/txlog/0", nil, 400, CodeInvalidParameter},
		{"txlog: beyond the head", "GET", base + "/txlog/99", nil, 404, CodeNotFound},
		{"txlog: over u64", "GET", base + "/txlog/99999999999999999999", nil, 400, CodeInvalidParameter},
		{"events: bad cursor", "GET", base + "/events?cursor=AAAAAAAAAAAAAAAAAA", nil, 400, CodeInvalidParameter},
		{"events: cursor of the other order", "GET", base + "/events?order=desc&cursor=" + base64.RawURLEncoding.EncodeToString(append(make([]byte, 12), 'a')), nil, 400, CodeInvalidParameter},
		{"events: short cursor", "GET", base + "/events?cursor=abc", nil, 400, CodeInvalidParameter},
		{"events: order up", "GET", base + "/events?order=up", nil, 400, CodeInvalidParameter},
		{"events: bad contract", "GET", base + "/events?contract=xyz", nil, 400, CodeInvalidAccount},
		{"events: unknown caller", "GET", base + "/events?caller=@nobody", nil, 404, CodeUnknownUsername},
		{"events: topic too long", "GET", base + "/events?topic=" + strings.Repeat("t", 65), nil, 400, CodeInvalidParameter},
		{"blob: not a CID", "GET", base + "/blobs/xyz", nil, 400, CodeInvalidParameter},
		{"blob: CIDv1 of another codec", "GET", base + "/blobs/b" + strings.Repeat("a", 58), nil, 400, CodeInvalidParameter},
		{"blob: absent", "GET", base + "/blobs/" + FormatCID(abi.RawCID([]byte("never stored"))), nil, 404, CodeNotFound},

		// View.
		{"view: no function", "POST", cs + "/view", []byte(`{"gas_limit":"1"}`), 400, CodeBadRequest},
		{"view: gas not a string", "POST", cs + "/view", []byte(`{"function":"get","gas_limit":1}`), 400, CodeBadRequest},
		{"view: gas 0", "POST", cs + "/view", []byte(`{"function":"get","gas_limit":"0"}`), 400, CodeInvalidRequest},
		{"view: bad arg", "POST", cs + "/view", []byte(`{"function":"get","gas_limit":"1","args":["-1"]}`), 400, CodeBadRequest},
		{"view: 17 args", "POST", cs + "/view", []byte(`{"function":"get","gas_limit":"1","args":["1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1"]}`), 400, CodeBadRequest},
		{"view: input upper-case", "POST", cs + "/view", []byte(`{"function":"get","gas_limit":"1","input":"0xAB"}`), 400, CodeBadRequest},
		{"view: extra property", "POST", cs + "/view", []byte(`{"function":"get","gas_limit":"1","value":"1"}`), 400, CodeBadRequest},
		{"view: bad caller", "POST", cs + "/view", []byte(`{"function":"get","gas_limit":"1","caller":"xyz"}`), 400, CodeInvalidAccount},
		{"view: reserved function", "POST", cs + "/view", []byte(`{"function":"__orama_x","gas_limit":"1"}`), 400, CodeInvalidRequest},
		{"view: unknown contract", "POST", cpath + strings.Repeat("ab", 20) + "/view", []byte(`{"function":"get","gas_limit":"1"}`), 404, CodeUnknownContract},

		// Query.
		{"query: no sql", "GET", base + "/query", nil, 400, CodeInvalidParameter},
		{"query: empty sql", "GET", base + "/query?sql=", nil, 400, CodeInvalidParameter},
		{"query: syntax", "GET", base + "/query?sql=SELEC", nil, 400, CodeSQLError},
		{"query: no such table", "GET", base + "/query?sql=SELECT%20*%20FROM%20nothing", nil, 400, CodeSQLError},
		{"query: a write", "GET", base + "/query?sql=" + url.QueryEscape("CREATE TABLE t (x)"), nil, 403, CodeSQLReadOnly},
		{"query: the txlog", "GET", base + "/query?sql=" + url.QueryEscape("SELECT * FROM _orama_txlog"), nil, 403, CodeSQLDenied},
		{"query: sqlite_schema", "GET", base + "/query?sql=" + url.QueryEscape("SELECT * FROM sqlite_schema"), nil, 403, CodeSQLDenied},
		{"query: attach", "GET", base + "/query?sql=" + url.QueryEscape("ATTACH 'x.db' AS x"), nil, 403, CodeSQLDenied},
		{"query: too long", "POST", base + "/query", []byte(longSQL), 413, CodeTooLarge},
		{"query: params not an array", "POST", base + "/query", []byte(`{"sql":"SELECT ?1","params":{"i":"1"}}`), 400, CodeBadRequest},
		{"query: param two keys", "POST", base + "/query", []byte(`{"sql":"SELECT ?1","params":[{"i":"1","t":"x"}]}`), 400, CodeBadRequest},
		{"query: param unknown key", "POST", base + "/query", []byte(`{"sql":"SELECT ?1","params":[{"x":"1"}]}`), 400, CodeBadRequest},
		{"query: integer over i64", "POST", base + "/query", []byte(`{"sql":"SELECT ?1","params":[{"i":"9223372036854775808"}]}`), 400, CodeBadRequest},
		{"query: integer with +", "POST", base + "/query", []byte(`{"sql":"SELECT ?1","params":[{"i":"+1"}]}`), 400, CodeBadRequest},
		{"query: real out of range", "POST", base + "/query", []byte(`{"sql":"SELECT ?1","params":[{"r":1e999}]}`), 400, CodeBadRequest},
		{"query: blob upper-case", "POST", base + "/query", []byte(`{"sql":"SELECT ?1","params":[{"b":"0xAB"}]}`), 400, CodeBadRequest},
		{"query: sql missing", "POST", base + "/query", []byte(`{"params":[]}`), 400, CodeBadRequest},
		{"query: min_position word", "POST", base + "/query?min_position=x", []byte(`{"sql":"SELECT 1"}`), 400, CodeInvalidParameter},
		{"query: first row too large", "GET", base + "/query?sql=" + url.QueryEscape("SELECT zeroblob(1000000), zeroblob(1000000), zeroblob(1000000)"), nil, 413, CodeResultTooLarge},

		// Methods.
		{"DELETE a namespace", "DELETE", base, nil, 405, CodeMethodNotAllowed},
		{"PUT query", "PUT", base + "/query", nil, 405, CodeMethodNotAllowed},
		{"GET call", "GET", cs + "/call", nil, 405, CodeMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.c.do(tc.method, tc.path, tc.body, map[bool]string{true: "application/json"}[tc.body != nil])
			wantError(t, tc.method+" "+tc.path, r, tc.status, tc.code)
			f.c.getJSON("/v1/chain/status", 200, nil)
		})
	}
	if st := f.demo.Status(); st.Position != head.Position || st.Hash != head.Hash {
		t.Fatalf("bad input changed the namespace: %+v, was %+v", st, head)
	}
	if f.nonce(alice) != nonce || f.nonce(bob) != 0 {
		t.Fatal("bad input used a nonce")
	}
}

// TestNamespaceUnavailable: the 503s, with Retry-After, and a namespace
// the chain holds that the node does not run.
func TestNamespaceUnavailable(t *testing.T) {
	f := newNSFixture(t, types.NamespaceTierTier0, Config{NamespaceWait: 50 * time.Millisecond})
	r := f.c.get("/v1/namespace/demo/query?sql=SELECT%201&min_position=5")
	wantError(t, "behind", r, 503, CodeBehind)
	if r.header.Get("Retry-After") != "1" {
		t.Fatalf("behind without Retry-After: %v", r.header)
	}
	r = f.c.get("/v1/namespace/demo/accounts/@alice?min_position=1")
	wantError(t, "behind", r, 503, CodeBehind)

	// On the chain, not run here.
	f.createOnChain(f.keys[bobKey], 0, "elsewhere", types.NamespaceTierTier0)
	var rec api.NamespaceRecord
	rec = zero(rec)
	f.c.getJSON("/v1/namespace/elsewhere", 200, &rec)
	if rec.Hosted || rec.Position != nil || rec.Owner != address(f.keys[bobKey].Address()) {
		t.Fatalf("a namespace not run here: %+v", rec)
	}
	var st api.NamespaceStatus
	st = zero(st)
	f.c.getJSON("/v1/namespace/elsewhere/status", 200, &st)
	if st.Hosted || st.Position != nil {
		t.Fatalf("status of a namespace not run here: %+v", st)
	}
	for _, p := range []string{"/v1/namespace/elsewhere/contracts", "/v1/namespace/elsewhere/txlog", "/v1/namespace/elsewhere/query?sql=SELECT%201"} {
		r := f.c.get(p)
		wantError(t, p, r, 503, CodeNamespaceUnavailable)
		if r.header.Get("Retry-After") == "" {
			t.Fatalf("%s: no Retry-After", p)
		}
	}
	var page api.NamespacePage
	page = zero(page)
	f.c.getJSON("/v1/namespaces?limit=1", 200, &page)
	if len(page.Namespaces) != 1 || page.Namespaces[0].Name != "demo" || page.NextCursor == nil {
		t.Fatalf("page 1 %+v", page)
	}
	next := *page.NextCursor
	page = zero(page)
	f.c.getJSON("/v1/namespaces?limit=1&cursor="+next, 200, &page)
	if len(page.Namespaces) != 1 || page.Namespaces[0].Name != "elsewhere" || page.Namespaces[0].Hosted || page.NextCursor != nil {
		t.Fatalf("page 2 %+v", page)
	}

	// Without namespaces configured: unknown, or unavailable for the
	// chain's.
	c := newServer(t, f.n, Config{})
	wantError(t, "no namespaces", c.get("/v1/namespace/nobody/txlog"), 404, CodeUnknownNamespace)
	wantError(t, "no namespaces", c.get("/v1/namespace/demo/txlog"), 503, CodeNamespaceUnavailable)
	wantError(t, "no namespaces", c.get("/v1/namespace/nobody"), 404, CodeUnknownNamespace)
}

// TestNamespaceQueryTimeout: a statement running past the limit is
// interrupted.
func TestNamespaceQueryTimeout(t *testing.T) {
	f := newNSFixture(t, types.NamespaceTierTier0, Config{QueryTimeout: 100 * time.Millisecond})
	q := "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"
	start := time.Now()
	r := f.c.get("/v1/namespace/demo/query?sql=" + url.QueryEscape(q))
	wantError(t, "endless query", r, 400, CodeQueryTimeout)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("interrupted after %v", d)
	}
	f.c.getJSON("/v1/namespace/demo/query?sql=SELECT%201", 200, nil)
}

// TestNamespaceViewTimeout: an unsigned view whose SQL never ends is
// interrupted at the query time limit (it held the namespace, and every
// endpoint that needs it, for as long as its client waited), and the
// namespace answers afterwards.
func TestNamespaceViewTimeout(t *testing.T) {
	f := newNSFixture(t, types.NamespaceTierTier1, Config{QueryTimeout: 200 * time.Millisecond})
	probe := f.deploy(f.keys[aliceKey], exampleModule(t, "sqlprobe"), "")
	q := "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"
	body := fmt.Sprintf(`{"function":"query_input","gas_limit":"1000000","input":"0x%x"}`, q)
	start := time.Now()
	r := f.post("/v1/namespace/demo/contracts/"+probe+"/view", []byte(body))
	wantError(t, "endless view", r, 400, CodeQueryTimeout)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("interrupted after %v", d)
	}
	f.c.getJSON("/v1/namespace/demo/status", 200, nil)
	// An endless write in a view: SQLite rolls back the view's whole
	// transaction when it interrupts a write; logged calls go on after it.
	f.call(f.keys[aliceKey], probe, "exec_input", nil, []byte("CREATE TABLE t (x)"))
	w := "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c"
	r = f.post("/v1/namespace/demo/contracts/"+probe+"/view", []byte(fmt.Sprintf(`{"function":"exec_input","gas_limit":"1000000","input":"0x%x"}`, w)))
	wantError(t, "endless write in a view", r, 400, CodeQueryTimeout)
	res := f.call(f.keys[aliceKey], probe, "exec_input", nil, []byte("INSERT INTO t VALUES (1)"))
	if res.Outcome.Status != api.NsStatusOk || res.Outcome.Results[0] != "0" {
		t.Fatalf("a call after the interrupted view: %+v", res.Outcome)
	}
	var qr api.NamespaceQueryResult
	f.c.getJSON("/v1/namespace/demo/query?sql="+url.QueryEscape("SELECT count(*) FROM t"), 200, &qr)
	if string(qr.Rows) != `[[{"i":"1"}]]` {
		t.Fatalf("t after the view and the call: %s", qr.Rows)
	}
}

// TestNamespaceLargeDeploy: a deploy body far above the node's default body
// limit is taken (x-max-body-bytes), one above its own limit is not.
func TestNamespaceLargeDeploy(t *testing.T) {
	f := newNSFixture(t, types.NamespaceTierTier0, Config{})
	mod := blobModule()
	// A custom section pads the module to 400 KiB: valid wasm, a body far
	// over the default limit. (Entries over 1 MiB cannot be logged yet: the
	// replica's SQLITE_LIMIT_LENGTH is MaxResultBytes.)
	pad := make([]byte, 400<<10)
	sec := wasm.U32([]byte{0}, uint32(len(pad)+2))
	sec = append(wasm.U32(sec, 1), 'p')
	mod = append(append(mod, sec...), pad...)
	res := f.submitOK("/v1/namespace/demo/contracts", f.request(f.keys[aliceKey], &types.NsDeploy{GasLimit: 100_000_000}, mod))
	if res.Address == nil {
		t.Fatalf("large deploy %+v", res)
	}
	huge := []byte(`{"request":"0x` + strings.Repeat("00", 4264475) + `"}`)
	wantError(t, "over the deploy limit", f.post("/v1/namespace/demo/contracts", huge), 413, CodeTooLarge)
}

// TestNamespaceServedJSONHasSpecFields: the namespace answers carry every
// field of the spec types in them (TxLogEntry, NsOutcome, NamespaceRecord,
// ...), as TestServedJSONHasSpecFields checks for the chain's.
func TestNamespaceServedJSONHasSpecFields(t *testing.T) {
	f := newNSFixture(t, types.NamespaceTierTier1, Config{})
	counter := f.deploy(f.keys[aliceKey], exampleModule(t, "counter"), "")
	f.call(f.keys[aliceKey], counter, "increment", []uint64{3}, nil)
	router, err := specRouter()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range []string{"/v1/namespaces", "/v1/namespace/demo", "/v1/namespace/demo/status", "/v1/namespace/demo/txlog", "/v1/namespace/demo/txlog/2"} {
		r := f.c.get(p)
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", p, r.status, r.body)
		}
		req, _ := http.NewRequest(http.MethodGet, "http://node.test"+p, nil)
		route, _, err := router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatal(err)
		}
		walkSpecJSON(t, p, v, route.Operation.Responses.Status(200).Value.Content.Get("application/json").Schema.Value, seen)
	}
	for _, want := range []string{"NamespaceRecord", "NamespaceNode", "TxLogEntry", "NamespaceSubmission", "NamespaceRequest", "NsOutcome", "WriteSet", "NsAccountWrite", "NsAccount"} {
		if !seen[want] {
			t.Errorf("no namespace response carried a %s", want)
		}
	}
}

// TestCID: the base32 text form of a CID round-trips and is strict.
func TestCID(t *testing.T) {
	cid := abi.RawCID([]byte("x"))
	s := FormatCID(cid)
	if len(s) != 59 || s[0] != 'b' {
		t.Fatalf("%q", s)
	}
	back, err := ParseCID(s)
	if err != nil || !bytes.Equal(back, cid) {
		t.Fatalf("%x %v", back, err)
	}
	for _, bad := range []string{"", "b", s[1:], "B" + s[1:], s[:58] + "b", strings.ToUpper(s), s + "a"} {
		if _, err := ParseCID(bad); err == nil {
			t.Errorf("ParseCID(%q) accepted", bad)
		}
	}
}

// TestNSErrorMapping: each engine error has its code; 503s carry
// Retry-After and say why, a 500 says nothing.
func TestNSErrorMapping(t *testing.T) {
	bg := context.Background()
	expired, cancel := context.WithDeadline(bg, time.Now().Add(-time.Second))
	defer cancel()
	for _, c := range []struct {
		err    error
		ctx    context.Context
		status int
		code   string
	}{
		{&ns.Refusal{Err: ns.ErrInvalidRequest, Msg: "x"}, bg, 400, CodeInvalidRequest},
		{&ns.Refusal{Err: ns.ErrInvalidSignature, Msg: "x"}, bg, 400, CodeInvalidSignature},
		{&ns.Refusal{Err: ns.ErrWrongNamespace, Msg: "x"}, bg, 400, CodeInvalidNamespace},
		{&ns.Refusal{Err: ns.ErrNonceTooLow, Msg: "x"}, bg, 400, CodeNonceTooLow},
		{&ns.Refusal{Err: ns.ErrNonceGap, Msg: "x"}, bg, 400, CodeNonceGap},
		{&ns.Refusal{Err: ns.ErrNotAuthority, Msg: "x"}, bg, 403, CodeNotAuthority},
		{&ns.Refusal{Err: fmt.Errorf("new"), Msg: "x"}, bg, 400, CodeInvalidRequest},
		{ns.ErrClosed, bg, 503, CodeNamespaceUnavailable},
		{fmt.Errorf("batch: %w", ns.ErrHostFailure), bg, 503, CodeNamespaceUnavailable},
		{fmt.Errorf("boom"), bg, 500, CodeInternal},
		{fmt.Errorf("q: %w", hostabi.ErrSQLError), bg, 400, CodeSQLError},
		{fmt.Errorf("q: %w", hostabi.ErrSQLDenied), bg, 403, CodeSQLDenied},
		{fmt.Errorf("q: %w", hostabi.ErrSQLReadOnly), bg, 403, CodeSQLReadOnly},
		{fmt.Errorf("q: %w", hostabi.ErrResultTooLarge), bg, 413, CodeResultTooLarge},
		{fmt.Errorf("q: %w", hostabi.ErrSQLError), expired, 400, CodeQueryTimeout}, // interrupted
		{context.DeadlineExceeded, bg, 400, CodeQueryTimeout},
	} {
		e := queryError(c.ctx, c.err)
		if e.Status != c.status || e.Code != c.code {
			t.Errorf("%v: %d %s, want %d %s", c.err, e.Status, e.Code, c.status, c.code)
		}
		if e.Status == 503 && e.RetryAfter == 0 {
			t.Errorf("%v: 503 without Retry-After", c.err)
		}
	}
}

func addrBytes(k *crypto.PrivateKey) []byte {
	a := k.Address()
	return a[:]
}

// zero returns T's zero value, so that a reused variable holds only what
// the next answer sets.
func zero[T any](T) T {
	var z T
	return z
}
