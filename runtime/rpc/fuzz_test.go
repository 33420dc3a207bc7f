package rpc

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
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
	h, err := New(n, Config{Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 16 << 10})
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
		if resp.StatusCode >= 500 {
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
