// Package state is the global state of spec/state.md on top of runtime/smt:
// accounts (both compartments), the username registry, the chain supply
// record, and the namespace records with each node's namespace slots, each
// at its leaf of one Sparse Merkle Tree.
//
// A State is opened at a root, read and changed by one goroutine (block
// execution), and committed as a new version; readers open their own State
// at a committed root, which is cheap. Changes are kept decoded in memory
// until Commit, so a block's many touches of one account cost one encode.
//
// It must never depend on execution rules, consensus or networking.
package state

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// AccountKey is an account's tree key: its 20-byte address.
func AccountKey(a types.Address) []byte { return a[:] }

// UsernameKey is a username record's tree key: SHA-256("orama/username/" +
// name). Being 32 bytes, it can never equal a 20-byte account key.
func UsernameKey(name string) []byte {
	h := sha256.Sum256([]byte("orama/username/" + name))
	return h[:]
}

var supplyKey = func() []byte { h := sha256.Sum256([]byte("orama/supply")); return h[:] }()

// SupplyKey is the chain supply record's tree key.
func SupplyKey() []byte { return bytes.Clone(supplyKey) }

// NamespaceKey is a namespace record's tree key: SHA-256("orama/ns/" +
// name) (spec/namespaces.md 3.1).
func NamespaceKey(name string) []byte {
	h := sha256.Sum256([]byte("orama/ns/" + name))
	return h[:]
}

// NodeNamespacesKey is the tree key of a node's namespace slots:
// SHA-256("orama/nsnode/" || address), the address as its 20 bytes.
func NodeNamespacesKey(a types.Address) []byte {
	d := sha256.New()
	d.Write([]byte("orama/nsnode/"))
	d.Write(a[:])
	return d.Sum(nil)
}

// State is the global state at one root plus uncommitted changes.
type State struct {
	store     smt.Store
	tree      *smt.Tree
	accounts  map[types.Address]*types.Account
	usernames map[string]types.Address
	supply    *types.ChainSupply
	// namespaces holds staged namespace records by name; nil stages the
	// record's deletion.
	namespaces map[string]*types.NamespaceRecord
	// nodeNS holds staged node slot lists; an empty list stages the leaf's
	// deletion (a node hosting nothing has no leaf).
	nodeNS map[types.Address]*types.NodeNamespaces

	// A read-only State (OpenReadOnly) is shared by concurrent readers and
	// keeps the accounts it decoded: the head state serves every API read
	// until the next block replaces it, cache and all.
	readOnly bool
	cache    sync.Map // types.Address -> types.Account
	cached   atomic.Int64

	// base, when set, answers for the accounts at this State's root:
	// reads of accounts not staged here go to it (the cache of the
	// read-only State this one was forked from, or the Writes of the
	// uncommitted blocks below over it). Commit moves the root, so it drops
	// base.
	base AccountSource

	// heads, on a head state (Next), is the account cache the chain's
	// successive heads share, and version this head's place in it.
	heads   *headCache
	version uint64

	// written holds the accounts the last Commit wrote, in address order.
	written []types.Account
}

// Fork returns a writable State at the same root as the read-only s, whose
// reads of unchanged accounts use s's cache. Block execution forks the head
// state, so the accounts admission just read are not read from the tree
// again.
func (s *State) Fork() (*State, error) {
	if !s.readOnly {
		panic("state: Fork of a writable State")
	}
	// Its own tree: staging and committing must never touch the tree that
	// concurrent readers of s walk.
	f, err := Open(s.store, s.tree.Root())
	if err != nil {
		return nil, err
	}
	f.base = s
	return f, nil
}

// AccountSource answers for the accounts stored at one root. A State reads
// the accounts it has not staged from its source instead of walking its
// tree, so a source must answer exactly what the tree at the State's root
// holds (an empty account with the address for one it does not hold).
type AccountSource interface {
	Account(types.Address) (types.Account, error)
}

// OpenOn returns a writable State at root whose reads of accounts it has
// not staged go to accounts, which must answer for root (AccountSource);
// with accounts nil it reads them from its tree, as Open's does.
// Block execution opens the state of a block's parent this way: the head's
// cached accounts under the Writes of the blocks between the head and the
// parent.
// Options for the tree (smt.WithPageCache) apply to its reads and commit.
func OpenOn(store smt.Store, root types.Hash, accounts AccountSource, opts ...smt.Option) (*State, error) {
	s, err := Open(store, root, opts...)
	if err != nil {
		return nil, err
	}
	s.base = accounts
	return s, nil
}

// Writes is the accounts one block wrote (its State's Written), by address.
type Writes map[types.Address]types.Account

// WritesOf indexes the accounts a Commit wrote.
func WritesOf(written []types.Account) Writes {
	w := make(Writes, len(written))
	for _, acc := range written {
		w[acc.Address] = acc
	}
	return w
}

// Over returns the source of the accounts at the root w's block produced
// on the root below answers for: w's accounts, and below's for the rest.
func (w Writes) Over(below AccountSource) AccountSource { return layer{w, below} }

type layer struct {
	w     Writes
	below AccountSource
}

func (l layer) Account(a types.Address) (types.Account, error) {
	if acc, ok := l.w[a]; ok {
		return acc, nil
	}
	return l.below.Account(a)
}

// maxCachedAccounts bounds a read-only State's cache (about 200 bytes each).
const maxCachedAccounts = 1 << 20

// OpenReadOnly returns the state at root for concurrent readers. It caches
// decoded accounts; any attempt to stage a change on it panics.
func OpenReadOnly(store smt.Store, root types.Hash) (*State, error) {
	s, err := Open(store, root)
	if err != nil {
		return nil, err
	}
	s.readOnly = true
	return s, nil
}

func (s *State) mustBeWritable() {
	if s.readOnly {
		panic("state: change staged on a read-only State")
	}
}

// Open returns the state at root (smt.EmptyRoot for a new chain), its tree
// opened with opts.
func Open(store smt.Store, root types.Hash, opts ...smt.Option) (*State, error) {
	t, err := smt.Open(store, root, opts...)
	if err != nil {
		return nil, fmt.Errorf("state: open %v: %w", root, err)
	}
	return &State{
		store:      store,
		tree:       t,
		accounts:   map[types.Address]*types.Account{},
		usernames:  map[string]types.Address{},
		namespaces: map[string]*types.NamespaceRecord{},
		nodeNS:     map[types.Address]*types.NodeNamespaces{},
	}, nil
}

// Root returns the committed root (changes since the last Commit are not in it).
func (s *State) Root() types.Hash { return s.tree.Root() }

func (s *State) read(key []byte, into interface{ UnmarshalBorsh([]byte) error }) (bool, error) {
	v, err := s.tree.Get(key)
	if errors.Is(err, smt.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := into.UnmarshalBorsh(v); err != nil {
		return false, fmt.Errorf("state: stored value for key %x: %w", key, err)
	}
	return true, nil
}

// Account returns the account at a, or an empty account with Address a.
func (s *State) Account(a types.Address) (types.Account, error) {
	if s.readOnly {
		if v, ok := s.cache.Load(a); ok {
			return v.(types.Account), nil
		}
		if s.heads != nil {
			if acc, ok := s.heads.get(a, s.version); ok {
				return acc, nil
			}
		}
	} else if acc, ok := s.accounts[a]; ok {
		return *acc, nil
	} else if s.base != nil {
		return s.base.Account(a)
	}
	var acc types.Account
	if _, err := s.read(AccountKey(a), &acc); err != nil {
		return types.Account{}, fmt.Errorf("state: account %v: %w", a, err)
	}
	acc.Address = a
	switch {
	case s.heads != nil:
		s.heads.put(a, acc, s.version)
	case s.readOnly && s.cached.Load() < maxCachedAccounts:
		// Account holds slices only in Username (a string): the cached copy
		// shares nothing a caller could modify.
		if _, loaded := s.cache.LoadOrStore(a, acc); !loaded {
			s.cached.Add(1)
		}
	}
	return acc, nil
}

// SetAccount stages acc for the next Commit.
func (s *State) SetAccount(acc types.Account) {
	s.mustBeWritable()
	s.accounts[acc.Address] = &acc
}

// UsernameOwner returns the address that claimed name.
func (s *State) UsernameOwner(name string) (types.Address, bool, error) {
	if a, ok := s.usernames[name]; ok {
		return a, true, nil
	}
	var rec types.UsernameRecord
	ok, err := s.read(UsernameKey(name), &rec)
	if err != nil {
		return types.Address{}, false, fmt.Errorf("state: username %q: %w", name, err)
	}
	return rec.Address, ok, nil
}

// SetUsername stages the reverse-lookup record name -> a.
func (s *State) SetUsername(name string, a types.Address) {
	s.mustBeWritable()
	s.usernames[name] = a
}

// Namespace returns the record of the namespace called name, and false
// when there is none (spec/namespaces.md 3.1). Staged changes are seen.
func (s *State) Namespace(name string) (types.NamespaceRecord, bool, error) {
	if r, ok := s.namespaces[name]; ok {
		if r == nil {
			return types.NamespaceRecord{}, false, nil
		}
		return cloneNamespace(r), true, nil
	}
	var rec types.NamespaceRecord
	ok, err := s.read(NamespaceKey(name), &rec)
	if err != nil {
		return types.NamespaceRecord{}, false, fmt.Errorf("state: namespace %q: %w", name, err)
	}
	return rec, ok, nil
}

// SetNamespace stages rec as the record of the namespace rec.Name.
func (s *State) SetNamespace(rec types.NamespaceRecord) {
	s.mustBeWritable()
	c := cloneNamespace(&rec)
	s.namespaces[rec.Name] = &c
}

// DeleteNamespace stages the removal of the namespace called name.
func (s *State) DeleteNamespace(name string) {
	s.mustBeWritable()
	s.namespaces[name] = nil
}

func cloneNamespace(r *types.NamespaceRecord) types.NamespaceRecord {
	c := *r
	c.Nodes = slices.Clone(r.Nodes)
	if c.Nodes == nil {
		c.Nodes = []types.NamespaceNode{}
	}
	return c
}

// NodeNamespaces returns the slots node a has taken, ascending; a node
// hosting nothing has none (and no leaf). Staged changes are seen.
func (s *State) NodeNamespaces(a types.Address) (types.NodeNamespaces, error) {
	if n, ok := s.nodeNS[a]; ok {
		return types.NodeNamespaces{Slots: slices.Clone(n.Slots)}, nil
	}
	var n types.NodeNamespaces
	if _, err := s.read(NodeNamespacesKey(a), &n); err != nil {
		return types.NodeNamespaces{}, fmt.Errorf("state: namespaces of node %v: %w", a, err)
	}
	if n.Slots == nil {
		n.Slots = []types.NamespaceSlot{}
	}
	return n, nil
}

// SetNodeNamespaces stages node a's slots (kept in the order given, which
// must be ascending by slot); no slots stages the removal of its leaf.
func (s *State) SetNodeNamespaces(a types.Address, n types.NodeNamespaces) {
	s.mustBeWritable()
	s.nodeNS[a] = &types.NodeNamespaces{Slots: slices.Clone(n.Slots)}
}

// Supply returns the chain supply record.
func (s *State) Supply() (types.ChainSupply, error) {
	if s.supply != nil {
		return *s.supply, nil
	}
	var sup types.ChainSupply
	if _, err := s.read(supplyKey, &sup); err != nil {
		return sup, fmt.Errorf("state: supply: %w", err)
	}
	return sup, nil
}

// SetSupply stages the supply record.
func (s *State) SetSupply(sup types.ChainSupply) {
	s.mustBeWritable()
	s.supply = &sup
}

// Commit writes every staged change as version and returns the new root.
// Keys are staged in sorted order so the writes are deterministic too (the
// root would be the same in any order).
func (s *State) Commit(version uint64) (types.Hash, error) {
	addrs := make([]types.Address, 0, len(s.accounts))
	for a := range s.accounts {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(x, y types.Address) int { return bytes.Compare(x[:], y[:]) })
	s.written = slices.Grow(s.written[:0], len(addrs))
	for _, a := range addrs {
		s.written = append(s.written, *s.accounts[a])
		v, err := s.accounts[a].MarshalBorsh()
		if err != nil {
			return types.Hash{}, fmt.Errorf("state: encode account %v: %w", a, err)
		}
		if err := s.tree.Update(AccountKey(a), v); err != nil {
			return types.Hash{}, err
		}
	}
	names := make([]string, 0, len(s.usernames))
	for n := range s.usernames {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		rec := types.UsernameRecord{Address: s.usernames[n]}
		v, _ := rec.MarshalBorsh()
		if err := s.tree.Update(UsernameKey(n), v); err != nil {
			return types.Hash{}, err
		}
	}
	if s.supply != nil {
		v, _ := s.supply.MarshalBorsh()
		if err := s.tree.Update(supplyKey, v); err != nil {
			return types.Hash{}, err
		}
	}
	nsNames := make([]string, 0, len(s.namespaces))
	for n := range s.namespaces {
		nsNames = append(nsNames, n)
	}
	slices.Sort(nsNames)
	for _, n := range nsNames {
		var err error
		if rec := s.namespaces[n]; rec == nil {
			err = s.tree.Delete(NamespaceKey(n))
		} else {
			v, merr := rec.MarshalBorsh()
			if merr != nil {
				return types.Hash{}, fmt.Errorf("state: encode namespace %q: %w", n, merr)
			}
			err = s.tree.Update(NamespaceKey(n), v)
		}
		if err != nil {
			return types.Hash{}, err
		}
	}
	nodes := make([]types.Address, 0, len(s.nodeNS))
	for a := range s.nodeNS {
		nodes = append(nodes, a)
	}
	slices.SortFunc(nodes, func(x, y types.Address) int { return bytes.Compare(x[:], y[:]) })
	for _, a := range nodes {
		var err error
		if nn := s.nodeNS[a]; len(nn.Slots) == 0 {
			err = s.tree.Delete(NodeNamespacesKey(a))
		} else {
			v, merr := nn.MarshalBorsh()
			if merr != nil {
				return types.Hash{}, fmt.Errorf("state: encode namespaces of node %v: %w", a, merr)
			}
			err = s.tree.Update(NodeNamespacesKey(a), v)
		}
		if err != nil {
			return types.Hash{}, err
		}
	}
	root, err := s.tree.Commit(version)
	if err != nil {
		s.tree.Discard()
		return types.Hash{}, fmt.Errorf("state: commit version %d: %w", version, err)
	}
	clear(s.accounts)
	clear(s.usernames)
	clear(s.namespaces)
	clear(s.nodeNS)
	s.supply = nil
	s.base = nil
	return root, nil
}

// Written returns the accounts the last Commit wrote, in address order:
// exactly the values stored at the new root.
func (s *State) Written() []types.Account { return s.written }

// OpenHead returns the read-only State at root, a chain's head, with an
// account cache its successors (Next) share.
func OpenHead(store smt.Store, root types.Hash) (*State, error) {
	s, err := OpenReadOnly(store, root)
	if err != nil {
		return nil, err
	}
	s.heads = newHeadCache(0)
	return s, nil
}

// Next returns the read-only State at root, the head one block after s
// whose Commit wrote written. The two share one account cache (a chain's
// heads all do, from the one OpenHead returned): most of a block's reads
// are of accounts recent blocks read or wrote, and a new head must not
// walk the tree for them again.
func (s *State) Next(root types.Hash, written []types.Account) (*State, error) {
	if s.heads == nil {
		panic("state: Next of a State OpenHead did not return")
	}
	n, err := OpenReadOnly(s.store, root)
	if err != nil {
		return nil, err
	}
	n.heads, n.version = s.heads, s.version+1
	n.heads.advance(n.version, written)
	return n, nil
}

// headCache holds accounts for the successive heads of one chain, each
// with the version (head number) from which it holds: an entry (acc, from)
// is the account at every head from version from to the newest, because
// every head's writes replace their entries before that head is the
// newest (advance). A head at version v therefore uses an entry only when
// from <= v, and a value read from the tree enters only when it was read
// at the newest head; nothing else is ever inserted, so dropping entries
// (when the cache is full) costs reads, never correctness.
type headCache struct {
	mu      sync.RWMutex
	newest  uint64
	max     int
	entries map[types.Address]headEntry
}

type headEntry struct {
	acc  types.Account
	from uint64
}

func newHeadCache(newest uint64) *headCache {
	return &headCache{newest: newest, max: maxCachedAccounts, entries: map[types.Address]headEntry{}}
}

func (c *headCache) get(a types.Address, version uint64) (types.Account, bool) {
	c.mu.RLock()
	e, ok := c.entries[a]
	c.mu.RUnlock()
	if !ok || e.from > version {
		return types.Account{}, false
	}
	return e.acc, true
}

// put records acc, read from the tree at version, if that is the newest.
func (c *headCache) put(a types.Address, acc types.Account, version uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.newest || len(c.entries) >= c.max {
		return
	}
	if _, ok := c.entries[a]; !ok {
		c.entries[a] = headEntry{acc, version}
	}
}

// advance makes version, whose block wrote written, the newest head.
func (c *headCache) advance(version uint64, written []types.Account) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries)+len(written) > c.max {
		clear(c.entries)
	}
	for _, acc := range written {
		c.entries[acc.Address] = headEntry{acc, version}
	}
	c.newest = version
}

// Discard drops every staged change.
func (s *State) Discard() {
	s.tree.Discard()
	clear(s.accounts)
	clear(s.usernames)
	clear(s.namespaces)
	clear(s.nodeNS)
	s.supply = nil
}

// ProveAccount returns the committed account at a and a proof of it against
// Root: an inclusion proof, or a non-existence proof when the account has no
// leaf (then the account returned is empty, with Address a).
func (s *State) ProveAccount(a types.Address) (types.Account, bool, smt.Proof, error) {
	p, err := s.tree.Prove(AccountKey(a))
	if err != nil {
		return types.Account{}, false, smt.Proof{}, fmt.Errorf("state: prove %v: %w", a, err)
	}
	var acc types.Account
	v, err := s.tree.Get(AccountKey(a))
	switch {
	case errors.Is(err, smt.ErrNotFound):
		acc.Address = a
		return acc, false, p, nil
	case err != nil:
		return types.Account{}, false, smt.Proof{}, err
	}
	if err := acc.UnmarshalBorsh(v); err != nil {
		return types.Account{}, false, smt.Proof{}, err
	}
	return acc, true, p, nil
}
