package ns

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// Flat key layout of the key-value store (storage only: no hash depends on
// it; the trees' own keys are in spec/namespaces.md 5.1).
//
//	"m"                              -> Borsh NamespaceMeta
//	"h"                              -> head: u64 position | entry hash | root | sub-roots
//	"a" | address                    -> Borsh NsAccount
//	"u"                              -> Borsh NsSupply
//	"o" | contract | key             -> contract state value
//	"c" | key                        -> Borsh CacheValue
//	"x" | u64be(expires) | key       -> ""  (expiry index of cache entries with expires != 0)
//	"b" | cid                        -> u64le size
//	"k" | code hash                  -> module bytes
//	"d" | source                     -> ""  (deposit sources credited)
//	"r" | u32be(len table) | table | u64be(rowid^sign) -> ""  (SQL row leaves, Tier 1)
//	"q" | name                       -> Borsh SchemaRow (SQL schema leaves, Tier 1)
//	't' ... the SMT trees (smt key layout, one WithNamespace per tree)
const (
	kMeta     = 'm'
	kHead     = 'h'
	kAccount  = 'a'
	kSupply   = 'u'
	kState    = 'o' // not 'n' or 's': the SMT's node and stale-record prefixes
	kCache    = 'c'
	kExpiry   = 'x'
	kBlob     = 'b'
	kCode     = 'k'
	kDeposit  = 'd'
	kRowIndex = 'r'
	kSchema   = 'q'
)

func key(prefix byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, prefix)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func u64be(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func u64le(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// Top-tree keys of spec/namespaces.md 5.1.
var (
	topMeta   = []byte("orama/ns/meta")
	topSupply = []byte("orama/ns/supply")
	topSQL    = []byte("orama/ns/sql")
	topCache  = []byte("orama/ns/cache")
	topBlobs  = []byte("orama/ns/blobs")
)

// Tree namespaces in the key-value store (storage only).
var (
	treeTop   = []byte("top")
	treeSQL   = []byte("sql")
	treeCache = []byte("cache")
	treeBlobs = []byte("blobs")
)

func treeStorage(contract types.Address) []byte { return append([]byte("st"), contract[:]...) }

// head is what the store has applied: the last entry's position, hash and
// root, and the sub-roots the root is built from.
type head struct {
	Position uint64
	Hash     types.Hash // entry hash; the genesis hash at position 0
	Root     types.Hash
	SQL      types.Hash
	Cache    types.Hash
	Blobs    types.Hash
}

func (h head) encode() []byte {
	b := u64le(h.Position)
	for _, x := range []types.Hash{h.Hash, h.Root, h.SQL, h.Cache, h.Blobs} {
		b = append(b, x[:]...)
	}
	return b
}

func decodeHead(b []byte) (head, error) {
	if len(b) != 8+5*32 {
		return head{}, fmt.Errorf("ns: head record of %d bytes", len(b))
	}
	h := head{Position: binary.LittleEndian.Uint64(b)}
	for i, x := range []*types.Hash{&h.Hash, &h.Root, &h.SQL, &h.Cache, &h.Blobs} {
		copy(x[:], b[8+32*i:])
	}
	return h, nil
}

// reader is a view of the namespace's flat state: the store, or an overlay
// of pending writes over another reader.
type reader interface {
	account(a types.Address) (types.NsAccount, bool, error)
	supply() (types.NsSupply, error)
	state(c types.Address, k []byte) ([]byte, bool, error)
	cache(k []byte) (types.CacheValue, bool, error)
	blob(cid []byte) (bool, error)
	code(h types.Hash) ([]byte, bool, error)
	deposit(src types.Hash) (bool, error)
	// expired lists the first n cache entries (in (expires, key) order)
	// whose 0 < expires <= ts.
	expired(ts uint64, n int) ([]expiredKey, error)
	// raw and rawKeys read the flat index keys ("r", "q") directly.
	raw(k []byte) ([]byte, bool, error)
	rawKeys(prefix []byte) ([][]byte, error)
}

// base reads the committed flat state from the store.
type base struct{ kv smt.Store }

func (b base) get(k []byte) ([]byte, bool, error) {
	v, ok, err := b.kv.Get(k)
	if err != nil {
		return nil, false, fmt.Errorf("ns: store: %w", err)
	}
	return v, ok, nil
}

func (b base) account(a types.Address) (types.NsAccount, bool, error) {
	var acc types.NsAccount
	v, ok, err := b.get(key(kAccount, a[:]))
	if err != nil || !ok {
		return acc, ok, err
	}
	if err := acc.UnmarshalBorsh(v); err != nil {
		return acc, false, fmt.Errorf("ns: account %x: %w", a, err)
	}
	return acc, true, nil
}

func (b base) supply() (types.NsSupply, error) {
	var s types.NsSupply
	v, ok, err := b.get([]byte{kSupply})
	if err != nil || !ok {
		return s, err
	}
	if err := s.UnmarshalBorsh(v); err != nil {
		return s, fmt.Errorf("ns: supply: %w", err)
	}
	return s, nil
}

func (b base) state(c types.Address, k []byte) ([]byte, bool, error) {
	return b.get(key(kState, c[:], k))
}

func (b base) cache(k []byte) (types.CacheValue, bool, error) {
	var cv types.CacheValue
	v, ok, err := b.get(key(kCache, k))
	if err != nil || !ok {
		return cv, ok, err
	}
	if err := cv.UnmarshalBorsh(v); err != nil {
		return cv, false, fmt.Errorf("ns: cache entry: %w", err)
	}
	return cv, true, nil
}

func (b base) blob(cid []byte) (bool, error) {
	_, ok, err := b.get(key(kBlob, cid))
	return ok, err
}

func (b base) code(h types.Hash) ([]byte, bool, error) { return b.get(key(kCode, h[:])) }

func (b base) deposit(src types.Hash) (bool, error) {
	_, ok, err := b.get(key(kDeposit, src[:]))
	return ok, err
}

func (b base) expired(ts uint64, n int) ([]expiredKey, error) {
	var out []expiredKey
	if n <= 0 {
		return nil, nil
	}
	err := b.kv.Scan([]byte{kExpiry}, func(k, _ []byte) (bool, error) {
		if len(k) < 9 {
			return false, fmt.Errorf("ns: expiry index key of %d bytes", len(k))
		}
		at := binary.BigEndian.Uint64(k[1:9])
		if at > ts {
			return false, nil
		}
		out = append(out, expiredKey{at: at, key: bytes.Clone(k[9:])})
		return len(out) < n, nil
	})
	if err != nil {
		return nil, fmt.Errorf("ns: store: %w", err)
	}
	return out, nil
}

// expiredKey is a cache entry that expired: when, and its key.
type expiredKey struct {
	at  uint64
	key []byte
}

// sortExpired orders by (expires, key), the order expired entries leave in.
func sortExpired(ks []expiredKey) {
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].at != ks[j].at {
			return ks[i].at < ks[j].at
		}
		return bytes.Compare(ks[i].key, ks[j].key) < 0
	})
}

func (b base) raw(k []byte) ([]byte, bool, error) { return b.get(k) }

func (b base) rawKeys(prefix []byte) ([][]byte, error) {
	var out [][]byte
	err := b.kv.Scan(prefix, func(k, _ []byte) (bool, error) {
		out = append(out, bytes.Clone(k))
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("ns: store: %w", err)
	}
	return out, nil
}

func sortKeys(ks [][]byte) {
	sort.Slice(ks, func(i, j int) bool { return bytes.Compare(ks[i], ks[j]) < 0 })
}

// overlay is a set of pending writes over a parent reader: an entry's over
// its batch's, a batch's over the store. A nil pointer value is a delete.
type overlay struct {
	parent   reader
	accounts map[types.Address]types.NsAccount
	sup      *types.NsSupply
	st       map[string]*[]byte // contract | key
	ch       map[string]*types.CacheValue
	blobs    map[string][]byte // cid -> data
	codes    map[types.Hash][]byte
	deps     map[types.Hash]bool
	raws     map[string]*[]byte
}

func newOverlay(parent reader) *overlay {
	return &overlay{
		parent:   parent,
		accounts: map[types.Address]types.NsAccount{},
		st:       map[string]*[]byte{},
		ch:       map[string]*types.CacheValue{},
		blobs:    map[string][]byte{},
		codes:    map[types.Hash][]byte{},
		deps:     map[types.Hash]bool{},
		raws:     map[string]*[]byte{},
	}
}

func stKey(c types.Address, k []byte) string { return string(c[:]) + string(k) }

func (o *overlay) account(a types.Address) (types.NsAccount, bool, error) {
	if acc, ok := o.accounts[a]; ok {
		return acc, true, nil
	}
	return o.parent.account(a)
}

func (o *overlay) supply() (types.NsSupply, error) {
	if o.sup != nil {
		return *o.sup, nil
	}
	return o.parent.supply()
}

func (o *overlay) state(c types.Address, k []byte) ([]byte, bool, error) {
	if v, ok := o.st[stKey(c, k)]; ok {
		if v == nil {
			return nil, false, nil
		}
		return *v, true, nil
	}
	return o.parent.state(c, k)
}

func (o *overlay) cache(k []byte) (types.CacheValue, bool, error) {
	if v, ok := o.ch[string(k)]; ok {
		if v == nil {
			return types.CacheValue{}, false, nil
		}
		return *v, true, nil
	}
	return o.parent.cache(k)
}

func (o *overlay) blob(cid []byte) (bool, error) {
	if _, ok := o.blobs[string(cid)]; ok {
		return true, nil
	}
	return o.parent.blob(cid)
}

func (o *overlay) code(h types.Hash) ([]byte, bool, error) {
	if c, ok := o.codes[h]; ok {
		return c, true, nil
	}
	return o.parent.code(h)
}

func (o *overlay) deposit(src types.Hash) (bool, error) {
	if o.deps[src] {
		return true, nil
	}
	return o.parent.deposit(src)
}

func (o *overlay) expired(ts uint64, n int) ([]expiredKey, error) {
	// This overlay shadows at most len(o.ch) of the parent's entries, so
	// the parent's first n + len(o.ch) hold the first n it does not shadow.
	below, err := o.parent.expired(ts, n+len(o.ch))
	if err != nil {
		return nil, err
	}
	var out []expiredKey
	for _, e := range below {
		if _, mine := o.ch[string(e.key)]; mine {
			continue // judged by this overlay's own value below
		}
		out = append(out, e)
	}
	for k, v := range o.ch {
		if v != nil && v.Expires != 0 && v.Expires <= ts {
			out = append(out, expiredKey{at: v.Expires, key: []byte(k)})
		}
	}
	sortExpired(out)
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

func (o *overlay) raw(k []byte) ([]byte, bool, error) {
	if v, ok := o.raws[string(k)]; ok {
		if v == nil {
			return nil, false, nil
		}
		return *v, true, nil
	}
	return o.parent.raw(k)
}

func (o *overlay) rawKeys(prefix []byte) ([][]byte, error) {
	below, err := o.parent.rawKeys(prefix)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, k := range below {
		if _, mine := o.raws[string(k)]; !mine {
			out = append(out, k)
		}
	}
	for k, v := range o.raws {
		if v != nil && bytes.HasPrefix([]byte(k), prefix) {
			out = append(out, []byte(k))
		}
	}
	sortKeys(out)
	return out, nil
}

func (o *overlay) setRaw(k, v []byte) { v = clone(v); o.raws[string(k)] = &v }
func (o *overlay) delRaw(k []byte)    { o.raws[string(k)] = nil }

// mergeInto moves o's writes into its parent overlay.
func (o *overlay) mergeInto(p *overlay) {
	for a, acc := range o.accounts {
		p.accounts[a] = acc
	}
	if o.sup != nil {
		s := *o.sup
		p.sup = &s
	}
	for k, v := range o.st {
		p.st[k] = v
	}
	for k, v := range o.ch {
		p.ch[k] = v
	}
	for k, v := range o.blobs {
		p.blobs[k] = v
	}
	for k, v := range o.codes {
		p.codes[k] = v
	}
	for k := range o.deps {
		p.deps[k] = true
	}
	for k, v := range o.raws {
		p.raws[k] = v
	}
}

// flush writes o's writes into a store batch (o's parent must be the
// store's base reader).
func (o *overlay) flush(b smt.Batch) error {
	var errs []error
	put := func(k, v []byte) { errs = append(errs, b.Set(k, v)) }
	del := func(k []byte) { errs = append(errs, b.Delete(k)) }
	for a, acc := range o.accounts {
		v, err := acc.MarshalBorsh()
		errs = append(errs, err)
		put(key(kAccount, a[:]), v)
	}
	if o.sup != nil {
		v, err := o.sup.MarshalBorsh()
		errs = append(errs, err)
		put([]byte{kSupply}, v)
	}
	for k, v := range o.st {
		if v == nil {
			del(key(kState, []byte(k)))
		} else {
			put(key(kState, []byte(k)), *v)
		}
	}
	for k, v := range o.ch {
		old, had, err := o.parent.cache([]byte(k))
		errs = append(errs, err)
		if had && old.Expires != 0 {
			del(key(kExpiry, u64be(old.Expires), []byte(k)))
		}
		if v == nil {
			del(key(kCache, []byte(k)))
			continue
		}
		enc, err := v.MarshalBorsh()
		errs = append(errs, err)
		put(key(kCache, []byte(k)), enc)
		if v.Expires != 0 {
			put(key(kExpiry, u64be(v.Expires), []byte(k)), []byte{})
		}
	}
	for cid, data := range o.blobs {
		put(key(kBlob, []byte(cid)), u64le(uint64(len(data))))
	}
	for h, c := range o.codes {
		put(key(kCode, h[:]), c)
	}
	for src := range o.deps {
		put(key(kDeposit, src[:]), []byte{})
	}
	for k, v := range o.raws {
		if v == nil {
			del([]byte(k))
		} else {
			put([]byte(k), *v)
		}
	}
	return errors.Join(errs...)
}

// bufStore holds the tree nodes a batch's commits write until the batch is
// appended to the log: trees are committed after every entry (each entry
// has its root), but nothing reaches the store before the batch's log
// append succeeds, and a failed batch is dropped by forgetting the buffer.
type bufStore struct {
	under smt.Store
	mu    sync.RWMutex      // the subtrees of an entry commit concurrently
	pend  map[string][]byte // nil value: delete
}

func newBufStore(under smt.Store) *bufStore {
	return &bufStore{under: under, pend: map[string][]byte{}}
}

func (s *bufStore) Get(k []byte) ([]byte, bool, error) {
	s.mu.RLock()
	v, ok := s.pend[string(k)]
	s.mu.RUnlock()
	if ok {
		return v, v != nil, nil
	}
	return s.under.Get(k)
}

// Scan sees only what is in the store below: the trees never scan.
func (s *bufStore) Scan(prefix []byte, fn func(k, v []byte) (bool, error)) error {
	return s.under.Scan(prefix, fn)
}

func (s *bufStore) NewBatch() smt.Batch { return &bufBatch{s: s, ops: map[string][]byte{}} }

// flush moves the buffered writes into a batch of the store below.
func (s *bufStore) flush(b smt.Batch) error {
	var errs []error
	for k, v := range s.pend {
		if v == nil {
			errs = append(errs, b.Delete([]byte(k)))
		} else {
			errs = append(errs, b.Set([]byte(k), v))
		}
	}
	s.pend = map[string][]byte{}
	return errors.Join(errs...)
}

func (s *bufStore) discard() { s.pend = map[string][]byte{} }

type bufBatch struct {
	s   *bufStore
	ops map[string][]byte
}

func (b *bufBatch) Set(k, v []byte) error { b.ops[string(k)] = v; return nil }
func (b *bufBatch) Delete(k []byte) error { b.ops[string(k)] = nil; return nil }
func (b *bufBatch) Discard()              { b.ops = nil }
func (b *bufBatch) Write() error {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	for k, v := range b.ops {
		b.s.pend[k] = v
	}
	b.ops = nil
	return nil
}
