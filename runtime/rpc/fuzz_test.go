package rpc

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
	"github.com/oramanetwork/orama-chain/runtime/ns"
)

// fuzzMethods are weighted towards the methods the spec uses.
var fuzzMethods = []string{
	http.MethodGet, http.MethodGet, http.MethodGet, http.MethodPost, http.MethodPost,
	http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodOptions, http.MethodPatch,
}

// FuzzHandler builds requests from the spec's paths with random path
// parameters, query strings, methods and bodies, and requires of every
// response: no 5xx, the error shape on 4xx, and validity against the spec
// (the validating transport checks the last two).
//
//	go test -run '^$' -fuzz FuzzHandler -fuzztime 60s ./runtime/rpc/
func FuzzHandler(f *testing.F) {
	n, keys := newTestNode(f, node.Config{})
	for i := range uint64(3) {
		if errs := n.Mempool().Add([]*types.Transaction{transfer(keys[aliceKey], i, keys[bobKey].Address(), 1)}); errs[0] != nil {
			f.Fatal(errs[0])
		}
		produce(f, n)
	}
	putEvidence(f, n, 1, 2, 3)
	// A namespace the node runs ("demo", not on the chain), so that the
	// namespace endpoints are reached past the name.
	mgr, err := ns.NewManager(context.Background(), ns.ManagerConfig{Dir: f.TempDir(), ChainID: testChainID,
		Authority: keys[validatorKey].Address(), Chain: fixedFinal{height: 1, ts: 1}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { mgr.Close() })
	if _, err := mgr.Ensure(types.NamespaceMeta{Name: "demo", Tier: types.NamespaceTierTier1, Owner: keys[aliceKey].Address()}); err != nil {
		f.Fatal(err)
	}
	h, err := New(n, Config{Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 16 << 10, Namespaces: mgr,
		NamespaceWait: time.Millisecond, QueryTimeout: 100 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	doc, err := specDoc()
	if err != nil {
		f.Fatal(err)
	}
	paths := doc.Paths.InMatchingOrder()
	paths = append(paths, "/metrics", "/v1/openapi.yaml", "/v1/docs", "/v1/nothing")
	slices.Sort(paths)

	pathIndex := func(p string) uint8 { return uint8(slices.Index(paths, p)) }
	alice := crypto.FormatAddress(keys[aliceKey].Address())
	head := n.Head()
	bh, _ := head.Header.Hash()
	txHex := encodeTx(f, transfer(keys[aliceKey], 3, keys[bobKey].Address(), 1))
	sendBody, _ := json.Marshal(api.SendRequest{Transaction: txHex})
	for _, s := range []struct {
		path   string
		method uint8
		param  string
		query  string
		body   []byte
	}{
		{"/v1/accounts/{id}", 0, "@alice", "proof=true", nil},
		{"/v1/accounts/{id}", 0, alice, "proof=true&height=1", nil},
		{"/v1/accounts/{id}", 0, "0x" + strings.Repeat("ab", 20), "height=2", nil},
		{"/v1/accounts/{id}/balance", 0, "@alice", "", nil},
		{"/v1/accounts/{id}/transactions", 0, "@alice", "limit=1&order=asc&sort=height&cursor=1-0", nil},
		{"/v1/accounts/{id}/transactions", 0, "@bob", "limit=0", nil},
		{"/v1/transactions/send", 3, "", "", sendBody},
		{"/v1/transactions/send", 3, "", "", []byte(`{"transaction":"0x00"}`)},
		{"/v1/transactions/send", 3, "", "", []byte(`{"transaction":` + strings.Repeat("[", 1000))},
		{"/v1/transactions/{hash}", 0, hash32(bh), "", nil},
		{"/v1/blocks/{id}", 0, "1", "", nil},
		{"/v1/blocks/{id}", 0, hash32(bh), "", nil},
		{"/v1/blocks/latest", 0, "", "", nil},
		{"/v1/validators", 0, "", "x=1", nil},
		{"/v1/evidence", 0, "", "limit=1", nil},
		{"/v1/evidence", 0, "", "limit=1&cursor=3-" + strings.Repeat("ab", 20) + "-3", nil},
		{"/v1/chain/status", 6, "", "", nil},
		{"/v1/docs", 0, "", "", nil},
		{"/metrics", 0, "", "", nil},
		{"/v1/openapi.yaml", 4, "", "", nil},
		{"/v1/namespaces", 0, "", "owner=@alice&limit=2&cursor=demo", nil},
		{"/v1/namespace/{name}", 0, "demo", "", nil},
		{"/v1/namespace/{name}/status", 0, "demo", "", nil},
		{"/v1/namespace/{name}/contracts", 0, "demo", "limit=1&cursor=" + strings.Repeat("ab", 20), nil},
		{"/v1/namespace/{name}/contracts", 3, "demo", "", []byte(`{"request":"0x00"}`)},
		{"/v1/namespace/{name}/query", 0, "demo", "sql=SELECT%201&min_position=0", nil},
		{"/v1/namespace/{name}/query", 3, "demo", "", []byte(`{"sql":"SELECT ?1","params":[{"i":"1"},{"r":1.5},{"t":"x"},{"b":"0x00"},null]}`)},
		{"/v1/namespace/{name}/events", 0, "demo", "order=desc&limit=5&topic=t&from_position=1&to_position=9", nil},
		{"/v1/namespace/{name}/txlog", 0, "demo", "from=1&limit=10", nil},
		{"/v1/namespace/{name}/withdrawals", 3, "demo", "", []byte(`{"request":"0x0001"}`)},
		{"/v1/namespace/{name}/blobs/{cid}", 0, "demo", "", nil},
	} {
		f.Add(pathIndex(s.path), s.method, s.param, s.query, s.body)
	}
	// A raw (0x80) parameter holding braces once hung the harness itself.
	f.Add(pathIndex("/v1/accounts/{id}/balance"), uint8(0x80), "{}", "", []byte(nil))

	f.Fuzz(func(t *testing.T, pi, mi uint8, param, query string, body []byte) {
		tmpl := paths[int(pi)%len(paths)]
		method := fuzzMethods[int(mi)%len(fuzzMethods)]
		v := param
		if mi&0x80 == 0 {
			v = url.PathEscape(param) // one segment; else raw, which may add segments
		}
		p := fillTemplate(tmpl, v)
		var rd io.Reader = http.NoBody
		if len(body) > 0 || method == http.MethodPost {
			rd = strings.NewReader(string(body))
		}
		req, err := http.NewRequest(method, "http://node.test", rd)
		if err != nil {
			t.Skip()
		}
		req.URL.Path, req.URL.RawQuery = p, query
		if mi&0x40 == 0 {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := validatingTransport{t, inProcess{h}}.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		// A namespace's 503s (behind, namespace_unavailable) are answers,
		// checked by the validating transport; any other 5xx is a fault.
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("%s %s?%s -> %d: %s", method, p, query, resp.StatusCode, b)
		}
	})
}

// fillTemplate puts v in place of each {placeholder} of tmpl. It scans the
// template, never the result: a raw value holding "{...}" must not be
// substituted again (that looped forever on the fuzzer's input "{}").
func fillTemplate(tmpl, v string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(tmpl[:i])
		b.WriteString(v)
		tmpl = tmpl[i+j+1:]
	}
	b.WriteString(tmpl)
	return b.String()
}

func TestFillTemplate(t *testing.T) {
	for _, c := range []struct{ tmpl, v, want string }{
		{"/v1/accounts/{id}/balance", "{}", "/v1/accounts/{}/balance"},
		{"/v1/accounts/{id}", "{id}", "/v1/accounts/{id}"},
		{"/v1/blocks/latest", "x", "/v1/blocks/latest"},
		{"/a/{x}/b/{y}", "1", "/a/1/b/1"},
	} {
		if got := fillTemplate(c.tmpl, c.v); got != c.want {
			t.Errorf("fillTemplate(%q, %q) = %q, want %q", c.tmpl, c.v, got, c.want)
		}
	}
}
