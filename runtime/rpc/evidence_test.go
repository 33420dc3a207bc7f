package rpc

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/node"
)

// putEvidence stores evidence of validator i's key for views, one record a
// view, DoubleVote for even views and DoubleTimeout for odd ones.
func putEvidence(t testing.TB, n *node.Node, i int, views ...uint64) {
	t.Helper()
	for _, v := range views {
		kind := types.EvidenceKindDoubleVote
		if v%2 == 1 {
			kind = types.EvidenceKindDoubleTimeout
		}
		ev := &types.Evidence{Kind: kind, Validator: testKey(i).Address(), View: v, First: types.Bytes{0x01, byte(v)}, Second: types.Bytes{0x02, 0xab}}
		if isNew, err := n.Store().PutEvidence(ev); err != nil || !isNew {
			t.Fatalf("put evidence: %v, %v", isNew, err)
		}
	}
}

// TestEvidenceEndpoint: GET /v1/evidence lists stored evidence newest view
// first in the spec's JSON forms, pages with limit and cursor (no cursor on
// the last page), and is empty on a node that holds none.
func TestEvidenceEndpoint(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{})

	var empty api.EvidencePage
	c.getJSON("/v1/evidence", 200, &empty)
	if len(empty.Evidence) != 0 || empty.NextCursor != nil {
		t.Fatalf("fresh node: %+v", empty)
	}
	if r := c.get("/v1/evidence"); !strings.Contains(string(r.body), `"evidence":[]`) {
		t.Fatalf("empty list is not []: %s", r.body)
	}

	putEvidence(t, n, 1, 3, 10, 7)
	putEvidence(t, n, 2, 10, 1<<63)

	var all api.EvidencePage
	c.getJSON("/v1/evidence", 200, &all)
	if all.NextCursor != nil {
		t.Fatalf("one page expected, got next_cursor %q", *all.NextCursor)
	}
	var views []string
	for _, e := range all.Evidence {
		views = append(views, e.View)
	}
	if got := strings.Join(views, ","); got != "9223372036854775808,10,10,7,3" {
		t.Fatalf("views %s, want newest first", got)
	}
	// Within view 10: validator descending.
	a1, a2 := crypto.FormatAddress(testKey(1).Address()), crypto.FormatAddress(testKey(2).Address())
	hi, lo := a1, a2
	if strings.ToLower(a2) > strings.ToLower(a1) {
		hi, lo = a2, a1
	}
	if all.Evidence[1].Validator != hi || all.Evidence[2].Validator != lo {
		t.Fatalf("view 10 order: %s, %s", all.Evidence[1].Validator, all.Evidence[2].Validator)
	}
	// The JSON forms: kind by name, orama: address, view as a decimal
	// string, messages as 0x hex.
	e := all.Evidence[3]
	if e.Kind != "DoubleTimeout" || e.Validator != a1 || e.View != "7" || e.First != "0x0107" || e.Second != "0x02ab" {
		t.Fatalf("record: %+v", e)
	}
	raw := string(c.get("/v1/evidence?limit=1").body)
	for _, want := range []string{`"kind":"DoubleVote"`, `"view":"9223372036854775808"`, `"validator":"orama:`, `"first":"0x01`, `"next_cursor":"9223372036854775808-`} {
		if !strings.Contains(raw, want) {
			t.Errorf("body lacks %s: %s", want, raw)
		}
	}

	// Paging: every limit gives the same records, pages of limit, and no
	// cursor on the last page.
	for limit := 1; limit <= 6; limit++ {
		var got []api.Evidence
		path := fmt.Sprintf("/v1/evidence?limit=%d", limit)
		pages := 0
		for {
			var p api.EvidencePage
			c.getJSON(path, 200, &p)
			pages++
			got = append(got, p.Evidence...)
			if p.NextCursor == nil {
				break
			}
			if len(p.Evidence) != limit {
				t.Fatalf("limit %d: a page of %d with a cursor", limit, len(p.Evidence))
			}
			path = fmt.Sprintf("/v1/evidence?limit=%d&cursor=%s", limit, *p.NextCursor)
			if pages > 10 {
				t.Fatal("paging does not end")
			}
		}
		if len(got) != len(all.Evidence) {
			t.Fatalf("limit %d: %d records, want %d", limit, len(got), len(all.Evidence))
		}
		for i := range got {
			if got[i] != all.Evidence[i] {
				t.Fatalf("limit %d: record %d differs", limit, i)
			}
		}
		if want := (len(all.Evidence) + limit - 1) / limit; pages != want {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, want)
		}
	}
	// A well-formed cursor naming no record resumes below it.
	var below api.EvidencePage
	c.getJSON("/v1/evidence?cursor=8-"+strings.Repeat("f", 40)+"-3", 200, &below)
	if len(below.Evidence) != 2 || below.Evidence[0].View != "7" {
		t.Fatalf("after view 8: %+v", below)
	}
}

// TestEvidenceBadInput: bad limits and cursors are 400 invalid_parameter,
// unknown parameters 400 unknown_parameter, other methods 405.
func TestEvidenceBadInput(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{})
	putEvidence(t, n, 1, 1, 2)
	a1 := testKey(1).Address()
	addr := hex.EncodeToString(a1[:])
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/v1/evidence?limit=0", 400, CodeInvalidParameter},
		{"GET", "/v1/evidence?limit=101", 400, CodeInvalidParameter},
		{"GET", "/v1/evidence?limit=-1", 400, CodeInvalidParameter},
		{"GET", "/v1/evidence?limit=ten", 400, CodeInvalidParameter},
		{"GET", "/v1/evidence?limit=", 400, CodeInvalidParameter},
		{"GET", "/v1/evidence?limit=1&limit=2", 400, CodeInvalidParameter},
		{"GET", "/v1/evidence?cursor=", 400, CodeInvalidParameter},
		{"GET", "/v1/evidence?cursor=abc", 400, CodeInvalidParameter},
		{"GET", "/v1/evidence?cursor=1-0", 400, CodeInvalidParameter},                                      // a transactions cursor
		{"GET", "/v1/evidence?cursor=1-" + addr, 400, CodeInvalidParameter},                                // no kind
		{"GET", "/v1/evidence?cursor=1-" + addr + "-0", 400, CodeInvalidParameter},                         // no such kind
		{"GET", "/v1/evidence?cursor=1-" + addr + "-4", 400, CodeInvalidParameter},                         // no such kind
		{"GET", "/v1/evidence?cursor=1-" + addr + "-256", 400, CodeInvalidParameter},                       // over u8
		{"GET", "/v1/evidence?cursor=1-" + strings.ToUpper(addr) + "-2", 400, CodeInvalidParameter},        // one form only
		{"GET", "/v1/evidence?cursor=1-" + addr[:38] + "-2", 400, CodeInvalidParameter},                    // short address
		{"GET", "/v1/evidence?cursor=99999999999999999999-" + addr + "-2", 400, CodeInvalidParameter},      // view over u64
		{"GET", "/v1/evidence?cursor=1-orama:" + addr + "-2", 400, CodeInvalidParameter},                   // not bare hex
		{"GET", "/v1/evidence?cursor=-" + addr + "-2", 400, CodeInvalidParameter},                          // no view
		{"GET", "/v1/evidence?cursor=1-" + addr + "-2&cursor=1-" + addr + "-2", 400, CodeInvalidParameter}, // twice
		{"GET", "/v1/evidence?order=asc", 400, CodeUnknownParameter},
		{"GET", "/v1/evidence?validator=" + addr, 400, CodeUnknownParameter},
		{"GET", "/v1/evidence/1", 404, CodeNotFound},
		{"POST", "/v1/evidence", 405, CodeMethodNotAllowed},
		{"DELETE", "/v1/evidence", 405, CodeMethodNotAllowed},
	} {
		r := c.do(tc.method, tc.path, nil, "")
		wantError(t, tc.method+" "+tc.path, r, tc.status, tc.code)
		c.getJSON("/v1/evidence", 200, nil)
	}
	// The edges that are fine.
	for _, p := range []string{
		"/v1/evidence?limit=1", "/v1/evidence?limit=100",
		"/v1/evidence?cursor=18446744073709551615-" + strings.Repeat("f", 40) + "-3",
		"/v1/evidence?cursor=0-" + strings.Repeat("0", 40) + "-1",
	} {
		c.getJSON(p, 200, nil)
	}
}

// TestEquivocationMetric: the node's equivocation counter is on /metrics,
// every kind at zero before any equivocation, and counts what the node's
// recorder stores, once per record.
func TestEquivocationMetric(t *testing.T) {
	n, _ := newTestNode(t, node.Config{})
	c := newServer(t, n, Config{})
	body := string(c.get("/metrics").body)
	for _, k := range []string{"DoubleProposal", "DoubleVote", "DoubleTimeout"} {
		if want := `orama_consensus_equivocations_total{kind="` + k + `"} 0`; !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
