package node

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/store"
)

// equivocations reads orama_consensus_equivocations_total by kind.
func equivocations(t *testing.T, n *Node) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	for _, c := range n.Collectors() {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "orama_consensus_equivocations_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" {
					out[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// TestRecordEvidence: the node's evidence sink (the one the driver is
// given) stores each equivocation once, logs it once at Warn and counts it
// once; a repeat is none of these; past the validator's bound it is counted
// but not stored and not logged at Warn.
func TestRecordEvidence(t *testing.T) {
	g, keys := testGenesis(1)
	var logs bytes.Buffer
	n, err := New(Config{DataDir: t.TempDir(), NoSync: true,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))}, g, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	rec := n.evidence
	bad := types.Address(keys[0].Address())
	ev := func(view uint64, kind types.EvidenceKind, tag byte) *types.Evidence {
		return &types.Evidence{Kind: kind, Validator: bad, View: view, First: types.Bytes{1, tag}, Second: types.Bytes{2, tag}}
	}
	if got := equivocations(t, n); len(got) != 3 || got["DoubleVote"] != 0 {
		t.Fatalf("before any: %v", got)
	}
	rec.RecordEvidence(ev(5, types.EvidenceKindDoubleVote, 0))
	rec.RecordEvidence(ev(5, types.EvidenceKindDoubleVote, 0)) // the same
	rec.RecordEvidence(ev(5, types.EvidenceKindDoubleVote, 1)) // the same equivocation, other messages
	rec.RecordEvidence(ev(5, types.EvidenceKindDoubleTimeout, 0))
	if got := equivocations(t, n); got["DoubleVote"] != 1 || got["DoubleTimeout"] != 1 || got["DoubleProposal"] != 0 {
		t.Fatalf("counts: %v", got)
	}
	if c := strings.Count(logs.String(), "validator equivocated"); c != 2 {
		t.Fatalf("%d Warn lines, want 2:\n%s", c, logs.String())
	}
	line := strings.SplitN(logs.String(), "\n", 2)[0]
	for _, want := range []string{"level=WARN", "kind=DoubleVote", "validator=" + bad.String(), "view=5"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %s: %s", want, line)
		}
	}
	page, _, err := n.Store().Evidence(nil, 10, 0)
	if err != nil || len(page) != 2 || page[1].First[1] != 0 {
		t.Fatalf("stored: %d (%v)", len(page), err)
	}

	// Past the bound: counted, not stored, not logged at Warn.
	for view := uint64(100); view < 100+store.MaxProposalEvidencePerValidator; view++ {
		rec.RecordEvidence(ev(view, types.EvidenceKindDoubleProposal, 0))
	}
	logs.Reset()
	rec.RecordEvidence(ev(1000, types.EvidenceKindDoubleProposal, 0))
	rec.RecordEvidence(ev(1000, types.EvidenceKindDoubleProposal, 0))
	if got := equivocations(t, n); got["DoubleProposal"] != store.MaxProposalEvidencePerValidator+2 {
		t.Fatalf("DoubleProposal count %v, want %d", got["DoubleProposal"], store.MaxProposalEvidencePerValidator+2)
	}
	if logs.Len() != 0 {
		t.Fatalf("Warn past the bound: %s", logs.String())
	}
	if total, props, _ := n.Store().EvidenceCount(bad); total != 2+store.MaxProposalEvidencePerValidator || props != store.MaxProposalEvidencePerValidator {
		t.Fatalf("stored %d, %d proposals", total, props)
	}
}
