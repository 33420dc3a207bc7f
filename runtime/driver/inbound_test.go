package driver

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// inMsg returns a message of type mt tagged id (in From) so tests can follow it.
func inMsg(mt types.MessageType, id string) Incoming { return Incoming{Type: mt, From: id} }

func inVote(id string) Incoming     { return inMsg(types.MessageTypeVote, id) }
func inNewView(id string) Incoming  { return inMsg(types.MessageTypeNewView, id) }
func inProposal(id string) Incoming { return inMsg(types.MessageTypeProposal, id) }

// popIDs pops q empty and returns the ids in pop order.
func popIDs(q *inbound) []string {
	var ids []string
	for {
		m, ok := q.pop()
		if !ok {
			return ids
		}
		ids = append(ids, m.From)
	}
}

// pushIDs pushes ms, failing the test if any is not queued.
func pushIDs(t *testing.T, q *inbound, ms ...Incoming) {
	t.Helper()
	for _, m := range ms {
		if !q.push(m) {
			t.Fatalf("push %s %s: dropped", m.Type, m.From)
		}
	}
}

func wantIDs(t *testing.T, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
}

func wantDropped(t *testing.T, q *inbound, proposals, certs uint64) {
	t.Helper()
	if p, c := q.dropped(classProposal), q.dropped(classCert); p != proposals || c != certs {
		t.Fatalf("dropped %d proposals and %d votes/new views, want %d and %d", p, c, proposals, certs)
	}
}

func TestInboundPriority(t *testing.T) {
	q := newInbound(16)
	pushIDs(t, q, inProposal("p1"), inVote("v1"), inProposal("p2"), inNewView("n1"), inVote("v2"), inProposal("p3"))
	if q.len() != 6 {
		t.Fatalf("len %d, want 6", q.len())
	}
	wantIDs(t, popIDs(q), "v1", "n1", "v2", "p1", "p2", "p3")
	if _, ok := q.pop(); ok || q.len() != 0 {
		t.Fatal("queue not empty after popping everything")
	}
}

// TestInboundFIFOWithinClass interleaves pushes and pops across many
// compactions: order holds and the backing array stays bounded.
func TestInboundFIFOWithinClass(t *testing.T) {
	const limit = 8
	q := newInbound(limit)
	next, want := 0, 0
	for range 10000 {
		for q.len() < 5 {
			pushIDs(t, q, inVote(fmt.Sprint(next)))
			next++
		}
		for range 3 {
			m, ok := q.pop()
			if !ok || m.From != fmt.Sprint(want) {
				t.Fatalf("popped %q (%v), want %d", m.From, ok, want)
			}
			want++
		}
	}
	if c := cap(q.q[classCert].items); c > 4*limit {
		t.Fatalf("backing array grew to %d for a queue of at most %d", c, limit)
	}
	wantDropped(t, q, 0, 0)
}

func TestInboundDropRule(t *testing.T) {
	cases := []struct {
		name   string
		full   []Incoming // fills a queue of len(full)
		push   Incoming
		queued bool
		want   []string // pop order afterwards
		// dropped proposals and votes/new views
		dropP, dropC uint64
	}{
		{"a vote evicts the oldest proposal",
			[]Incoming{inProposal("p1"), inProposal("p2"), inProposal("p3")}, inVote("v1"),
			true, []string{"v1", "p2", "p3"}, 1, 0},
		{"a vote evicts a proposal, not a vote",
			[]Incoming{inVote("v1"), inProposal("p1"), inVote("v2"), inProposal("p2")}, inVote("v3"),
			true, []string{"v1", "v2", "v3", "p2"}, 1, 0},
		{"a new proposal is dropped when full of votes",
			[]Incoming{inVote("v1"), inNewView("n1"), inVote("v2")}, inProposal("p1"),
			false, []string{"v1", "n1", "v2"}, 1, 0},
		{"a vote evicts the oldest vote when full of votes",
			[]Incoming{inVote("v1"), inVote("v2"), inVote("v3")}, inVote("v4"),
			true, []string{"v2", "v3", "v4"}, 0, 1},
		{"a new view evicts the oldest vote",
			[]Incoming{inVote("v1"), inNewView("n1"), inVote("v2")}, inNewView("n2"),
			true, []string{"n1", "v2", "n2"}, 0, 1},
		{"a proposal evicts the oldest proposal",
			[]Incoming{inProposal("p1"), inVote("v1"), inProposal("p2")}, inProposal("p3"),
			true, []string{"v1", "p2", "p3"}, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := newInbound(len(c.full))
			pushIDs(t, q, c.full...)
			if got := q.push(c.push); got != c.queued {
				t.Fatalf("push returned %v, want %v", got, c.queued)
			}
			if q.len() != len(c.full) {
				t.Fatalf("len %d, want the limit %d", q.len(), len(c.full))
			}
			wantDropped(t, q, c.dropP, c.dropC)
			wantIDs(t, popIDs(q), c.want...)
		})
	}
}

func TestInboundRefusesTransactions(t *testing.T) {
	q := newInbound(4)
	for _, mt := range []types.MessageType{types.MessageTypeTransaction, types.MessageTypeTransactionBatch, 0, 99} {
		if q.push(inMsg(mt, "tx")) {
			t.Fatalf("type %s queued", mt)
		}
	}
	if q.len() != 0 {
		t.Fatalf("len %d, want 0", q.len())
	}
	select {
	case <-q.ready():
		t.Fatal("ready signalled for refused messages")
	default:
	}
	wantDropped(t, q, 0, 0)
}

func TestInboundReady(t *testing.T) {
	q := newInbound(4)
	select {
	case <-q.ready():
		t.Fatal("ready signalled before any push")
	default:
	}
	pushIDs(t, q, inVote("v1"), inProposal("p1")) // the second signal must not block
	select {
	case <-q.ready():
	default:
		t.Fatal("ready not signalled after push")
	}
	select {
	case <-q.ready():
		t.Fatal("ready holds more than one signal")
	default:
	}
	wantIDs(t, popIDs(q), "v1", "p1")
}

// TestInboundConcurrent: network goroutines push while the loop pops, as
// in production; run with -race. Every message is either popped or
// counted as dropped, and each sender's messages of one class come out in
// the order it pushed them.
func TestInboundConcurrent(t *testing.T) {
	for _, limit := range []int{inboundLimit, 64} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			const senders, each = 8, 2000
			q := newInbound(limit)
			var wg sync.WaitGroup
			for s := range senders {
				wg.Go(func() {
					for i := range each {
						m := inVote(fmt.Sprintf("%d/%d", s, i))
						if i%3 == 0 {
							m.Type = types.MessageTypeProposal
						}
						q.push(m)
					}
				})
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()

			last := map[string]int{} // sender/class -> last index popped
			popped := 0
			take := func() {
				for {
					m, ok := q.pop()
					if !ok {
						return
					}
					popped++
					var s, i int
					if _, err := fmt.Sscanf(m.From, "%d/%d", &s, &i); err != nil {
						t.Fatal(err)
					}
					key := fmt.Sprint(s, m.Type)
					if prev, ok := last[key]; ok && i <= prev {
						t.Fatalf("sender %d: %s %d popped after %d", s, m.Type, i, prev)
					}
					last[key] = i
				}
			}
			timeout := time.After(time.Minute)
		loop:
			for {
				select {
				case <-q.ready():
					take()
				case <-done:
					take()
					break loop
				case <-timeout:
					t.Fatal("timed out")
				}
			}
			lost := q.dropped(classProposal) + q.dropped(classCert)
			if popped+int(lost) != senders*each {
				t.Fatalf("popped %d + dropped %d != pushed %d", popped, lost, senders*each)
			}
			if limit >= senders*each && lost != 0 {
				t.Fatalf("dropped %d with room for all", lost)
			}
		})
	}
}
