package vectors

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/oramanetwork/orama-chain/gen/schema"
)

func loadEvidenceCases(t *testing.T) (*schema.Spec, []evidenceCase) {
	t.Helper()
	s, err := schema.Load("../../spec")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../spec/cases/evidence.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c cases
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	return s, c.Evidence
}

// TestEvidenceCasesCoverEveryVerdict: the cases reach every reason of the
// spec and accept each kind, so a runner passing them has met every rule.
func TestEvidenceCasesCoverEveryVerdict(t *testing.T) {
	s, list := loadEvidenceCases(t)
	f, err := evidenceVectors(s, cases{Evidence: list})
	if err != nil {
		t.Fatal(err)
	}
	if f.n != len(list) {
		t.Fatalf("%d vectors from %d cases", f.n, len(list))
	}
	seen := map[string]bool{}
	for _, c := range list {
		seen[c.Verdict] = true
		if c.Verdict == "valid" {
			seen["valid "+c.Kind] = true
		}
	}
	for _, r := range evidenceReasons {
		if !seen[r] {
			t.Errorf("no case is rejected as %s", r)
		}
	}
	for _, k := range s.Type("EvidenceKind").Variants {
		if !seen["valid "+k.Name] {
			t.Errorf("no valid %s case", k.Name)
		}
	}
}

// TestEvidenceReasonsAreTheSpecs: the generator's reason list is the table
// of spec/consensus.md, in order.
func TestEvidenceReasonsAreTheSpecs(t *testing.T) {
	data, err := os.ReadFile("../../spec/consensus.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, _ := strings.Cut(string(data), "\n## Equivocation evidence\n")
	sec, _, _ = strings.Cut(sec, "\n## ")
	var spec []string
	for _, line := range strings.Split(sec, "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			if name, _, ok := strings.Cut(rest, "` |"); ok {
				spec = append(spec, name)
			}
		}
	}
	if strings.Join(spec, " ") != strings.Join(evidenceReasons, " ") {
		t.Fatalf("spec/consensus.md lists %v, the generator %v", spec, evidenceReasons)
	}
}

// TestEvidenceGeneratorRefusesWrongVerdicts is the negative control: every
// case with any other verdict stated is refused, so no verdict in the
// vectors is merely copied from the YAML.
func TestEvidenceGeneratorRefusesWrongVerdicts(t *testing.T) {
	s, list := loadEvidenceCases(t)
	for _, c := range list {
		for _, other := range append([]string{"valid"}, evidenceReasons...) {
			if other == c.Verdict {
				continue
			}
			bad := c
			bad.Verdict = other
			if _, err := evidenceVector(s, bad); err == nil || !strings.Contains(err.Error(), "stated verdict") {
				t.Errorf("%s stated as %s: err = %v, want a refusal", c.Name, other, err)
			}
		}
	}
}

// TestEvidenceGeneratorRefusesBadCases: descriptions that cannot be built
// as stated are refused with a reason.
func TestEvidenceGeneratorRefusesBadCases(t *testing.T) {
	s, list := loadEvidenceCases(t)
	base := list[0]
	if base.Verdict != "valid" || base.Kind != "DoubleVote" {
		t.Fatalf("the first case is %s %s, want a valid DoubleVote", base.Kind, base.Verdict)
	}
	for _, tc := range []struct {
		name string
		edit func(c *evidenceCase)
		want string
	}{
		{"identical messages stated valid", func(c *evidenceCase) { c.Second = c.First }, "stated verdict valid"},
		{"unknown verdict", func(c *evidenceCase) { c.Verdict = "looks_odd" }, "neither valid nor a reason"},
		{"oversize first", func(c *evidenceCase) { c.First.Oversize = true }, "only for second"},
		{"two message kinds", func(c *evidenceCase) { c.First.Timeout = map[string]any{"view": 9} }, "exactly one"},
		{"no why", func(c *evidenceCase) { c.Why = "" }, "needs why"},
		{"bad order", func(c *evidenceCase) { c.Order = "sideways" }, "order"},
		{"unknown malleation", func(c *evidenceCase) { c.Second.Malleate = "flip" }, "malleate"},
		{"key 0", func(c *evidenceCase) { c.Validator = 0 }, "key index"},
	} {
		c := base
		c.First, c.Second = cloneMessage(base.First), cloneMessage(base.Second)
		tc.edit(&c)
		if _, err := evidenceVector(s, c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

func cloneMessage(m evidenceMessage) evidenceMessage {
	m.Vote, m.Timeout = clone(m.Vote), clone(m.Timeout)
	if len(m.Vote) == 0 {
		m.Vote = nil
	}
	if len(m.Timeout) == 0 {
		m.Timeout = nil
	}
	return m
}

// TestSignWithNonce: the second signature is valid, canonical and differs
// from RFC 6979's.
func TestSignWithNonce(t *testing.T) {
	priv, addr, err := testKey(1)
	if err != nil {
		t.Fatal(err)
	}
	h := [32]byte{1, 2, 3}
	a, err := signWithNonce(h, priv, "x")
	if err != nil {
		t.Fatal(err)
	}
	b, err := signWithNonce(h, priv, "y")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two nonces gave one signature")
	}
	for _, sig := range [][]byte{a, b} {
		if got, ok := recoverCanonical(h, sig); !ok || got != hexOf(addr) {
			t.Fatalf("recovers %s %v, want %s", got, ok, hexOf(addr))
		}
	}
}
