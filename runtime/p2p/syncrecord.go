package p2p

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// The sync record's numbers; spec/consensus.md (block sync) states the rule.
const (
	// syncGain is what a verified answer adds to a peer's standing, and
	// syncLoss what a fault takes off: one fault outweighs several good
	// answers, so serving public blocks buys little room to lie.
	syncGain = 1
	syncLoss = 4
	// syncStandingMax and syncStandingMin bound a standing, so that a long
	// good record is lost after a few faults and a bad one is forgotten
	// after a few good answers.
	syncStandingMax = 32
	syncStandingMin = -32
	// syncBackoffMin is how long a peer is skipped after a fault, doubling
	// with each further fault in a row up to syncBackoffMax: a liar soon
	// costs nothing, while an honest peer that timed out once on a loaded
	// machine is asked again within a minute.
	syncBackoffMin = 30 * time.Second
	syncBackoffMax = 10 * time.Minute
	// maxSyncRecords bounds the record; the peer changed least recently
	// is forgotten first.
	maxSyncRecords = 1024
)

// syncRecord is what this node has seen of each peer as a block sync
// server: its standing (verified answers raise it, faults lower it), the
// time it is backed off until after a fault, and how many of this node's
// requests it has not answered yet. It is safe for concurrent use.
type syncRecord struct {
	mu    sync.Mutex
	now   func() time.Time
	peers map[peer.ID]*syncPeer
}

// syncPeer is one peer's entry in a syncRecord.
type syncPeer struct {
	standing int
	faults   int       // in a row, for the backoff
	until    time.Time // backed off until
	busy     int       // requests outstanding
	changed  time.Time // for eviction
}

func newSyncRecord(now func() time.Time) *syncRecord {
	return &syncRecord{now: now, peers: make(map[peer.ID]*syncPeer)}
}

// entry returns p's entry, creating it (and evicting the entry changed
// least recently if the record is full). Call with mu held.
func (r *syncRecord) entry(p peer.ID, t time.Time) *syncPeer {
	e, ok := r.peers[p]
	if !ok {
		if len(r.peers) >= maxSyncRecords {
			var oldest peer.ID
			var at time.Time
			for id, o := range r.peers {
				if oldest == "" || o.changed.Before(at) {
					oldest, at = id, o.changed
				}
			}
			delete(r.peers, oldest)
		}
		e = &syncPeer{}
		r.peers[p] = e
	}
	e.changed = t
	return e
}

// begin records a request sent to p; end, that it finished (however).
func (r *syncRecord) begin(p peer.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entry(p, r.now()).busy++
}

func (r *syncRecord) end(p peer.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.peers[p]; ok && e.busy > 0 {
		e.busy--
	}
}

// good records a verified answer from p: its standing rises and any
// backoff ends.
func (r *syncRecord) good(p peer.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entry(p, r.now())
	e.standing = min(e.standing+syncGain, syncStandingMax)
	e.faults = 0
	e.until = time.Time{}
}

// fault records a fault of p: its standing falls and it is backed off.
// It returns how long for.
func (r *syncRecord) fault(p peer.ID) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.now()
	e := r.entry(p, t)
	e.standing = max(e.standing-syncLoss, syncStandingMin)
	d := syncBackoffMin << min(e.faults, 16)
	d = min(d, syncBackoffMax)
	e.faults++
	e.until = t.Add(d)
	return d
}

// standing returns p's standing (0 for a peer never seen).
func (r *syncRecord) standing(p peer.ID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.peers[p]; ok {
		return e.standing
	}
	return 0
}

// order returns the peers of ids to ask, best first. Peers neither backed
// off nor waiting on an earlier request come first, by standing, and
// equals in the order of ids rotated by rot, so that successive requests
// spread over them. Only when there are none are waiting peers used, and
// only when every peer is backed off are those used (the one back soonest
// first): a request with nobody better still gets an answer.
func (r *syncRecord) order(ids []peer.ID, rot uint64) []peer.ID {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	k := int(rot % uint64(len(ids)))
	ids = append(ids[k:], ids[:k]...)

	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.now()
	var idle, busy, off []peer.ID
	for _, id := range ids {
		e, ok := r.peers[id]
		switch {
		case !ok:
			idle = append(idle, id)
		case t.Before(e.until):
			off = append(off, id)
		case e.busy > 0:
			busy = append(busy, id)
		default:
			idle = append(idle, id)
		}
	}
	byStanding := func(a, b peer.ID) int {
		return cmp.Compare(r.standingLocked(b), r.standingLocked(a))
	}
	switch {
	case len(idle) > 0:
		slices.SortStableFunc(idle, byStanding)
		return idle
	case len(busy) > 0:
		slices.SortStableFunc(busy, byStanding)
		return busy
	}
	slices.SortStableFunc(off, func(a, b peer.ID) int {
		return r.peers[a].until.Compare(r.peers[b].until)
	})
	return off
}

// standingLocked is standing with mu held.
func (r *syncRecord) standingLocked(p peer.ID) int {
	if e, ok := r.peers[p]; ok {
		return e.standing
	}
	return 0
}
