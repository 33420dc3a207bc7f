package sim

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/crypto/cryptotest"
	"github.com/oramanetwork/orama-chain/runtime/driver"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
)

// Node is one simulated process: the production driver over an
// in-memory chain and a real mempool.
type Node struct {
	ID int
	// Validator is the index of the validator key; twins share one.
	Validator int
	Addr      types.Address
	Honest    bool
	Driver    *driver.Driver
	Chain     *memChain
	Pool      *mempool.Pool
	Commits   []types.BlockHeader
	// Stopped is the error that stopped the node's driver, if any.
	Stopped error
	// Down: the process is crashed (Crash) until Restart; it handles
	// nothing and messages to it are lost.
	Down bool
	// Evidence is what the node's driver reported of equivocation.
	Evidence []types.Evidence
	// seen is the gossip seen-cache: when each message (by its bytes)
	// was last delivered here (Network.SeenTicks).
	seen map[[32]byte]uint64
	// Signed records every vote/timeout signature sent per view and kind,
	// to check that a node never signs two different messages in one view.
	Signed map[signKey]types.Signature
	// Sent and SentBytes count the messages this node published (each
	// publication once, whatever the number of receivers).
	Sent, SentBytes uint64
}

type signKey struct {
	kind byte
	view uint64
}

type msg struct {
	to   int
	from int
	m    driver.Incoming
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

// Network models the links between nodes.
type Network struct {
	// Connected, if set, says whether a message of view `view` sent at
	// tick now goes from node from to node to.
	Connected func(from, to int, view, now uint64) bool
	MinDelay  uint64 // ticks, at least 1
	MaxDelay  uint64
	DropP     float64
	DupP      float64
	// Replay, if set, returns extra delays after which a message from node
	// from is delivered again (stale messages from a byzantine node).
	Replay func(from int) []uint64
	// Delay, if set, replaces MinDelay..MaxDelay: the delay in ticks of a
	// message from one node to another (e.g. a slow validator's links).
	Delay func(rng *rand.Rand, from, to int) uint64
	// SeenTicks, if set, models gossipsub's seen-cache: a node drops a
	// message whose bytes it received within SeenTicks ticks.
	SeenTicks uint64
	// StripNonce zeroes every NewView's nonce in transit, so re-sends
	// are byte-identical: a negative control for the seen-cache.
	StripNonce bool
}

// Options configure a simulation.
type Options struct {
	Seed       uint64
	Validators int // number of validator keys (equal power unless Powers)
	Powers     []uint64
	Twins      []int // validator indices run as two nodes
	// BaseTimeoutTicks is the view timeout in ticks before backoff
	// (block time included); MaxBackoffExp caps the backoff (0: 4).
	BaseTimeoutTicks uint64
	MaxBackoffExp    uint64
	// BlockTimeTicks is the producers' pacing: ticks from first seeing the
	// parent to proposing on it (0: propose at once).
	BlockTimeTicks uint64
	// Tick is the simulated duration of a tick (default 50 ms).
	Tick              time.Duration
	Elector           func(set *consensus.ValidatorSet, addrs []types.Address) consensus.LeaderElector
	Network           Network
	UnsafeNoViewCheck bool
	// Followers is how many nodes run a key outside the validator set:
	// they follow by executing proposals and by range sync every
	// FollowTicks ticks (default 20), as Run does every block time.
	Followers   int
	FollowTicks uint64
	// TwinTxs is how many transfers the second copy of each twin holds in
	// its mempool (default 32): the twins then build different blocks for
	// one view, which is equivocation.
	TwinTxs int
	// LosePending: a restarted node finds none of its recorded proposals
	// (a store that lost them), so only the persisted proposal marker
	// keeps a restarted leader from proposing a second block.
	LosePending bool
	// UnsafeNoProposalMarker removes that marker: negative control only.
	UnsafeNoProposalMarker bool
	// NoLeaderLoss: the drivers never report a lost leader, so a view led
	// by a crashed validator waits out its timer (negative control of
	// "Lost leader", driver.Config.UnsafeNoLeaderLost).
	NoLeaderLoss bool
	// Stopped: a crashed node keeps its connections, as a SIGSTOPped
	// process does, so its peers see it only fall silent.
	Stopped bool
}

// Sim is a running simulation.
type Sim struct {
	Nodes []*Node
	Now   uint64
	// Violation is the first safety violation seen, nil if none.
	Violation error
	// Delivered and DeliveredBytes count the messages (and their payload
	// bytes) sent to a node, whether or not it was up to handle them.
	Delivered, DeliveredBytes uint64
	// Finality records, for every block an honest node finalized that was
	// proposed in this run, how long after its proposal it became final.
	Finality []Finality
	// Verifies counts signature checks (votes, timeouts, certificates).
	Verifies uint64

	rng        *rand.Rand
	net        Network
	q          queue
	seq        uint64
	headers    map[types.Hash]types.BlockHeader // every published proposal
	proposedAt map[types.Hash]uint64            // tick of its first publication
	bodies     map[types.Hash][]byte            // their encodings, for RequestBlock
	bodyFrom   map[types.Hash]int               // the node that published each first
	finals     map[uint64]types.Hash            // honest commits by height
	set        *consensus.ValidatorSet
	genesis    *types.Genesis
	addrs      []types.Address
	opts       Options
	ctx        context.Context
	twinTxs    []*types.Transaction
	elector    consensus.LeaderElector
	validator  []types.Validator
}

// Addr returns the address of validator i.
func Addr(i int) types.Address {
	var a types.Address
	a[0] = 0xA0
	a[19] = byte(i + 1)
	a[18] = byte((i + 1) >> 8)
	return a
}

// simEpoch is the simulated wall clock at tick 0, and the genesis time.
var simEpoch = time.Unix(1_700_000_000, 0)

// chainID of the simulated chain.
const chainID = 7

// New builds a simulation.
func New(o Options) (*Sim, error) {
	if o.Tick <= 0 {
		o.Tick = 50 * time.Millisecond
	}
	if o.FollowTicks == 0 {
		o.FollowTicks = 20
	}
	if o.TwinTxs == 0 {
		o.TwinTxs = 32
	}
	if o.Network.MinDelay == 0 {
		o.Network.MinDelay = 1
	}
	o.Network.MaxDelay = max(o.Network.MaxDelay, o.Network.MinDelay)
	addrs := make([]types.Address, o.Validators)
	vals := make([]types.Validator, o.Validators)
	for i := range vals {
		addrs[i] = Addr(i)
		p := uint64(1)
		if o.Powers != nil {
			p = o.Powers[i]
		}
		vals[i] = types.Validator{Address: addrs[i], Stake: p}
	}
	slices.SortFunc(vals, func(a, b types.Validator) int { return bytes.Compare(a.Address[:], b.Address[:]) })
	set, err := consensus.NewValidatorSetFromValidators(vals)
	if err != nil {
		return nil, err
	}
	payer := cryptotest.Key(1)
	g := &types.Genesis{ChainID: chainID, Timestamp: uint64(simEpoch.Unix()), Validators: vals,
		Allocations: []types.GenesisAllocation{{Address: payer.Address(), OramaBalance: 1_000_000 * params.RaysPerOrama}}}
	s := &Sim{rng: rand.New(rand.NewPCG(o.Seed, 0x5eed)), net: o.Network,
		headers: map[types.Hash]types.BlockHeader{}, proposedAt: map[types.Hash]uint64{}, bodies: map[types.Hash][]byte{}, bodyFrom: map[types.Hash]int{}, finals: map[uint64]types.Hash{},
		set: set, genesis: g, addrs: addrs, opts: o, ctx: context.Background(), validator: vals}
	if o.Elector != nil {
		s.elector = o.Elector(set, addrs)
	}
	// Otherwise each driver builds the production leader schedule, which
	// depends on what its node committed.
	if len(o.Twins) > 0 {
		for nonce := range o.TwinTxs {
			s.twinTxs = append(s.twinTxs, transfer(payer, uint64(nonce)))
		}
	}
	twin := map[int]bool{}
	for _, t := range o.Twins {
		twin[t] = true
	}
	for v := range o.Validators {
		if err := s.add(v, !twin[v], nil); err != nil {
			return nil, err
		}
	}
	for _, v := range o.Twins {
		if err := s.add(v, false, s.twinTxs); err != nil {
			return nil, err
		}
	}
	for i := range o.Followers {
		s.addrs = append(s.addrs, Addr(o.Validators+i))
		if err := s.add(o.Validators+i, true, nil); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// transfer is a signed transfer of 1 ray from k to validator 0.
func transfer(k *crypto.PrivateKey, nonce uint64) *types.Transaction {
	tx := &types.Transaction{Type: types.TxTypeTransfer, From: k.Address(), To: Addr(0), Amount: 1, Asset: types.AssetOrama,
		Nonce: nonce, GasLimit: params.GasTransfer, GasTipCap: 1, GasFeeCap: params.MaxBaseFee}
	p, err := tx.SigningPayload()
	if err != nil {
		panic(err)
	}
	if tx.Signature, err = crypto.SignDomain(k, crypto.DomainTransaction, chainID, p); err != nil {
		panic(err)
	}
	return tx
}

// add starts a node running validator v's key.
func (s *Sim) add(v int, honest bool, txs []*types.Transaction) error {
	n := &Node{ID: len(s.Nodes), Validator: v, Addr: s.addrs[v], Honest: honest, Signed: map[signKey]types.Signature{}, seen: map[[32]byte]uint64{}}
	c, err := newMemChain(s, s.genesis)
	if err != nil {
		return err
	}
	c.node, n.Chain = n, c
	head, _ := c.Head()
	n.Pool = mempool.New(mempool.Config{ChainID: chainID, BaseFee: head.Header.BaseFee, Workers: 1}, c)
	c.pool = n.Pool
	for _, err := range n.Pool.Add(txs) {
		if err != nil {
			return fmt.Errorf("sim: twin transactions: %w", err)
		}
	}
	s.Nodes = append(s.Nodes, n)
	return s.boot(n)
}

// boot builds node n's driver over its chain, as a process start does.
func (s *Sim) boot(n *Node) error {
	b0 := n.Chain.blocks[0]
	tick := s.opts.Tick
	bt := time.Duration(s.opts.BlockTimeTicks) * tick
	vt := max(time.Duration(s.opts.BaseTimeoutTicks)*tick-bt, 0)
	pool := driver.Pool(n.Pool)
	if !n.Honest && n.ID >= s.opts.Validators {
		pool = onePerBlock{n.Pool} // the twin's blocks differ by one transfer each
	}
	d, err := driver.New(driver.Config{
		Genesis: b0.Header, Validators: s.validator,
		Signer: FakeSigner{Addr: n.Addr}, Verifier: countingVerifier{&s.Verifies}, Elector: s.elector, Seed: [32]byte{byte(s.opts.Seed)},
		BlockTime: bt, ViewTimeout: vt, TickInterval: tick, MaxBackoffExp: s.opts.MaxBackoffExp, UnsafeNoLeaderLost: s.opts.NoLeaderLoss,
		Clock: simClock{s}, Logger: slog.New(slog.DiscardHandler), UnsafeNoViewCheck: s.opts.UnsafeNoViewCheck,
		UnsafeNoProposalMarker: s.opts.UnsafeNoProposalMarker, Evidence: evidenceOf{n},
	}, n.Chain, pool, &simNet{s: s, id: n.ID})
	if err != nil {
		return err
	}
	n.Driver = d
	n.Stopped = nil
	n.Down = false
	n.seen = map[[32]byte]uint64{} // a new process: an empty seen-cache
	return s.handle(n, func() error { return d.Start(s.ctx) })
}

// Finality is how long one final block took, from its proposal to the
// commit at one honest node: in ticks, and in views of that node.
type Finality struct{ Ticks, Views uint64 }

// countingVerifier is FakeVerifier counting its calls.
type countingVerifier struct{ n *uint64 }

func (v countingVerifier) Verify(d types.SigningDomain, payload []byte, sig types.Signature, addr types.Address) error {
	*v.n++
	return FakeVerifier{}.Verify(d, payload, sig, addr)
}

// onePerBlock offers the producer one transaction per block.
type onePerBlock struct{ *mempool.Pool }

func (p onePerBlock) SelectExcluding(baseFee, gas uint64, _ int, exclude map[types.Hash]bool) ([]*types.Transaction, []types.Hash) {
	return p.Pool.SelectExcluding(baseFee, gas, 1, exclude)
}

// simClock is the simulated wall clock: tick t is simEpoch + t ticks.
type simClock struct{ s *Sim }

func (c simClock) Now() time.Time { return simEpoch.Add(time.Duration(c.s.Now) * c.s.opts.Tick) }

// evidenceOf collects a node's evidence reports.
type evidenceOf struct{ n *Node }

func (e evidenceOf) RecordEvidence(ev *types.Evidence) { e.n.Evidence = append(e.n.Evidence, *ev) }

// Crash stops node id as a SIGKILL does: it handles nothing until Restart,
// and what was not persisted (its driver's memory) is lost then.
func (s *Sim) Crash(id int) { s.Nodes[id].Down = true }

// Inject delivers a message to node to at the next tick, as if a peer had
// relayed it: the attacker's tool (a validator key signing junk).
func (s *Sim) Inject(to int, m driver.Incoming) {
	s.push(&msg{to: to, from: to, m: m, at: s.Now + 1})
}

// Restart replaces node id's driver by one rebuilt from its chain (final
// blocks, persisted safety data, recorded proposals), as a node
// restarting from its store does. Everything else is lost.
func (s *Sim) Restart(id int) error {
	return s.boot(s.Nodes[id])
}

// handle runs fn against node n's driver and records an error that stops
// the node: for an honest node that is a violation.
func (s *Sim) handle(n *Node, fn func() error) error {
	if n.Stopped != nil || n.Down {
		return nil
	}
	err := fn()
	if errors.Is(err, driver.ErrFatal) {
		n.Stopped = err
		s.violate(n, fmt.Errorf("node %d stopped: %w", n.ID, err))
		return nil
	}
	return err
}

func (s *Sim) violate(n *Node, err error) {
	if n.Honest && s.Violation == nil {
		s.Violation = err
	}
}

// committed records an honest node's final block at a height.
func (s *Sim) committed(n *Node, height uint64, h types.Hash) {
	if !n.Honest {
		return
	}
	if old, ok := s.finals[height]; ok && old != h {
		s.violate(n, fmt.Errorf("safety violation: two blocks finalized at height %d (node %d)", height, n.ID))
		return
	}
	s.finals[height] = h
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
		// The messages due now wait in each node's inbound queue, as the
		// network's goroutines leave them; then each node's loop takes
		// them, highest priority first, and its proposal timer fires.
		for s.q.Len() > 0 && s.q[0].at <= s.Now {
			m := heap.Pop(&s.q).(*msg)
			if n := s.Nodes[m.to]; n.Stopped == nil && !n.Down {
				n.Driver.Deliver(m.m)
			}
		}
		for _, n := range s.Nodes {
			for more := true; more && n.Stopped == nil && !n.Down; {
				if err := s.handle(n, func() (err error) { more, err = n.Driver.HandleQueued(s.ctx, 1); return err }); err != nil {
					s.violate(n, fmt.Errorf("node %d: %w", n.ID, err))
				}
				s.proposeIfDue(n)
			}
		}
		for _, n := range s.Nodes {
			if err := s.handle(n, func() error { return n.Driver.Tick(s.ctx) }); err != nil {
				s.violate(n, fmt.Errorf("node %d: %w", n.ID, err))
			}
			s.proposeIfDue(n)
			if s.Now%s.opts.FollowTicks == 0 {
				if err := s.handle(n, func() error { return n.Driver.Follow(s.ctx) }); err != nil {
					s.violate(n, fmt.Errorf("node %d: %w", n.ID, err))
				}
			}
		}
	}
}

// proposeIfDue is the production loop's proposal timer: once node n's
// pending proposal is due by the simulated clock, it is built.
func (s *Sim) proposeIfDue(n *Node) {
	if n.Stopped != nil || n.Down {
		return
	}
	if at, ok := n.Driver.ProposalDue(); ok && !at.After(simClock{s}.Now()) {
		if err := s.handle(n, func() error { return n.Driver.Propose(s.ctx) }); err != nil {
			s.violate(n, fmt.Errorf("node %d: %w", n.ID, err))
		}
	}
}

// MinHonestCommitted is the lowest final height over honest nodes.
func (s *Sim) MinHonestCommitted() uint64 {
	m := ^uint64(0)
	for _, n := range s.Nodes {
		if n.Honest {
			head, _ := n.Chain.Head()
			m = min(m, head.Header.Height)
		}
	}
	return m
}

// MaxHonestView is the highest current view over honest nodes.
func (s *Sim) MaxHonestView() uint64 {
	var m uint64
	for _, n := range s.Nodes {
		if n.Honest {
			m = max(m, n.Driver.View())
		}
	}
	return m
}

func sortBlocks(bs []*types.Block) {
	slices.SortFunc(bs, func(a, b *types.Block) int {
		if a.Header.Height != b.Header.Height {
			if a.Header.Height < b.Header.Height {
				return -1
			}
			return 1
		}
		ha, _ := a.Header.Hash()
		hb, _ := b.Header.Hash()
		return bytes.Compare(ha[:], hb[:])
	})
}
