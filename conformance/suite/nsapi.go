package suite

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// The namespace gateway (spec/namespaces.md 10): every operation under
// /v1/namespace/{name}/ with a bad and, on a namespace the node under test
// runs, a good input.

// nsAPIName is the namespace rest/namespaces/api creates; nsUnknown is a
// valid name no check creates.
const (
	nsAPIName = "conformance-api"
	nsUnknown = "conformance-none"
	secNS     = "spec/namespaces.md 10"
)

// nsHostWait is how long rest/namespaces/api waits for the node under test
// to run the namespace once its create is final.
const nsHostWait = 20 * time.Second

// nsProbeModule is a contract for the checks (written with
// gen/hostgen/wasm; the suite imports nothing of the node): export store()
// puts "hello blob" with orama.storage.put, sets state "k" = "v" and emits
// the event {topic "stored", data 0x07}; answer() returns 42; orama_alloc
// is a bump allocator.
var nsProbeModule = mustHex("0061736d01000000011b0560027f7f017f60047f7f7f7f017f6000006000017e60017f017f0234030d6f72616d612e73746f7261" +
	"67650370757400000b6f72616d612e7374617465037365740001056f72616d6104656d697400000304030203040504010102020607017f014180200b07290405" +
	"73746f7265000306616e7377657200040b6f72616d615f616c6c6f630005066d656d6f727902000a32031f00418008410a10001a41cc08410141cd0841011001" +
	"1a41b009410f10021a0b0400422a0b0b002300230020006a24000b0b2e03004180080b0a68656c6c6f20626c6f620041cc080b026b760041b0090b0f060000" +
	"0073746f7265640100000007")

var nsProbeBlob = []byte("hello blob")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// nsOps are the operations of the namespace gateway: a request for each,
// built for a namespace name (with a body the schema takes, so that the
// name decides the answer).
var nsOps = []struct {
	op, method, path string
	body             string
}{
	{"getNamespace", http.MethodGet, "", ""},
	{"getNamespaceStatus", http.MethodGet, "/status", ""},
	{"listNamespaceContracts", http.MethodGet, "/contracts", ""},
	{"deployNamespaceContract", http.MethodPost, "/contracts", `{"request":"0x00"}`},
	{"getNamespaceContract", http.MethodGet, "/contracts/0x" + strings.Repeat("ab", 20), ""},
	{"getNamespaceContractState", http.MethodGet, "/contracts/0x" + strings.Repeat("ab", 20) + "/state/0x00", ""},
	{"callNamespaceContract", http.MethodPost, "/contracts/0x" + strings.Repeat("ab", 20) + "/call", `{"request":"0x00"}`},
	{"viewNamespaceContract", http.MethodPost, "/contracts/0x" + strings.Repeat("ab", 20) + "/view", `{"function":"f","gas_limit":"1"}`},
	{"queryNamespace", http.MethodGet, "/query?sql=SELECT%201", ""},
	{"queryNamespaceWithParams", http.MethodPost, "/query", `{"sql":"SELECT 1"}`},
	{"getNamespaceEvents", http.MethodGet, "/events", ""},
	{"getNamespaceTxLog", http.MethodGet, "/txlog", ""},
	{"getNamespaceTxLogEntry", http.MethodGet, "/txlog/1", ""},
	{"getNamespaceAccount", http.MethodGet, "/accounts/0x" + strings.Repeat("ab", 20), ""},
	{"namespaceWithdraw", http.MethodPost, "/withdrawals", `{"request":"0x00"}`},
	{"namespaceDeposit", http.MethodPost, "/deposits", `{"request":"0x00"}`},
	{"getNamespaceBlob", http.MethodGet, "/blobs/" + nsCID([]byte("absent")), ""},
}

func nsRequestFor(op, method, name, path, body string) request {
	q := request{op: op, method: method, target: "/v1/namespace/" + name + path}
	if body != "" {
		q.body = []byte(body)
	}
	return q
}

// nsCID is a CIDv1 raw SHA2-256 in base32 text form (spec/namespaces.md 2.3).
func nsCID(data []byte) string {
	d := sha256.Sum256(data)
	b := append([]byte{0x01, 0x55, 0x12, 0x20}, d[:]...)
	return "b" + base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding).EncodeToString(b)
}

// checkNamespaceBadInput: every namespace operation refuses a name that
// breaks the rules (invalid_namespace) and one neither the chain nor the
// node knows (unknown_namespace). No namespace is needed.
func (l *live) checkNamespaceBadInput(c *C) {
	for _, o := range nsOps {
		l.nut.fails(c, nsRequestFor(o.op, o.method, "Bad--Name", o.path, o.body), 400, "invalid_namespace")
		l.nut.fails(c, nsRequestFor(o.op, o.method, "de--mo", o.path, o.body), 400, "invalid_namespace")
		l.nut.fails(c, nsRequestFor(o.op, o.method, nsUnknown, o.path, o.body), 404, "unknown_namespace")
	}
	l.nut.fails(c, get("listNamespaces", "/v1/namespaces?cursor=Bad"), 400, "invalid_parameter")
	l.nut.fails(c, get("listNamespaces", "/v1/namespaces?owner=nobody"), 400, "invalid_account")
	l.nut.fails(c, get("getNamespaceTxLog", "/v1/namespace/"+nsUnknown+"/txlog?limit=1001"), 400, "invalid_parameter")
	l.nut.fails(c, get("getNamespaceBlob", "/v1/namespace/"+nsUnknown+"/blobs/xyz"), 400, "invalid_parameter")
	l.nut.fails(c, request{method: http.MethodDelete, target: "/v1/namespace/" + nsUnknown}, 405, "method_not_allowed")
}

// nsSigner signs namespace requests of one key, counting its nonce.
type nsSigner struct {
	k     *crypto.PrivateKey
	nonce uint64
}

// body signs a request (spec/namespaces.md 3.2: domain NamespaceRequest,
// the chain id) and returns its POST body; the nonce is used.
func (s *nsSigner) body(kind types.NamespaceRequestKind, payload interface{ MarshalBorsh() ([]byte, error) }, module []byte) []byte {
	b := nsBody(s.k, liveChainID, nsAPIName, s.nonce, kind, payload, module)
	s.nonce++
	return b
}

func nsBody(k *crypto.PrivateKey, chainID uint64, name string, nonce uint64, kind types.NamespaceRequestKind,
	payload interface{ MarshalBorsh() ([]byte, error) }, module []byte) []byte {
	return nsBodyWith(k, chainID, name, nonce, kind, payload, module, nil)
}

// nsBodyWith is nsBody with the signed request changed by mut (to break it).
func nsBodyWith(k *crypto.PrivateKey, chainID uint64, name string, nonce uint64, kind types.NamespaceRequestKind,
	payload interface{ MarshalBorsh() ([]byte, error) }, module []byte, mut func(*types.NamespaceRequest)) []byte {
	p, err := payload.MarshalBorsh()
	if err != nil {
		panic(err)
	}
	req := types.NamespaceRequest{Namespace: name, Signer: k.Address(), Nonce: nonce, Kind: kind, Payload: p}
	sp, err := req.SigningPayload()
	if err != nil {
		panic(err)
	}
	if req.Signature, err = crypto.SignDomain(k, crypto.DomainNamespaceRequest, chainID, sp); err != nil {
		panic(err)
	}
	if mut != nil {
		mut(&req)
	}
	sub := types.NamespaceSubmission{Request: req, Module: module}
	enc, err := sub.MarshalBorsh()
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(api.NamespaceSubmitRequest{Request: "0x" + hex.EncodeToString(enc)})
	return out
}

// post expects 200 from a POST and decodes it into out.
func (cl *client) post(c *C, op, target string, body []byte, out any) bool {
	r, err := cl.send(c.ctx, request{op: op, method: http.MethodPost, target: target, body: body})
	switch {
	case r == nil:
		c.Fatalf("%s: POST %s: %v", cl.name, target, err)
	case err != nil:
		c.Errorf("%v", err)
		return false
	case r.status != http.StatusOK:
		c.Errorf("%s: want 200, got %s", cl.name, r)
		return false
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			c.Errorf("%s: POST %s: %v", cl.name, target, err)
			return false
		}
	}
	if cl.cov != nil {
		cl.cov.op(op, true)
	}
	return true
}

// checkNamespaceAPI creates a namespace and, once the node under test runs
// it, calls every operation of the gateway with good input and checks what
// it answers against what the requests must have done; then the refusals
// that need a running namespace, each with its code.
func (l *live) checkNamespaceAPI(c *C) {
	k := testKey(keyNsAPI)
	owner := k.Address()
	pool := make([]types.Address, len(l.g.Validators))
	for i, v := range l.g.Validators {
		pool[i] = v.Address
	}
	want, ok := placement(pool, nil, nsAPIName, 0)
	if !ok {
		c.Setupf("the live pool of %d validators cannot place a namespace", len(pool))
	}
	create := sign(k, liveChainID, nsCreate(owner, nsAPIName, types.NamespaceTierTier1, 0, 0))
	if !l.nut.submit(c, create) {
		return
	}
	l.final(c, create, types.TxStatusSuccess, namespaceCreatedEvent(owner, nsAPIName, types.NamespaceTierTier1, want))

	base := "/v1/namespace/" + nsAPIName
	var rec api.NamespaceRecord
	deadline := time.Now().Add(nsHostWait)
	for {
		if !l.nut.get(c, "getNamespace", base, &rec) {
			return
		}
		if rec.Hosted || time.Now().After(deadline) {
			break
		}
		sleep(c, 250*time.Millisecond)
	}
	if !rec.Hosted {
		placed := make([]string, len(rec.Nodes))
		for i, n := range rec.Nodes {
			placed[i] = n.Node
		}
		// A node that does not run the namespace says so with a 503.
		l.nut.fails(c, get("listNamespaceContracts", base+"/contracts"), 503, "namespace_unavailable")
		c.Setupf("the node under test does not run namespace %s (placed on [%s] by spec/namespaces.md 9: the live pool is our "+
			"validator alone, and the node under test follows it without being in the pool): the good-input checks of "+
			"the namespace gateway (deploy, call, view, state, query, events, txlog, accounts, withdrawals, deposits, blobs) and "+
			"the codes only a running namespace gives (invalid_request, not_authority, unknown_contract, sql_error, sql_denied, "+
			"sql_read_only, query_timeout, result_too_large, behind) cannot be checked on it yet",
			nsAPIName, strings.Join(placed, ", "))
	}
	l.namespaceGateway(c, k)
}

// namespaceGateway is checkNamespaceAPI on a namespace the node under test
// runs.
func (l *live) namespaceGateway(c *C, k *crypto.PrivateKey) {
	base := "/v1/namespace/" + nsAPIName
	s := &nsSigner{k: k}
	auth := &nsSigner{k: testKey(keyValidator)}
	var st api.NamespaceStatus
	if l.nut.get(c, "getNamespaceStatus", base+"/status", &st) && (!st.Hosted || st.Name != nsAPIName || st.Tier != "Tier1") {
		c.Errorf("GET %s/status: %s", base, jsonOf(st))
	}

	// Value in (the deposit authority: our validator) and out.
	var src types.Hash
	src[31] = 1
	var res api.NamespaceSubmitResult
	if l.nut.post(c, "namespaceDeposit", base+"/deposits", auth.body(types.NamespaceRequestKindDeposit,
		&types.NsDeposit{Asset: types.AssetOrama, Amount: 1000, To: k.Address(), Source: src}, nil), &res) && res.Outcome.Status != "Ok" {
		c.Errorf("deposit by the deposit authority: %s", jsonOf(res))
	}
	l.nut.fails(c, request{op: "namespaceDeposit", method: http.MethodPost, target: base + "/deposits",
		body: nsBody(k, liveChainID, nsAPIName, s.nonce, types.NamespaceRequestKindDeposit,
			&types.NsDeposit{Asset: types.AssetOrama, Amount: 1, To: k.Address(), Source: src}, nil)}, 403, "not_authority")
	if l.nut.post(c, "namespaceWithdraw", base+"/withdrawals", s.body(types.NamespaceRequestKindWithdraw,
		&types.NsWithdraw{Asset: types.AssetOrama, Amount: 400, To: k.Address()}, nil), &res) && res.Outcome.Status != "Ok" {
		c.Errorf("withdraw of 400 of 1000: %s", jsonOf(res))
	}
	var acc api.NamespaceAccount
	if l.nut.get(c, "getNamespaceAccount", base+"/accounts/"+crypto.FormatAddress(k.Address()), &acc) &&
		(acc.Orama != "600" || acc.Nonce != u64s(s.nonce)) {
		c.Errorf("account after deposit and withdrawal: %s; want orama 600, nonce %d", jsonOf(acc), s.nonce)
	}

	// Deploy and calls.
	mod := nsProbeModule
	codeHash := sha256.Sum256(mod)
	if !l.nut.post(c, "deployNamespaceContract", base+"/contracts", s.body(types.NamespaceRequestKindDeploy,
		&types.NsDeploy{CodeHash: codeHash, GasLimit: 10_000_000}, mod), &res) {
		return
	}
	if res.Outcome.Status != "Ok" || res.Address == nil {
		c.Fatalf("deploy of the probe module: %s", jsonOf(res))
	}
	contract := *res.Address
	ca, err := crypto.ParseAddress(contract)
	if err != nil {
		c.Fatalf("deploy: address %q: %v", contract, err)
	}
	cbase := base + "/contracts/" + contract
	var ct api.NamespaceContract
	if l.nut.get(c, "getNamespaceContract", cbase, &ct) && (ct.CodeHash != hashHex(codeHash) || ct.DeployedAt != res.Position) {
		c.Errorf("GET %s: %s; want code hash %s, deployed at %s", cbase, jsonOf(ct), hashHex(codeHash), res.Position)
	}
	var cp api.NamespaceContractPage
	if l.nut.get(c, "listNamespaceContracts", base+"/contracts", &cp) && (len(cp.Contracts) != 1 || cp.Contracts[0].Address != contract) {
		c.Errorf("GET %s/contracts: %s", base, jsonOf(cp))
	}
	call := func(fn string, gas uint64) []byte {
		return s.body(types.NamespaceRequestKindCall, &types.NsCall{Contract: ca, Function: fn, GasLimit: gas}, nil)
	}
	if l.nut.post(c, "callNamespaceContract", cbase+"/call", call("store", 10_000_000), &res) &&
		(res.Outcome.Status != "Ok" || len(res.Outcome.Events) != 1 || res.Outcome.Events[0].Topic != "stored") {
		c.Errorf("call store: %s", jsonOf(res))
	}
	storedAt := res.Position
	if l.nut.post(c, "callNamespaceContract", cbase+"/call", call("answer", 1_000_000), &res) &&
		(res.Outcome.Status != "Ok" || len(res.Outcome.Results) != 1 || res.Outcome.Results[0] != "42") {
		c.Errorf("call answer: %s", jsonOf(res))
	}
	// A call that fails when it runs is logged: 200, its status, its nonce used.
	if l.nut.post(c, "callNamespaceContract", cbase+"/call", call("nope", 1_000_000), &res) && res.Outcome.Status != "UnknownFunction" {
		c.Errorf("call of an unknown export: %s", jsonOf(res))
	}
	var view api.NamespaceViewResult
	if l.nut.post(c, "viewNamespaceContract", cbase+"/view", []byte(`{"function":"answer","gas_limit":"1000000"}`), &view) &&
		(view.Outcome.Status != "Ok" || len(view.Outcome.Results) != 1 || view.Outcome.Results[0] != "42") {
		c.Errorf("view answer: %s", jsonOf(view))
	}
	var sv api.NamespaceStateValue
	if l.nut.get(c, "getNamespaceContractState", cbase+"/state/0x6b", &sv) && sv.Value != "0x76" {
		c.Errorf("state k: %s, want 0x76", jsonOf(sv))
	}
	blob := base + "/blobs/" + nsCID(nsProbeBlob)
	if r := l.nut.do(c, get("getNamespaceBlob", blob)); r.status != 200 || !bytes.Equal(r.body, nsProbeBlob) {
		c.Errorf("GET %s: %s, want the bytes %q", blob, r, nsProbeBlob)
	} else if l.nut.cov != nil {
		l.nut.cov.op("getNamespaceBlob", true)
	}
	var ev api.NamespaceEventPage
	if l.nut.get(c, "getNamespaceEvents", base+"/events?topic=stored&contract="+contract, &ev) &&
		(len(ev.Events) != 1 || ev.Events[0].Position != storedAt || ev.Events[0].Data != "0x07" || ev.Events[0].Emitter != contract) {
		c.Errorf("events: %s; want the one of position %s", jsonOf(ev), storedAt)
	}

	// SQL.
	var q api.NamespaceQueryResult
	if l.nut.get(c, "queryNamespace", base+"/query?sql="+url.QueryEscape("SELECT 1 AS one, 'x' AS t, x'00ff' AS b, 0.5 AS r, NULL AS n"), &q) &&
		string(q.Rows) != `[[{"i":"1"},{"t":"x"},{"b":"0x00ff"},{"r":0.5},null]]` {
		c.Errorf("query: rows %s", q.Rows)
	}
	if l.nut.post(c, "queryNamespaceWithParams", base+"/query", []byte(`{"sql":"SELECT ?1 + 1, ?2","params":[{"i":"-5"},{"t":"y"}]}`), &q) &&
		string(q.Rows) != `[[{"i":"-4"},{"t":"y"}]]` {
		c.Errorf("query with params: rows %s", q.Rows)
	}

	// The log: positions in order, each entry's hash its prev_hash's next.
	var tl api.NamespaceTxLogPage
	if l.nut.get(c, "getNamespaceTxLog", base+"/txlog", &tl) {
		var prev string
		for i, e := range tl.Entries {
			b, err := hex.DecodeString(strings.TrimPrefix(e.Borsh, "0x"))
			if err != nil || hashHex(sha256.Sum256(b)) != e.Hash || e.Position != u64s(uint64(i+1)) || (i > 0 && e.Entry.PrevHash != prev) {
				c.Errorf("txlog entry %d: %s", i+1, jsonOf(e))
			}
			prev = e.Hash
		}
		if len(tl.Entries) == 0 || tl.Head != u64s(uint64(len(tl.Entries))) {
			c.Errorf("txlog: %d entries, head %s", len(tl.Entries), tl.Head)
		}
	}
	var item api.NamespaceTxLogItem
	if l.nut.get(c, "getNamespaceTxLogEntry", base+"/txlog/1", &item) && item.Entry.Outcome.Status != "Ok" {
		c.Errorf("txlog/1: %s", jsonOf(item))
	}

	// Refusals that need the namespace: each is 4xx and logs nothing.
	post := func(op, target string, body []byte) request {
		return request{op: op, method: http.MethodPost, target: target, body: body}
	}
	atNonce := func(nonce uint64, fn string, gas uint64) []byte {
		return nsBody(k, liveChainID, nsAPIName, nonce, types.NamespaceRequestKindCall, &types.NsCall{Contract: ca, Function: fn, GasLimit: gas}, nil)
	}
	l.nut.fails(c, post("callNamespaceContract", cbase+"/call", atNonce(s.nonce, "answer", 0)), 400, "invalid_request")
	l.nut.fails(c, post("callNamespaceContract", cbase+"/call", atNonce(0, "answer", 1000)), 400, "nonce_too_low")
	l.nut.fails(c, post("callNamespaceContract", cbase+"/call", atNonce(s.nonce+1, "answer", 1000)), 400, "nonce_gap")
	badSig := nsBodyWith(k, liveChainID, nsAPIName, s.nonce, types.NamespaceRequestKindCall,
		&types.NsCall{Contract: ca, Function: "answer", GasLimit: 1000}, nil, func(r *types.NamespaceRequest) { r.Signature[10] ^= 1 })
	l.nut.fails(c, post("callNamespaceContract", cbase+"/call", badSig), 400, "invalid_signature")
	l.nut.fails(c, post("deployNamespaceContract", base+"/contracts", atNonce(s.nonce, "answer", 1000)), 400, "invalid_request")
	l.nut.fails(c, post("namespaceWithdraw", base+"/withdrawals", atNonce(s.nonce, "answer", 1000)), 400, "invalid_request")
	l.nut.fails(c, get("getNamespaceContract", base+"/contracts/0x"+strings.Repeat("cd", 20)), 404, "unknown_contract")
	l.nut.fails(c, post("viewNamespaceContract", base+"/contracts/0x"+strings.Repeat("cd", 20)+"/view", []byte(`{"function":"f","gas_limit":"1"}`)), 404, "unknown_contract")
	l.nut.fails(c, get("getNamespaceContractState", cbase+"/state/0x00"), 404, "not_found")
	l.nut.fails(c, get("getNamespaceTxLogEntry", base+"/txlog/999999"), 404, "not_found")
	l.nut.fails(c, get("getNamespaceBlob", base+"/blobs/"+nsCID([]byte("never stored"))), 404, "not_found")
	l.nut.fails(c, get("getNamespaceEvents", base+"/events?cursor=AAAAAAAAAAAAAAAAAA"), 400, "invalid_parameter")
	l.nut.fails(c, get("queryNamespace", base+"/query?sql=SELEC"), 400, "sql_error")
	l.nut.fails(c, get("queryNamespace", base+"/query?sql="+url.QueryEscape("SELECT * FROM _orama_txlog")), 403, "sql_denied")
	l.nut.fails(c, get("queryNamespace", base+"/query?sql="+url.QueryEscape("CREATE TABLE t (x)")), 403, "sql_read_only")
	l.nut.fails(c, post("queryNamespaceWithParams", base+"/query", []byte(`{"sql":"SELECT ?1","params":[{"i":"9223372036854775808"}]}`)), 400, "bad_request")
	l.nut.fails(c, get("queryNamespace", base+"/query?sql="+url.QueryEscape("SELECT zeroblob(1000000), zeroblob(1000000), zeroblob(1000000)")), 413, "result_too_large")
	l.nut.fails(c, get("queryNamespace", base+"/query?sql="+url.QueryEscape("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c")), 400, "query_timeout")
	r := l.nut.do(c, get("getNamespaceAccount", base+"/accounts/"+crypto.FormatAddress(k.Address())+"?min_position=999999"))
	if r.status != 503 || r.code != "behind" || r.header.Get("Retry-After") == "" {
		c.Errorf("min_position far ahead: want 503 behind with Retry-After, got %s", r.got())
	} else if l.nut.cov != nil {
		l.nut.cov.op("getNamespaceAccount", false)
		l.nut.cov.code("behind")
	}
	if l.nut.get(c, "getNamespaceAccount", base+"/accounts/"+crypto.FormatAddress(k.Address()), &acc) && acc.Nonce != u64s(s.nonce) {
		c.Errorf("refused requests used a nonce: %s, want nonce %d", jsonOf(acc), s.nonce)
	}
}
