package p2p

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// fakeClock is a settable clock for the sync record.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestSyncRecordOrder: idle peers by standing first, equals rotated; a
// peer at fault is skipped until its backoff ends; a peer waiting on a
// request only when no idle peer is left; backed-off peers only when
// nothing else is.
func TestSyncRecordOrder(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	r := newSyncRecord(clk.now)
	a, b, c, d := peer.ID("a"), peer.ID("b"), peer.ID("c"), peer.ID("d")
	all := []peer.ID{d, c, b, a}

	if got := r.order(all, 0); !slices.Equal(got, []peer.ID{a, b, c, d}) {
		t.Fatalf("unknown peers: %v", got)
	}
	if got := r.order(all, 1); !slices.Equal(got, []peer.ID{b, c, d, a}) {
		t.Fatalf("rotated: %v", got)
	}
	r.good(c)
	r.good(c)
	r.good(d)
	if got := r.order(all, 0); !slices.Equal(got, []peer.ID{c, d, a, b}) {
		t.Fatalf("by standing: %v", got)
	}
	r.fault(c)
	if got := r.order(all, 0); !slices.Equal(got, []peer.ID{d, a, b}) {
		t.Fatalf("after c's fault: %v", got)
	}
	r.begin(d)
	if got := r.order(all, 0); !slices.Equal(got, []peer.ID{a, b}) {
		t.Fatalf("d busy: %v", got)
	}
	r.begin(a)
	r.begin(b)
	if got := r.order(all, 0); !slices.Equal(got, []peer.ID{d, a, b}) {
		t.Fatalf("all busy, by standing: %v", got)
	}
	r.end(a)
	r.end(b)
	r.end(d)
	r.fault(a)
	r.fault(b)
	r.fault(d)
	clk.add(time.Second)
	r.fault(d) // d's second fault: backed off longer than a, b and c
	if got := r.order(all, 3); !slices.Equal(got, []peer.ID{a, b, c, d}) {
		t.Fatalf("all backed off, back soonest first: %v", got)
	}
	clk.add(syncBackoffMin)
	if got := r.order(all, 0); !slices.Equal(got, []peer.ID{c, a, b}) {
		t.Fatalf("after the first backoff: %v", got)
	}
}

// TestSyncRecordBackoff: the backoff doubles with faults in a row up to
// its cap, and a verified answer clears it; standing stays in its bounds.
func TestSyncRecordBackoff(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	r := newSyncRecord(clk.now)
	p := peer.ID("p")
	want := syncBackoffMin
	for i := range 10 {
		if d := r.fault(p); d != want {
			t.Fatalf("fault %d: backoff %v, want %v", i+1, d, want)
		}
		want = min(2*want, syncBackoffMax)
	}
	if s := r.standing(p); s != syncStandingMin {
		t.Fatalf("standing %d after many faults, want %d", s, syncStandingMin)
	}
	r.good(p)
	if got := r.order([]peer.ID{p}, 0); len(got) != 1 {
		t.Fatal("a verified answer did not end the backoff")
	}
	if d := r.fault(p); d != syncBackoffMin {
		t.Fatalf("backoff after a verified answer: %v", d)
	}
	for range 2 * syncStandingMax {
		r.good(p)
	}
	if s := r.standing(p); s != syncStandingMax {
		t.Fatalf("standing %d, want at most %d", s, syncStandingMax)
	}
}

// TestSyncRecordBounded: the record holds at most maxSyncRecords peers,
// forgetting the one changed least recently, and is safe for concurrent
// use (run with -race).
func TestSyncRecordBounded(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	r := newSyncRecord(clk.now)
	first := peer.ID("first")
	r.fault(first)
	clk.add(time.Millisecond)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range maxSyncRecords {
				p := peer.ID(fmt.Sprint(g, "-", i))
				r.begin(p)
				r.good(p)
				r.order([]peer.ID{p, first}, uint64(i))
				r.end(p)
			}
		}()
	}
	wg.Wait()
	r.mu.Lock()
	n := len(r.peers)
	_, kept := r.peers[first]
	r.mu.Unlock()
	if n > maxSyncRecords {
		t.Fatalf("%d peers recorded, max %d", n, maxSyncRecords)
	}
	if kept {
		t.Fatal("the peer changed least recently was kept")
	}
}
