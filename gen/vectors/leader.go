package vectors

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/oramanetwork/orama-chain/gen/schema"
)

// leaderCase is one leader-schedule case of spec/cases/*.yaml.
type leaderCase struct {
	Name       string `yaml:"name"`
	Seed       string `yaml:"seed"`
	Validators []struct {
		Address string `yaml:"address"`
		Power   uint64 `yaml:"power"`
	} `yaml:"validators"`
	History []leaderBlock `yaml:"history"`
	Views   []uint64      `yaml:"views"`
}

// leaderBlock is one committed block of a case's history. QCView defaults
// to the view before; TimeoutView is the view of the TC it carries, if any.
type leaderBlock struct {
	View        uint64   `yaml:"view"`
	Proposer    string   `yaml:"proposer"`
	Active      []string `yaml:"active"`
	QCView      *uint64  `yaml:"qc_view"`
	TimeoutView *uint64  `yaml:"timeout_view"`
}

// schedule is one case's validator set (sorted by address), seed and
// history, with the leaders computed so far.
type schedule struct {
	addrs       []string // lowercase 0x hex, ascending
	power       []uint64
	seed        []byte
	lag, window uint64
	hist        []leaderBlock // ascending by view, addresses lowercase
	memo        map[uint64]int
}

// member is the index of address a, or -1.
func (s *schedule) member(a string) int {
	for i, m := range s.addrs {
		if m == a {
			return i
		}
	}
	return -1
}

// failed is the view block b shows failed, if any: the view before it,
// when b carries that view's TC and its QC is older.
func failed(b leaderBlock) (uint64, bool) {
	if b.TimeoutView != nil && *b.TimeoutView+1 == b.View && *b.QCView < *b.TimeoutView {
		return *b.TimeoutView, true
	}
	return 0, false
}

// leader is the index of the leader of view v, by recursion on the views
// that failed: a failure's leader is drawn from blocks below its view
// minus lag, so the recursion ends.
func (s *schedule) leader(v uint64) int {
	if l, ok := s.memo[v]; ok {
		return l
	}
	hi := v - min(v, s.lag)
	lo := hi - min(hi, s.window)
	n := len(s.addrs)
	active := make([]bool, n)
	lastFail := make([]int64, n) // view of the last failure, -1 for none
	lastProp := make([]int64, n) // view of the last proposal, -1 for none
	for i := range n {
		lastFail[i], lastProp[i] = -1, -1
	}
	for _, b := range s.hist {
		if b.View < lo || b.View >= hi {
			continue
		}
		for _, a := range b.Active {
			if m := s.member(a); m >= 0 {
				active[m] = true
			}
		}
		if m := s.member(b.Proposer); m >= 0 {
			lastProp[m] = max(lastProp[m], int64(b.View))
		}
		if u, ok := failed(b); ok {
			f := s.leader(u)
			lastFail[f] = max(lastFail[f], int64(u))
		}
	}
	any := false
	for m := range active {
		if lastFail[m] >= 0 && lastProp[m] <= lastFail[m] {
			active[m] = false
		}
		any = any || active[m]
	}
	var total uint64
	for m := range n {
		if !any || active[m] {
			total += s.power[m]
		}
	}
	var buf [40]byte
	copy(buf[:32], s.seed)
	binary.LittleEndian.PutUint64(buf[32:], v)
	sum := sha256.Sum256(buf[:])
	r, _ := bits.Mul64(binary.LittleEndian.Uint64(sum[:8]), total)
	var acc uint64
	l := -1
	for m := range n {
		if any && !active[m] {
			continue
		}
		acc += s.power[m]
		if acc > r {
			l = m
			break
		}
	}
	s.memo[v] = l
	return l
}

// leaderVectors computes each case's leaders from spec/consensus.md,
// "Leader selection", written here again from the text, independently of
// runtime/consensus: recursively, where the node records each failure's
// leader as blocks are committed.
func leaderVectors(sp *schema.Spec, c cases) (file, error) {
	lag, err := constU64(sp, "LeaderReputationLag")
	if err != nil {
		return file{}, err
	}
	window, err := constU64(sp, "LeaderReputationWindow")
	if err != nil {
		return file{}, err
	}
	var out []obj
	for _, lc := range c.LeaderSchedule {
		s, err := newSchedule(lc, lag, window)
		if err != nil {
			return file{}, fmt.Errorf("leader case %s: %w", lc.Name, err)
		}
		vals, hist, queries := []obj{}, []obj{}, []obj{}
		for i, a := range s.addrs {
			vals = append(vals, obj{{"address", a}, {"power", strconv.FormatUint(s.power[i], 10)}})
		}
		for _, b := range s.hist {
			var tv any // JSON null
			if b.TimeoutView != nil {
				tv = strconv.FormatUint(*b.TimeoutView, 10)
			}
			hist = append(hist, obj{{"view", strconv.FormatUint(b.View, 10)}, {"proposer", b.Proposer}, {"active", b.Active},
				{"qc_view", strconv.FormatUint(*b.QCView, 10)}, {"timeout_view", tv}})
		}
		for _, v := range lc.Views {
			queries = append(queries, obj{{"view", strconv.FormatUint(v, 10)}, {"leader", s.addrs[s.leader(v)]}})
		}
		out = append(out, obj{{"name", lc.Name}, {"seed", "0x" + hex.EncodeToString(s.seed)}, {"validators", vals}, {"history", hist}, {"leaders", queries}})
	}
	return file{path: "leader_schedule.json", v: obj{{"kind", "leader_schedule"}, {"lag", strconv.FormatUint(lag, 10)},
		{"window", strconv.FormatUint(window, 10)}, {"cases", out}}, n: len(out)}, nil
}

// newSchedule checks a case and normalizes it: addresses lowercase,
// validators sorted, every block's QC view filled in. History must be
// ascending by view, each proposer among the block's active addresses,
// each QC below its block, and a TC, if any, of a view below the block.
func newSchedule(lc leaderCase, lag, window uint64) (*schedule, error) {
	seed, err := hex.DecodeString(strings.TrimPrefix(lc.Seed, "0x"))
	if err != nil || len(seed) != 32 {
		return nil, fmt.Errorf("seed must be 32 bytes")
	}
	type member struct {
		addr  []byte
		power uint64
	}
	var ms []member
	for _, v := range lc.Validators {
		a, err := hex.DecodeString(strings.TrimPrefix(v.Address, "0x"))
		if err != nil || len(a) != 20 {
			return nil, fmt.Errorf("bad address %s", v.Address)
		}
		ms = append(ms, member{a, v.Power})
	}
	sort.Slice(ms, func(i, j int) bool { return bytes.Compare(ms[i].addr, ms[j].addr) < 0 })
	s := &schedule{seed: seed, lag: lag, window: window, memo: map[uint64]int{}}
	for _, m := range ms {
		s.addrs, s.power = append(s.addrs, "0x"+hex.EncodeToString(m.addr)), append(s.power, m.power)
	}
	for i, b := range lc.History {
		if i > 0 && b.View <= lc.History[i-1].View {
			return nil, fmt.Errorf("history not ascending at view %d", b.View)
		}
		if b.View == 0 {
			return nil, fmt.Errorf("a committed block of view 0")
		}
		b.Proposer = strings.ToLower(b.Proposer)
		act := []string{}
		for _, a := range b.Active {
			act = append(act, strings.ToLower(a))
		}
		b.Active = act
		if !slices.Contains(b.Active, b.Proposer) {
			return nil, fmt.Errorf("view %d: proposer %s not among the active", b.View, b.Proposer)
		}
		if b.QCView == nil {
			q := b.View - 1
			b.QCView = &q
		}
		if *b.QCView >= b.View || b.TimeoutView != nil && *b.TimeoutView >= b.View {
			return nil, fmt.Errorf("view %d: QC or TC not below the block", b.View)
		}
		s.hist = append(s.hist, b)
	}
	return s, nil
}

func constU64(s *schema.Spec, name string) (uint64, error) {
	for _, c := range s.Constants {
		if c.Name == name {
			return strconv.ParseUint(fmt.Sprint(c.Value), 10, 64)
		}
	}
	return 0, fmt.Errorf("no constant %s in spec/params.yaml", name)
}
