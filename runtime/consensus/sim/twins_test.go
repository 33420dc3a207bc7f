package sim

import (
	"os"
	"strconv"
	"testing"
	"time"
)

const twinsViews = 4

func twinsCount(t *testing.T) uint64 {
	n := uint64(1000)
	if s := os.Getenv("TWINS_SCENARIOS"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("TWINS_SCENARIOS=%q: %v", s, err)
		}
		n = v
	}
	return n
}

// TestTwinsSafety runs TWINS_SCENARIOS (default 1000) scenarios and asserts
// that no two honest nodes finalize different blocks at one height, and
// that no honest node signs two different votes or timeouts in a view.
func TestTwinsSafety(t *testing.T) {
	n := twinsCount(t)
	start := time.Now()
	var commits, equivocations uint64
	for k := range n {
		sc := EnumerateScenario(SpreadIndex(k, twinsViews), twinsViews)
		s, err := NewTwins(sc, false)
		if err != nil {
			t.Fatal(err)
		}
		s.Run(TwinsTicks)
		if s.Violation != nil {
			t.Fatalf("scenario %d %+v: %v", k, sc, s.Violation)
		}
		commits += s.MinHonestCommitted()
		// Count scenarios in which the twins really equivocated.
		tw, tn := s.Nodes[sc.Twin], s.Nodes[TwinsValidators]
		for key, sig := range tw.Signed {
			if other, ok := tn.Signed[key]; ok && other != sig {
				equivocations++
				break
			}
		}
		if s.MinHonestCommitted() == 0 {
			t.Fatalf("scenario %d %+v: no block finalized after the network healed", k, sc)
		}
	}
	t.Logf("%d scenarios in %v; %d with twin equivocation; mean honest finalized height %.1f",
		n, time.Since(start), equivocations, float64(commits)/float64(n))
	if equivocations == 0 {
		t.Fatal("no scenario made the twins equivocate: the enumeration is not adversarial")
	}
}
