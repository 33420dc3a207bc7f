package driver

import (
	"time"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// What a relay can check and what only the core can (spec/consensus.md,
// "Who is blamed for what"): the gossip validator that runs before a
// message is forwarded checks the envelope (decoding, size, topic,
// signature, a signer that belongs on the topic) and scores down the peer
// that relayed a message failing it. Everything found wrong later (a
// proposer that does not lead the view, a body that is not the header's,
// a bad inner signature or certificate) was signed by its sender's key
// and relayed in good faith, so it is counted against that key here and
// never against the relaying peer: one validator key sending junk must
// not make honest nodes score each other down and split the mesh.
const (
	// badLimit: a key that sent more than this many invalid messages
	// (halving every badHalfLife) is limited.
	badLimit     = 32
	badHalfLife  = 10 * time.Second
	limitedEvery = 100 * time.Millisecond // a limited key gets one message through per interval
)

// senders counts invalid content per signing key and rate-limits keys
// that keep sending it. Only validators sign consensus messages (the
// topics are validator-only), so it holds at most one entry per validator.
// It is not safe for concurrent use; the driver's goroutine owns it.
type senders struct {
	clock Clock
	keys  map[types.Address]*sender
}

type sender struct {
	bad      uint64    // invalid messages, decayed as of at
	at       time.Time // when bad was last decayed
	passed   time.Time // when a message of a limited key last got through
	dropped  uint64    // messages dropped while limited
	limiting bool
}

func newSenders(c Clock) *senders { return &senders{clock: c, keys: map[types.Address]*sender{}} }

// decay halves s.bad for each half-life since it was last decayed.
func (s *sender) decay(now time.Time) {
	if n := now.Sub(s.at) / badHalfLife; n > 0 {
		s.bad >>= min(uint64(n), 63)
		s.at = s.at.Add(n * badHalfLife)
	}
}

// allow reports whether a message signed by a may be processed: always,
// unless a is limited, and then one message per limitedEvery.
func (ss *senders) allow(a types.Address) bool {
	s := ss.keys[a]
	if s == nil {
		return true
	}
	now := ss.clock.Now()
	s.decay(now)
	if s.bad <= badLimit {
		if s.bad == 0 {
			delete(ss.keys, a)
		}
		s.limiting = false
		return true
	}
	if now.Sub(s.passed) >= limitedEvery {
		s.passed = now
		return true
	}
	s.dropped++
	return false
}

// limited reports whether a is rate-limited now (its decayed count of
// invalid messages is over the limit).
func (ss *senders) limited(a types.Address) bool {
	s := ss.keys[a]
	if s == nil {
		return false
	}
	s.decay(ss.clock.Now())
	return s.bad > badLimit
}

// invalid counts one invalid message signed by a and reports whether a
// has just become limited (the caller logs that once).
func (ss *senders) invalid(a types.Address) bool {
	now := ss.clock.Now()
	s := ss.keys[a]
	if s == nil {
		s = &sender{at: now}
		ss.keys[a] = s
	}
	s.decay(now)
	s.bad++
	if s.bad > badLimit && !s.limiting {
		s.limiting = true
		return true
	}
	return false
}

// proposalSeen is the first proposal a view's leader was seen to make.
type proposalSeen struct {
	hash     types.Hash
	envelope []byte // its signed envelope, when the network supplied it
	reported bool   // a conflicting proposal of the view was reported
}

// proposals remembers the first proposal of each recent view, so that a
// second, different one from the same leader is dropped before its body
// is kept and reported as equivocation. One entry per view; views below
// the current one minus one are forgotten on each tick.
type proposals map[uint64]proposalSeen

func (p proposals) prune(below uint64) {
	for v := range p {
		if v < below {
			delete(p, v)
		}
	}
}
