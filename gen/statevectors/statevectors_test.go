package statevectors

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/gen/outdir"
	"github.com/oramanetwork/orama-chain/generated/types"
)

const (
	casesDir     = "../../spec/cases/state"
	committedDir = "../../conformance/vectors-state"
)

// readTree returns every file under dir but README.md, by slash path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "README.md" {
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func compareTrees(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			t.Errorf("%s: %s missing", what, p)
		case !bytes.Equal(g, w):
			t.Errorf("%s: %s differs", what, p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: extra file %s", what, p)
		}
	}
}

// TestGenerateTwiceIdentical runs the generator twice into fresh
// directories: the trees must be byte-identical.
func TestGenerateTwiceIdentical(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := Generate(casesDir, a); err != nil {
		t.Fatal(err)
	}
	if err := Generate(casesDir, b); err != nil {
		t.Fatal(err)
	}
	ta, tb := readTree(t, a), readTree(t, b)
	if len(ta) < 3 {
		t.Fatalf("only %d files generated", len(ta))
	}
	compareTrees(t, "second run", tb, ta)

	// A rerun over an existing tree replaces it exactly and keeps README.md.
	if err := os.WriteFile(filepath.Join(a, "README.md"), []byte("doc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a, "smt", "stale.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Generate(casesDir, a); err != nil {
		t.Fatal(err)
	}
	compareTrees(t, "rerun in place", readTree(t, a), tb)
	if d, err := os.ReadFile(filepath.Join(a, "README.md")); err != nil || string(d) != "doc" {
		t.Error("Generate touched README.md")
	}
}

// TestCommittedVectorsUpToDate fails when conformance/vectors-state differs
// from what the generator writes now: regenerate with
// go run ./gen/cmd/oramastate -cases spec/cases/state -out conformance/vectors-state
func TestCommittedVectorsUpToDate(t *testing.T) {
	fresh := t.TempDir()
	if err := Generate(casesDir, fresh); err != nil {
		t.Fatal(err)
	}
	compareTrees(t, "conformance/vectors-state (regenerate: go run ./gen/cmd/oramastate -cases spec/cases/state -out conformance/vectors-state)",
		readTree(t, committedDir), readTree(t, fresh))
	if _, err := os.Stat(filepath.Join(committedDir, "README.md")); err != nil {
		t.Errorf("conformance/vectors-state/README.md: %v", err)
	}
}

func buildFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := Build(casesDir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, f := range files {
		m[f.Path] = f.Data
	}
	return m
}

// TestSMTGolden pins the generated SMT vectors to runtime/smt's golden
// vectors (runtime/smt/vectors_test.go), which were cross-checked against an
// independent rendering of the hashing rules and against celestiaorg/smt.
func TestSMTGolden(t *testing.T) {
	var vf struct {
		Cases []smtCaseOut `json:"cases"`
	}
	if err := json.Unmarshal(buildFiles(t)["smt/smt.json"], &vf); err != nil {
		t.Fatal(err)
	}
	byName := map[string]smtCaseOut{}
	for _, c := range vf.Cases {
		byName[c.Name] = c
	}
	for name, root := range map[string]string{
		"empty_then_one_key": "565388d4bc00257133f799d9366ac97f6e949c18acc53d17457f8859ba0f08d3",
		"two_keys":           "70a50295110313dd28320faccbee14d04dc2894e877a2e407115a2f337ed4efa",
		"ten_keys":           "e1e7f656eed821507c039efd17a5b2798976f19f8199db6e63004d3da584877d",
		"delete_to_empty":    strings.Repeat("0", 64),
	} {
		if got := byName[name].Root; got != "0x"+root {
			t.Errorf("%s: root %s, golden %s", name, got, root)
		}
	}
	proofs := map[string]string{}
	for _, p := range byName["ten_keys"].Proofs {
		proofs[p.Key] = p.Proof
	}
	for key, enc := range map[string]string{
		"key-3": "e800000000000000000000000000000000000000000000000000000000000000" + "04000000" +
			"e15b37daf3379f085479f1d98436eb2fe063d87de9b4c1a81cf075235a034a80" +
			"5dc183ceeea67572ae03d3f8091c1c18662e2210ff3086d7d78020643ed3e640" +
			"07b0271d508bce625bc3dc3549cb9edee6402e96cff7e3e612afc49fd3f18003" +
			"c3ddc4126377de0671c82aa65054a575bfb8d09e1799616c0583172fb88e7855" + "00",
		"absent-0": "e000000000000000000000000000000000000000000000000000000000000000" + "03000000" +
			"c45805390c619266e8932e1d95f10f91a909adabc1c81ef370a3a8b8bd9fa6fc" +
			"fcce63471155e39772f47eb0cee238a337d02c11c43f5e3b2a0cb52bb1c03bb4" +
			"56bf6dd904f2165f75ba296f7ad83f98322c0b6d1a5f42d4fc3b049061bab0f5" + "01" +
			"2ef94a67f93c79a6fe2710bb5f2907658c1f96d8cc6bae6bf8c8e180119897e1" +
			"ae2bd281d98fc06ff6a3dc23c88417bbf9f84f713b2b7eab88309a70242d26ae",
		"absent-1": "c800000000000000000000000000000000000000000000000000000000000000" + "03000000" +
			"c45805390c619266e8932e1d95f10f91a909adabc1c81ef370a3a8b8bd9fa6fc" +
			"376d5dd52b8c39fea43d899bc399ea263af815da920f2a88cd48357ad22b9cb0" +
			"61d77ec3899fb16d89a56a188fdfd2bd9d14ee9c5bbc4da52118c55e193e519a" + "00",
	} {
		if got := proofs[outdir.Hex([]byte(key))]; got != "0x"+enc {
			t.Errorf("ten_keys proof of %s:\n%s\ngolden\n0x%s", key, got, enc)
		}
	}
	// Every reason is exercised somewhere.
	reasons := map[string]bool{}
	for _, c := range vf.Cases {
		for _, m := range c.Malformed {
			reasons[m.Error] = true
		}
	}
	for _, e := range ProofErrors {
		if !reasons[e.Reason] {
			t.Errorf("no malformed proof with reason %s", e.Reason)
		}
	}
}

// TestStateVectorCoverage: at least 15 state-transition cases, and every
// status execution can return appears in some receipt or, for the
// includability reasons, in some refused block.
func TestStateVectorCoverage(t *testing.T) {
	statuses, refused := map[string]bool{}, map[string]bool{}
	n := 0
	for p, data := range buildFiles(t) {
		if !strings.HasPrefix(p, KindStateTransition+"/") {
			continue
		}
		var vf struct {
			Cases []struct {
				Refused *struct {
					Reason string `json:"reason"`
				} `json:"refused"`
				Post *struct {
					Receipts []struct {
						Value struct {
							Status string `json:"status"`
						} `json:"value"`
					} `json:"receipts"`
				} `json:"post"`
			} `json:"cases"`
		}
		if err := json.Unmarshal(data, &vf); err != nil {
			t.Fatal(err)
		}
		n += len(vf.Cases)
		for _, c := range vf.Cases {
			if (c.Refused == nil) == (c.Post == nil) {
				t.Errorf("%s: a case must have exactly one of refused and post", p)
				continue
			}
			if c.Refused != nil {
				refused[c.Refused.Reason] = true
				continue
			}
			for _, r := range c.Post.Receipts {
				statuses[r.Value.Status] = true
			}
		}
	}
	if n < 15 {
		t.Errorf("%d state-transition cases, want at least 15", n)
	}
	// Every includability reason execution can give refuses some block,
	// and the failures that can also be includability reasons fail some
	// included transaction.
	for _, s := range []string{"BadNonce", "GasLimitTooLow", "BlockGasExceeded", "TipAboveFeeCap", "FeeCapBelowBaseFee", "AmountOverflow", "InsufficientBalance"} {
		if !refused[s] {
			t.Errorf("no vector refuses a block for %s", s)
		}
	}
	for _, s := range []string{"InsufficientBalance", "AmountOverflow", "UsernameTaken", "UnsupportedType"} {
		if !statuses[s] {
			t.Errorf("no vector has a failed receipt with status %s", s)
		}
	}
	for s := types.TxStatus(0); s.Valid(); s++ {
		if s == types.TxStatusInvalidSignature || s == types.TxStatusWrongChain {
			continue // checked before execution, outside runtime/exec
		}
		if !statuses[s.String()] && !refused[s.String()] {
			t.Errorf("no vector has a receipt with status %v or refuses a block for it", s)
		}
	}
}

func writeCases(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "c.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const miniGenesis = `
genesis:
  chain_id: 1
  allocations: [{address: alice, orama_balance: 1000000}]
  validators: [{address: proposer, stake: 1}]
`

// The generator refuses cases it cannot vouch for.
func TestBuildRejectsBadCases(t *testing.T) {
	for name, y := range map[string]string{
		"wrong expect": miniGenesis + `
state_transition:
  - name: x
    env: {height: 1, proposer: proposer, base_fee: 10}
    transactions:
      - {from: alice, to: bob, amount: 1, nonce: 0, gas_limit: 100, gas_fee_cap: 10, expect: BadNonce}
`,
		"missing expect": miniGenesis + `
state_transition:
  - name: x
    env: {height: 1, proposer: proposer, base_fee: 10}
    transactions:
      - {from: alice, to: bob, amount: 1, nonce: 0, gas_limit: 100, gas_fee_cap: 10}
`,
		"unknown field": miniGenesis + `
state_transition:
  - name: x
    env: {height: 1, proposer: proposer, base_fee: 10, timestamp: 3}
`,
		"height 0": miniGenesis + `
state_transition:
  - name: x
    env: {height: 0, proposer: proposer, base_fee: 10}
`,
		"invalid genesis": `
genesis:
  chain_id: 0
  validators: [{address: proposer, stake: 1}]
state_transition:
  - name: x
    env: {height: 1, proposer: proposer, base_fee: 10}
`,
		"repeated case name": `
smt:
  - {name: x, steps: [{set: a, value: "1"}]}
  - {name: x, steps: [{set: a, value: "1"}]}
`,
		"set and delete in one step": `
smt:
  - {name: x, steps: [{set: a, value: "1", delete: a}]}
`,
		"empty value": `
smt:
  - {name: x, steps: [{set: a, value: ""}]}
`,
		"absent key present": `
smt:
  - {name: x, steps: [{set: a, value: "1"}], absent: [a]}
`,
	} {
		if _, err := Build(writeCases(t, y)); err == nil {
			t.Errorf("%s: Build accepted it", name)
		}
	}
	// And the minimal good case passes.
	if _, err := Build(writeCases(t, miniGenesis+`
state_transition:
  - name: x
    env: {height: 1, proposer: proposer, base_fee: 10}
    transactions:
      - {from: alice, to: bob, amount: 1, nonce: 0, gas_limit: 100, gas_fee_cap: 10, expect: Success}
`)); err != nil {
		t.Errorf("minimal case: %v", err)
	}
}
