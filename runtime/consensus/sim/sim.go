package sim

import (
	"container/heap"
	"fmt"
	"math/rand/v2"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
)

// Node is one simulated process running a core.
type Node struct {
	ID int
	// Validator is the index of the validator key; twins share one.
	Validator int
	Addr      types.Address
	Honest    bool
	Core      *consensus.Core
	Persisted consensus.SafetyData
	Commits   []types.BlockHeader
	// Signed records every vote/timeout payload signed per view and kind,
	// to check that a node never signs two different messages in one view.
	Signed map[signKey]types.Signature
}

type signKey struct {
	kind byte
	view uint64
}

type msg struct {
	to   int
	from int
	view uint64
	ev   consensus.Event
	at   uint64
	seq  uint64
}

type queue []*msg

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*msg)) }
func (q *queue) Pop() any {
	old := *q
	m := old[len(old)-1]
	*q = old[:len(old)-1]
	return m
}

// Network decides the fate of each message. Connected reports whether a
// message of the given view may go from one node to another at tick now.
type Network struct {
	Connected func(from, to int, view, now uint64) bool
	MinDelay  uint64 // ticks, at least 1
	MaxDelay  uint64
	DropP     float64
	DupP      float64
	// Replay, if set, returns extra delays after which a message from node
	// from is delivered again (stale messages from a byzantine node).
	Replay func(from int) []uint64
}

// Options configure a simulation.
type Options struct {
	Seed              uint64
	Validators        int // number of validator keys (equal power unless Powers)
	Powers            []uint64
	Twins             []int // validator indices run as two nodes
	BaseTimeoutTicks  uint64
	MaxBackoffExp     uint64
	Elector           func(set *consensus.ValidatorSet, addrs []types.Address) consensus.LeaderElector
	Network           Network
	UnsafeNoViewCheck bool
	// VotesToAll sends each vote to every node (the gossip topic), not only
	// to the next leader; every core then aggregates votes.
	VotesToAll bool
}

// Sim is a running simulation.
type Sim struct {
	Nodes     []*Node
	Now       uint64
	rng       *rand.Rand
	net       Network
	q         queue
	seq       uint64
	headers   map[types.Hash]types.BlockHeader
	committed map[uint64]types.Hash // honest commits by height
	// Violation is the first safety violation seen, nil if none.
	Violation error
	cfg       consensus.Config
	addrs     []types.Address
	opts      Options
}

// Addr returns the address of validator i.
func Addr(i int) types.Address {
	var a types.Address
	a[0] = 0xA0
	a[19] = byte(i + 1)
	a[18] = byte((i + 1) >> 8)
	return a
}

// Genesis is the simulator's genesis header.
var Genesis = types.BlockHeader{Timestamp: 1}

// New builds a simulation.
func New(o Options) (*Sim, error) {
	ms := make([]consensus.Member, o.Validators)
	addrs := make([]types.Address, o.Validators)
	for i := range ms {
		addrs[i] = Addr(i)
		p := uint64(1)
		if o.Powers != nil {
			p = o.Powers[i]
		}
		ms[i] = consensus.Member{Address: addrs[i], Power: p}
	}
	set, err := consensus.NewValidatorSet(ms)
	if err != nil {
		return nil, err
	}
	var el consensus.LeaderElector
	if o.Elector != nil {
		el = o.Elector(set, addrs)
	} else {
		el = consensus.NewWeightedElector(set, [32]byte{byte(o.Seed)})
	}
	if o.Network.MinDelay == 0 {
		o.Network.MinDelay = 1
	}
	o.Network.MaxDelay = max(o.Network.MaxDelay, o.Network.MinDelay)
	s := &Sim{rng: rand.New(rand.NewPCG(o.Seed, 0x5eed)), net: o.Network,
		headers: map[types.Hash]types.BlockHeader{}, committed: map[uint64]types.Hash{}, addrs: addrs, opts: o}
	s.cfg = consensus.Config{Validators: set, Elector: el, Verifier: FakeVerifier{}, Genesis: Genesis,
		BaseTimeoutTicks: o.BaseTimeoutTicks, MaxBackoffExp: o.MaxBackoffExp,
		DisableConsecutiveViewCheck: o.UnsafeNoViewCheck}
	twin := map[int]bool{}
	for _, t := range o.Twins {
		twin[t] = true
	}
	add := func(v int) error {
		cfg := s.cfg
		cfg.Signer = FakeSigner{Addr: addrs[v]}
		c, err := consensus.NewCore(cfg, nil)
		if err != nil {
			return err
		}
		s.Nodes = append(s.Nodes, &Node{ID: len(s.Nodes), Validator: v, Addr: addrs[v], Honest: !twin[v], Core: c,
			Signed: map[signKey]types.Signature{}})
		return nil
	}
	for v := range o.Validators {
		if err := add(v); err != nil {
			return nil, err
		}
	}
	for _, v := range o.Twins {
		if err := add(v); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Restart replaces node id's core by one rebuilt from its persisted safety
// data and rooted at its last committed block, as a node restarting from its
// store does. Unpersisted state is lost.
func (s *Sim) Restart(id int) error {
	n := s.Nodes[id]
	cfg := s.cfg
	cfg.Signer = FakeSigner{Addr: n.Addr}
	if len(n.Commits) > 0 {
		root := n.Commits[len(n.Commits)-1]
		cfg.Root = &root
	}
	p := n.Persisted.Clone()
	c, err := consensus.NewCore(cfg, &p)
	if err != nil {
		return err
	}
	n.Core = c
	return nil
}

func (s *Sim) send(from, to int, view uint64, ev consensus.Event) {
	n := &s.net
	if n.Connected != nil && !n.Connected(from, to, view, s.Now) {
		return
	}
	if n.DropP > 0 && s.rng.Float64() < n.DropP {
		return
	}
	copies := 1
	if n.DupP > 0 && s.rng.Float64() < n.DupP {
		copies = 2
	}
	for range copies {
		d := n.MinDelay
		if n.MaxDelay > n.MinDelay {
			d += s.rng.Uint64N(n.MaxDelay - n.MinDelay + 1)
		}
		s.push(&msg{to: to, from: from, view: view, ev: ev, at: s.Now + d})
	}
	if n.Replay != nil {
		for _, d := range n.Replay(from) {
			s.push(&msg{to: to, from: from, view: view, ev: ev, at: s.Now + d})
		}
	}
}

func (s *Sim) push(m *msg) {
	s.seq++
	m.seq = s.seq
	heap.Push(&s.q, m)
}

// Run advances the simulation by ticks ticks, stopping early on a violation.
func (s *Sim) Run(ticks uint64) {
	for range ticks {
		if s.Violation != nil {
			return
		}
		s.Now++
		for s.q.Len() > 0 && s.q[0].at <= s.Now {
			m := heap.Pop(&s.q).(*msg)
			s.deliver(m.to, m.ev)
		}
		for _, n := range s.Nodes {
			s.deliver(n.ID, consensus.Tick{})
		}
	}
}

// deliver steps node id with ev and executes the resulting actions.
func (s *Sim) deliver(id int, ev consensus.Event) {
	n := s.Nodes[id]
	local := []consensus.Event{ev}
	for len(local) > 0 {
		e := local[0]
		local = local[1:]
		acts, _ := n.Core.Step(e) // rejected messages are normal in an adversarial network
		for _, a := range acts {
			switch a := a.(type) {
			case consensus.PersistSafety:
				n.Persisted = a.Data.Clone()
			case consensus.BroadcastProposal:
				h, _ := a.Header.Hash()
				s.headers[h] = a.Header
				s.broadcast(id, a.Header.View, consensus.ProposalReceived{Header: a.Header})
			case consensus.SendVote:
				s.recordSigned(n, 'v', a.Vote.View, a.Vote.Signature)
				for _, m := range s.Nodes {
					if (m.Addr == a.To || s.opts.VotesToAll) && m.ID != id {
						s.send(id, m.ID, a.Vote.View, consensus.VoteReceived{Vote: a.Vote})
					}
				}
			case consensus.BroadcastNewView:
				s.recordSigned(n, 't', a.Msg.Timeout.View, a.Msg.Timeout.Signature)
				s.broadcast(id, a.Msg.Timeout.View, consensus.NewViewReceived{Msg: a.Msg})
			case consensus.RequestProposal:
				local = append(local, consensus.ProposalBuilt{Header: s.build(n, a)})
			case consensus.RequestExecute:
				h, _ := a.Header.Hash()
				local = append(local, consensus.BlockExecuted{Hash: h, Valid: true})
			case consensus.FetchBlock:
				if h, ok := s.headers[a.Hash]; ok {
					s.push(&msg{to: id, from: id, ev: consensus.BlockFetched{Header: h}, at: s.Now + s.net.MinDelay})
				}
			case consensus.CommitBlocks:
				s.checkProof(n, a)
				s.commit(n, a.Headers)
			}
		}
	}
}

func (s *Sim) broadcast(from int, view uint64, ev consensus.Event) {
	for _, m := range s.Nodes {
		if m.ID != from {
			s.send(from, m.ID, view, ev)
		}
	}
}

func (s *Sim) recordSigned(n *Node, kind byte, view uint64, sig types.Signature) {
	k := signKey{kind, view}
	if old, ok := n.Signed[k]; ok && old != sig && n.Honest && s.Violation == nil {
		s.Violation = fmt.Errorf("node %d signed two different %c messages in view %d", n.ID, kind, view)
	}
	n.Signed[k] = sig
}

func (s *Sim) build(n *Node, r consensus.RequestProposal) types.BlockHeader {
	parent := r.QC.BlockHash
	if r.QC.View == 0 && len(r.QC.Votes) == 0 {
		parent, _ = Genesis.Hash()
	}
	h := types.BlockHeader{Height: r.QC.Height + 1, ParentHash: parent, Timestamp: r.View,
		Proposer: n.Addr, View: r.View, QC: r.QC, TimeoutCert: r.TC}
	h.StateRoot[0] = byte(n.ID) // twins build different blocks: equivocation
	return h
}

// checkProof flags an honest node whose CommitBlocks carries a commit proof
// that does not prove its last block final: a child and grandchild linked
// by hash, a QC for the grandchild, and (unless the unsafe switch is on)
// consecutive views.
func (s *Sim) checkProof(n *Node, a consensus.CommitBlocks) {
	if !n.Honest || s.Violation != nil || len(a.Headers) == 0 {
		return
	}
	last := a.Headers[len(a.Headers)-1]
	p := a.Proof
	lh, _ := last.Hash()
	ch, _ := p.Child.Hash()
	gh, _ := p.Grandchild.Hash()
	switch {
	case p.Child.QC.BlockHash != lh || p.Child.ParentHash != lh:
		s.Violation = fmt.Errorf("node %d: commit proof child does not certify height %d", n.ID, last.Height)
	case p.Grandchild.QC.BlockHash != ch:
		s.Violation = fmt.Errorf("node %d: commit proof grandchild does not certify the child", n.ID)
	case p.QC.BlockHash != gh || p.QC.View != p.Grandchild.View || p.QC.Height != p.Grandchild.Height:
		s.Violation = fmt.Errorf("node %d: commit proof QC does not certify the grandchild", n.ID)
	case !s.opts.UnsafeNoViewCheck && !consensus.ConsecutiveViews(&last, &p.Child, &p.Grandchild):
		s.Violation = fmt.Errorf("node %d: commit proof views %d, %d, %d are not consecutive", n.ID, last.View, p.Child.View, p.Grandchild.View)
	}
}

func (s *Sim) commit(n *Node, hs []types.BlockHeader) {
	for _, h := range hs {
		hash, _ := h.Hash()
		if len(n.Commits) > 0 {
			last := n.Commits[len(n.Commits)-1]
			lh, _ := last.Hash()
			if h.Height != last.Height+1 || h.ParentHash != lh {
				if s.Violation == nil && n.Honest {
					s.Violation = fmt.Errorf("node %d committed height %d not extending its height %d", n.ID, h.Height, last.Height)
				}
			}
		}
		n.Commits = append(n.Commits, h)
		if !n.Honest {
			continue
		}
		if old, ok := s.committed[h.Height]; ok && old != hash {
			if s.Violation == nil {
				s.Violation = fmt.Errorf("safety violation: two blocks finalized at height %d (node %d)", h.Height, n.ID)
			}
			continue
		}
		s.committed[h.Height] = hash
	}
}

// MinHonestCommitted is the lowest committed height over honest nodes.
func (s *Sim) MinHonestCommitted() uint64 {
	m := ^uint64(0)
	for _, n := range s.Nodes {
		if n.Honest {
			m = min(m, n.Core.Committed().Height)
		}
	}
	return m
}

// MaxHonestView is the highest current view over honest nodes.
func (s *Sim) MaxHonestView() uint64 {
	var m uint64
	for _, n := range s.Nodes {
		if n.Honest {
			m = max(m, n.Core.View())
		}
	}
	return m
}
