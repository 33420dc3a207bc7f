package suite

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
)

func TestJUnitReport(t *testing.T) {
	rep := &Report{Started: time.Unix(1_700_000_000, 0), Seconds: 3.5, Results: []Result{
		{ID: "rest/send/nonce-gap", Spec: `spec/state.md "Admission"`, Status: Fail, Messages: []string{"want 400 nonce_gap, got 400 nonce_too_low"}, Seconds: 0.5},
		{ID: "rest/blocks", Spec: "spec/openapi.yaml getBlock", Status: Pass, Seconds: 1},
		{ID: "network/sync", Spec: "spec/consensus.md", Status: Error, Messages: []string{"our validator did not start"}, Seconds: 2},
	}, Logs: map[string]string{"our validator": "a log line <&>"}}
	var buf bytes.Buffer
	if err := rep.WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
				} `xml:"failure"`
				Error *struct{} `xml:"error"`
			} `xml:"testcase"`
			SystemOut string `xml:"system-out"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not XML: %v\n%s", err, buf.String())
	}
	if got.Tests != 3 || got.Failures != 1 || got.Errors != 1 || len(got.Suites) != 2 {
		t.Fatalf("counts: %+v", got)
	}
	if got.Suites[0].Name != "rest" || len(got.Suites[0].Cases) != 2 {
		t.Fatalf("suites: %+v", got.Suites)
	}
	f := got.Suites[0].Cases[0].Failure
	if f == nil || f.Type != `spec/state.md "Admission"` || !strings.Contains(f.Message, "nonce_too_low") || !strings.Contains(f.Message, "Admission") {
		t.Fatalf("failure: %+v", f)
	}
	if got.Suites[0].Cases[1].Failure != nil || got.Suites[1].Cases[0].Error == nil {
		t.Fatal("pass or error misreported")
	}
	if !strings.Contains(got.Suites[1].SystemOut, "a log line <&>") {
		t.Fatal("logs not kept")
	}

	// JSON round-trips.
	buf.Reset()
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || !reflect.DeepEqual(back.Results, rep.Results) {
		t.Fatalf("JSON: %v", err)
	}
	if rep.OK() || len(rep.Failed()) != 2 {
		t.Fatal("a report with failures is OK")
	}
}

func TestCoverage(t *testing.T) {
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	cov := newCoverage(s)
	cov.fixtureFiles([]string{"a/chain.bin", "a/expected.json"})
	snap := cov.snapshot()
	gaps := snap.Gaps()
	if len(gaps["operations"]) != len(s.order) || len(gaps["fixtures"]) != 2 ||
		len(gaps["error-codes"]) != len(s.codes)-len(exemptCodes) || len(gaps["transaction-types"]) != 17 {
		t.Fatalf("gaps of nothing covered: %v", gaps)
	}
	for _, id := range s.order {
		cov.op(id, true)
		cov.op(id, false)
	}
	for _, c := range s.codes {
		if exemptCodes[c] == "" {
			cov.code(c)
		}
	}
	for _, e := range snap.TxTypes {
		if e.Active {
			cov.txOutcome(typeByName(t, e.Type), "succeeded")
		} else {
			cov.txOutcome(typeByName(t, e.Type), "refused")
		}
	}
	cov.fixtureUsed("a/chain.bin", "import/a")
	snap = cov.snapshot()
	if g := snap.Gaps(); len(g) != 1 || !slices.Equal(g["fixtures"], []string{"a/expected.json"}) {
		t.Fatalf("gaps: %v", g)
	}
	p := snap.Percentages()
	nOps, nCodes := len(s.order), len(s.codes)-len(exemptCodes)
	if p.Operations != fmt.Sprintf("100%% (%d/%d)", nOps, nOps) || p.ErrorCodes != fmt.Sprintf("100%% (%d/%d)", nCodes, nCodes) ||
		p.TxTypes != "100% (17/17)" || p.Fixtures != "50% (1/2)" {
		t.Fatalf("percentages %+v", p)
	}
	// Every exempt code is a code of the spec.
	for c := range exemptCodes {
		if !slices.Contains(s.codes, c) {
			t.Errorf("exempt code %s is not in the spec", c)
		}
	}
}

func typeByName(t *testing.T, name string) (tt types.TxType) {
	t.Helper()
	if err := tt.UnmarshalText([]byte(name)); err != nil {
		t.Fatal(err)
	}
	return tt
}

// TestSpecCodeTable: the status of every code comes from the spec's table,
// and a code with a status the table does not allow breaks the document.
func TestSpecCodeTable(t *testing.T) {
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.codeStatus["bad_request"], []int{400, 415, 417}) || !slices.Equal(s.codeStatus["too_large"], []int{413, 431}) {
		t.Fatalf("table: %v", s.codeStatus)
	}
	body := []byte(`{"error":{"code":"not_found","message":"x"}}`)
	h := map[string][]string{"Content-Type": {"application/json"}}
	if _, err := s.validate(t.Context(), nil, nil, 404, h, body); err != nil {
		t.Fatalf("a good error refused: %v", err)
	}
	if _, err := s.validate(t.Context(), nil, nil, 400, h, body); err == nil {
		t.Fatal("not_found with 400 accepted")
	}
	if _, err := s.validate(t.Context(), nil, nil, 404, h, []byte(`{"error":{"code":"nope","message":"x"}}`)); err == nil {
		t.Fatal("a code outside the enum accepted")
	}
	if _, err := s.validate(t.Context(), nil, nil, 404, h, []byte(`{"error":{"code":"not_found"}}`)); err == nil {
		t.Fatal("an error without a message accepted")
	}
	if _, err := parseCodeTable("no table here"); err == nil {
		t.Fatal("a description without a table parsed")
	}
}

// TestEmbeddedSpecIsTheFile: the document the suite validates against (the
// one generated/api embeds) is generated/api/openapi.yaml, but for the
// operationIds oapi-codegen capitalises, which the suite turns back, and a
// parameter's `required: false`, the default, which the embedded JSON
// leaves out.
func TestEmbeddedSpecIsTheFile(t *testing.T) {
	raw, err := api.GetSpecJSON()
	if err != nil {
		t.Fatal(err)
	}
	var embedded any
	if err := json.Unmarshal(raw, &embedded); err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile("../../generated/api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file any
	if err := yaml.Unmarshal(y, &file); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(file)
	json.Unmarshal(b, &file)
	dropFalseRequired(file)
	lowerOperationIDs(embedded)
	if !reflect.DeepEqual(embedded, file) {
		t.Fatal("the embedded document is not generated/api/openapi.yaml: run make generate")
	}
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"getAccount", "sendTransaction", "getChainStatus"} {
		if s.ops[id] == nil {
			t.Errorf("no operation %s", id)
		}
	}
}

// dropFalseRequired removes every `required: false` (a boolean: schemas'
// required lists are arrays).
func dropFalseRequired(v any) {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["required"].(bool); ok && !r {
			delete(x, "required")
		}
		for _, e := range x {
			dropFalseRequired(e)
		}
	case []any:
		for _, e := range x {
			dropFalseRequired(e)
		}
	}
}

func lowerOperationIDs(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "operationId" && s != "" {
				x[k] = strings.ToLower(s[:1]) + s[1:]
				continue
			}
			lowerOperationIDs(e)
		}
	case []any:
		for _, e := range x {
			lowerOperationIDs(e)
		}
	}
}

func TestImportReportLine(t *testing.T) {
	u := func(n uint64) *uint64 { return &n }
	for _, tc := range []struct {
		out  string
		want *importReport
	}{
		{"log line\n{\"imported_height\": 7}\n\n", &importReport{ImportedHeight: u(7)}},
		{`{"imported_height":4,"refused_height":5,"reason":"wrong_state_root"}`, &importReport{ImportedHeight: u(4), RefusedHeight: u(5), Reason: "wrong_state_root"}},
		{"", nil},
		{`{"imported_height": 7, "extra": 1}`, nil},
		{`{"refused_height": 5}`, nil},
		{`{"imported_height": 7}` + "\nnot json", nil},
	} {
		got, err := lastJSONLine([]byte(tc.out))
		switch {
		case tc.want == nil && err == nil:
			t.Errorf("%q: parsed as %s", tc.out, got)
		case tc.want != nil && (err != nil || !sameReport(got, *tc.want)):
			t.Errorf("%q: %s, %v; want %s", tc.out, got, err, *tc.want)
		}
	}
}

// TestSuiteImports keeps the suite outside the node: it imports nothing of
// runtime/ but the packages the vectors check.
func TestSuiteImports(t *testing.T) {
	allowed := []string{"runtime/crypto", "runtime/smt", "runtime/consensus"}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			rest, ok := strings.CutPrefix(p, "github.com/oramanetwork/orama-chain/")
			if !ok {
				continue
			}
			n++
			if strings.HasPrefix(rest, "generated/") {
				continue
			}
			if !slices.Contains(allowed, rest) {
				t.Errorf("%s imports %s: the suite must not depend on the node's internals", f, p)
			}
		}
	}
	if n == 0 {
		t.Fatal("no imports seen")
	}
}
