package suite

import (
	"fmt"
	"slices"
	"sync"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// Coverage is what a run exercised, against what there is to exercise.
type Coverage struct {
	Operations []OpCoverage      `json:"operations"`
	TxTypes    []TxTypeCoverage  `json:"transaction_types"`
	ErrorCodes []CodeCoverage    `json:"error_codes"`
	Fixtures   []FixtureCoverage `json:"fixture_files"`
}

// OpCoverage counts one operation's answers that were what a check
// expected: Good for a success, Bad for an error answer to a bad input.
type OpCoverage struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Good   int    `json:"good"`
	Bad    int    `json:"bad"`
}

// TxTypeCoverage counts one transaction type's transactions: included and
// succeeded or failed as a check expected, or refused at admission.
type TxTypeCoverage struct {
	Type      string `json:"type"`
	Active    bool   `json:"active"`
	Succeeded int    `json:"succeeded"`
	Failed    int    `json:"failed"`
	Refused   int    `json:"refused"`
}

// Covered: an active type has succeeded on the chain; an inactive one was
// refused (spec/state.md "Admission": the type's stateless rules).
func (t TxTypeCoverage) Covered() bool {
	if t.Active {
		return t.Succeeded > 0
	}
	return t.Refused > 0
}

// CodeCoverage counts the answers with one error code that a check
// expected. Exempt says why a code cannot be produced from outside.
type CodeCoverage struct {
	Code   string `json:"code"`
	Seen   int    `json:"seen"`
	Exempt string `json:"exempt,omitempty"`
}

// FixtureCoverage says which check used a fixture file.
type FixtureCoverage struct {
	File    string `json:"file"`
	Check   string `json:"check,omitempty"`
	Checked bool   `json:"checked"`
}

// exemptCodes are the error codes of spec/openapi.yaml no request from
// outside can make a conforming node answer, and why (DECISIONS.md D22).
var exemptCodes = map[string]string{
	"internal": "a fault of the node (500): no request makes a conforming node answer it",
	"state_pruned": "needs a node that prunes old state; the adapter contract sets no retention, " +
		"and a node that keeps every version (ours by default) never answers it",
}

// activeTypes are the transaction types the chain executes today
// (spec/state.md, DECISIONS.md D10); every other TxType fails with
// UnsupportedType and is refused at admission.
var activeTypes = []types.TxType{types.TxTypeTransfer, types.TxTypeClaimUsername, types.TxTypeNamespaceCreate, types.TxTypeNamespaceDelete}

// coverage collects Coverage during a run; safe for concurrent use.
type coverage struct {
	mu       sync.Mutex
	spec     *apiSpec
	ops      map[string]*OpCoverage
	txTypes  map[types.TxType]*TxTypeCoverage
	codes    map[string]int
	fixtures map[string]string // file -> check that used it ("" none)
	fixOrder []string
}

func newCoverage(s *apiSpec) *coverage {
	c := &coverage{spec: s, ops: map[string]*OpCoverage{}, txTypes: map[types.TxType]*TxTypeCoverage{},
		codes: map[string]int{}, fixtures: map[string]string{}}
	for _, id := range s.order {
		o := s.ops[id]
		c.ops[id] = &OpCoverage{ID: id, Method: o.method, Path: o.path}
	}
	for t := types.TxType(0); t.Valid(); t++ {
		c.txTypes[t] = &TxTypeCoverage{Type: t.String(), Active: slices.Contains(activeTypes, t)}
	}
	return c
}

func (c *coverage) op(id string, good bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.ops[id]; o != nil {
		if good {
			o.Good++
		} else {
			o.Bad++
		}
	}
}

func (c *coverage) code(code string) {
	c.mu.Lock()
	c.codes[code]++
	c.mu.Unlock()
}

// txOutcome counts a transaction of type t: succeeded, failed (included
// with another status) or refused at admission.
func (c *coverage) txOutcome(t types.TxType, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.txTypes[t]
	if x == nil {
		return
	}
	switch outcome {
	case "succeeded":
		x.Succeeded++
	case "failed":
		x.Failed++
	case "refused":
		x.Refused++
	}
}

// fixtureFiles declares the fixture files there are to check.
func (c *coverage) fixtureFiles(files []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range files {
		if _, ok := c.fixtures[f]; !ok {
			c.fixtures[f] = ""
			c.fixOrder = append(c.fixOrder, f)
		}
	}
}

func (c *coverage) fixtureUsed(file, check string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.fixtures[file]; !ok {
		c.fixOrder = append(c.fixOrder, file)
	}
	c.fixtures[file] = check
}

func (c *coverage) snapshot() Coverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out Coverage
	for _, id := range c.spec.order {
		out.Operations = append(out.Operations, *c.ops[id])
	}
	for t := types.TxType(0); t.Valid(); t++ {
		out.TxTypes = append(out.TxTypes, *c.txTypes[t])
	}
	for _, code := range c.spec.codes {
		out.ErrorCodes = append(out.ErrorCodes, CodeCoverage{Code: code, Seen: c.codes[code], Exempt: exemptCodes[code]})
	}
	for _, f := range c.fixOrder {
		out.Fixtures = append(out.Fixtures, FixtureCoverage{File: f, Check: c.fixtures[f], Checked: c.fixtures[f] != ""})
	}
	return out
}

// CoveragePercentages are the coverage table's totals, "100% (9/9)".
type CoveragePercentages struct {
	Operations, TxTypes, ErrorCodes, Fixtures string
}

// Percentages: operations with a good and a bad answer; transaction types
// covered; error codes seen among those not exempt; fixture files used.
func (c *Coverage) Percentages() CoveragePercentages {
	var p CoveragePercentages
	n, k := 0, 0
	for _, o := range c.Operations {
		n++
		if o.Good > 0 && o.Bad > 0 {
			k++
		}
	}
	p.Operations = pct(k, n)
	n, k = 0, 0
	for _, t := range c.TxTypes {
		n++
		if t.Covered() {
			k++
		}
	}
	p.TxTypes = pct(k, n)
	n, k = 0, 0
	for _, e := range c.ErrorCodes {
		if e.Exempt != "" {
			continue
		}
		n++
		if e.Seen > 0 {
			k++
		}
	}
	p.ErrorCodes = pct(k, n)
	n, k = 0, 0
	for _, f := range c.Fixtures {
		n++
		if f.Checked {
			k++
		}
	}
	p.Fixtures = pct(k, n)
	return p
}

func pct(k, n int) string {
	if n == 0 {
		return "- (0/0)"
	}
	return fmt.Sprintf("%d%% (%d/%d)", k*100/n, k, n)
}

// Gaps lists what a run did not cover, by table.
func (c *Coverage) Gaps() map[string][]string {
	out := map[string][]string{}
	for _, o := range c.Operations {
		switch {
		case o.Good == 0 && o.Bad == 0:
			out["operations"] = append(out["operations"], o.ID+" (never answered as expected)")
		case o.Good == 0:
			out["operations"] = append(out["operations"], o.ID+" (no good input answered)")
		case o.Bad == 0:
			out["operations"] = append(out["operations"], o.ID+" (no bad input answered)")
		}
	}
	for _, t := range c.TxTypes {
		if !t.Covered() {
			out["transaction-types"] = append(out["transaction-types"], t.Type)
		}
	}
	for _, e := range c.ErrorCodes {
		if e.Exempt == "" && e.Seen == 0 {
			out["error-codes"] = append(out["error-codes"], e.Code)
		}
	}
	for _, f := range c.Fixtures {
		if !f.Checked {
			out["fixtures"] = append(out["fixtures"], f.File)
		}
	}
	return out
}
