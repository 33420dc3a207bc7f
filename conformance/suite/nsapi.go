package suite

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// The namespace gateway (spec/namespaces.md 10): every operation under
// /v1/namespace/{name}/ with a bad input here, on the live network, where
// the node under test runs no namespace; with good input in the namespaces
// phase (nsphase.go), where it is the pool and runs one.

// nsPlacedName is the namespace rest/namespaces/unavailable creates on the
// live chain (placed on our validator); nsAPIName the one the namespaces
// phase creates; nsUnknown a valid name no check creates.
const (
	nsPlacedName = "conformance-placed"
	nsAPIName    = "conformance-api"
	nsUnknown    = "conformance-none"
	secNS        = "spec/namespaces.md 10"
)

// nsProbeModule is a contract for the checks (written with
// gen/hostgen/wasm, with which TestProbeModules rebuilds it; the suite
// imports nothing of the node, and builds no contract at run time): export
// store() puts "hello blob" with orama.storage.put, sets state "k" = "v"
// and emits the event {topic "stored", data 0x07}; answer() returns 42;
// orama_alloc is a bump allocator.
var nsProbeModule = mustHex("0061736d01000000011b0560027f7f017f60047f7f7f7f017f6000006000017e60017f017f0234030d6f72616d612e73746f7261" +
	"67650370757400000b6f72616d612e7374617465037365740001056f72616d6104656d697400000304030203040504010102020607017f014180200b07290405" +
	"73746f7265000306616e7377657200040b6f72616d615f616c6c6f630005066d656d6f727902000a32031f00418008410a10001a41cc08410141cd0841011001" +
	"1a41b009410f10021a0b0400422a0b0b002300230020006a24000b0b2e03004180080b0a68656c6c6f20626c6f620041cc080b026b760041b0090b0f060000" +
	"0073746f7265640100000007")

var nsProbeBlob = []byte("hello blob")

// nsSQLModule is a contract that runs SQL (spec/hostfuncs.yaml orama.db):
// export exec() runs its call's input (orama.ctx.input) as one statement
// with orama.db.execute and no parameters, and returns the result's status
// word (0 ok, 4 sql_error, 5 sql_constraint, 7 sql_denied); orama_alloc is
// a bump allocator. Written with gen/hostgen/wasm (TestProbeModules
// rebuilds both modules).
var nsSQLModule = mustHex("0061736d010000000112036000017f60047f7f7f7f017f60017f017f022602096f72616d612e63747805696e7075740000086f72616d" +
	"612e64620765786563757465000103030200020504010102020607017f014180080b071f03046578656300020b6f72616d615f616c6c6f630003066d656d6f" +
	"727902000a29021b01017f10002100200041046a20002800004100410010012800040b0b002300230020006a24000b")

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

// nsSigner signs namespace requests of one key for one namespace of one
// chain, counting its nonce (spec/namespaces.md 3.2).
type nsSigner struct {
	k       *crypto.PrivateKey
	chainID uint64
	name    string
	nonce   uint64
}

// nsPayload is the Borsh payload of a request kind (NsDeploy, NsCall,
// NsWithdraw, NsDeposit).
type nsPayload interface{ MarshalBorsh() ([]byte, error) }

// next signs a request at the signer's next nonce, which it uses, and
// returns its POST body and call id.
func (s *nsSigner) next(kind types.NamespaceRequestKind, payload nsPayload, module []byte) ([]byte, types.Hash) {
	b, id := s.at(s.nonce, kind, payload, module, nil)
	s.nonce++
	return b, id
}

// at signs a request at nonce, changed by mut (when not nil) after signing
// to break it, and returns its POST body and call id: SHA-256 of the
// Borsh request (spec/namespaces.md 3.2).
func (s *nsSigner) at(nonce uint64, kind types.NamespaceRequestKind, payload nsPayload, module []byte, mut func(*types.NamespaceRequest)) ([]byte, types.Hash) {
	p, err := payload.MarshalBorsh()
	if err != nil {
		panic(err)
	}
	req := types.NamespaceRequest{Namespace: s.name, Signer: s.k.Address(), Nonce: nonce, Kind: kind, Payload: p}
	sp, err := req.SigningPayload()
	if err != nil {
		panic(err)
	}
	if req.Signature, err = crypto.SignDomain(s.k, crypto.DomainNamespaceRequest, s.chainID, sp); err != nil {
		panic(err)
	}
	if mut != nil {
		mut(&req)
	}
	rb, err := req.MarshalBorsh()
	if err != nil {
		panic(err)
	}
	sub := types.NamespaceSubmission{Request: req, Module: module}
	enc, err := sub.MarshalBorsh()
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(api.NamespaceSubmitRequest{Request: "0x" + hex.EncodeToString(enc)})
	return out, sha256.Sum256(rb)
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

// checkNamespaceUnavailable: a namespace the live chain places on our
// validator (the pool, spec/namespaces.md 9) is not run by the node under
// test, which follows without being in the pool: its record and status
// say hosted false, and every other operation of the gateway answers 503
// namespace_unavailable with Retry-After (spec/namespaces.md 10). The
// namespaces phase checks the gateway on a node that runs one.
func (l *live) checkNamespaceUnavailable(c *C) {
	k := testKey(keyNsAPI)
	owner := k.Address()
	pool := make([]types.Address, len(l.g.Validators))
	for i, v := range l.g.Validators {
		pool[i] = v.Address
	}
	want, ok := placement(pool, nil, nsPlacedName, 0)
	if !ok {
		c.Setupf("the live pool of %d validators cannot place a namespace", len(pool))
	}
	create := sign(k, liveChainID, nsCreate(owner, nsPlacedName, types.NamespaceTierTier0, 0, 0))
	if !l.nut.submit(c, create) {
		return
	}
	l.final(c, create, types.TxStatusSuccess, namespaceCreatedEvent(owner, nsPlacedName, types.NamespaceTierTier0, want))

	base := "/v1/namespace/" + nsPlacedName
	var rec api.NamespaceRecord
	if l.nut.get(c, "getNamespace", base, &rec) && (rec.Hosted || !sameNodes(rec.Nodes, want)) {
		c.Errorf("GET %s: %s; want hosted false (the node under test is not in the pool), nodes %s", base, jsonOf(rec), jsonOf(want))
	}
	var st api.NamespaceStatus
	if l.nut.get(c, "getNamespaceStatus", base+"/status", &st) && (st.Hosted || !sameNodes(st.Nodes, want) || st.Tier != "Tier0") {
		c.Errorf("GET %s/status: %s; want hosted false, Tier0, nodes %s", base, jsonOf(st), jsonOf(want))
	}
	for _, o := range nsOps {
		if o.op == "getNamespace" || o.op == "getNamespaceStatus" {
			continue
		}
		q := nsRequestFor(o.op, o.method, nsPlacedName, o.path, o.body)
		if r, ok := l.nut.expect(c, q, 503, "namespace_unavailable"); ok && r.header.Get("Retry-After") == "" {
			c.Errorf("%s %s: 503 namespace_unavailable without Retry-After", q.method, q.target)
		}
	}
}

// sameNodes compares a placement as the API shows it with the expected one.
func sameNodes(got []api.NamespaceNode, want []types.NamespaceNode) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if got[i].Node != crypto.FormatAddress(want[i].Node) || got[i].Slot != int32(want[i].Slot) {
			return false
		}
	}
	return true
}
