package mempool

import (
	"container/heap"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// MaxTxBytes is the largest encoded transaction the pool admits: the
// largest payload plus 1 KiB for the fixed fields.
const MaxTxBytes = params.MaxTxDataBytes + 1024

// Defaults for the zero fields of Config.
const (
	DefaultMaxTxs           = 100_000
	DefaultMaxBytes         = 64 << 20
	DefaultPriceBumpPercent = 10
	DefaultMaxTxsPerSender  = 64
)

// State is what admission reads: committed account state. It must be safe
// for concurrent use; the pool reads it from several goroutines, some of
// them without holding its lock.
type State interface {
	// Account returns the account at addr; a zero Account (Address set)
	// when absent.
	Account(addr types.Address) (types.Account, error)
	// UsernameOwner returns the address that claimed name, if any.
	UsernameOwner(name string) (types.Address, bool, error)
}

// Config bounds and parameterises a Pool. A zero field takes its default.
type Config struct {
	// ChainID is the chain id signatures must be made under.
	ChainID uint64
	// MaxTxs bounds the number of pooled transactions (DefaultMaxTxs).
	MaxTxs int
	// MaxBytes bounds the sum of the pooled transactions' encoded sizes
	// (DefaultMaxBytes).
	MaxBytes int
	// PriceBumpPercent is how much higher a replacement's tip cap and fee
	// cap must both be (DefaultPriceBumpPercent).
	PriceBumpPercent uint64
	// Workers is the number of goroutines verifying signatures
	// (runtime.GOMAXPROCS(0): every core the process may use).
	Workers int
	// MaxTxsPerSender bounds how far ahead of its account nonce a sender may
	// queue, and so how many transactions it can hold in the pool
	// (DefaultMaxTxsPerSender).
	MaxTxsPerSender int
	// BaseFee is the base fee eviction prices transactions at until the
	// first SetBaseFee (params.InitialBaseFee).
	BaseFee uint64
	// Included reports whether a committed block holds the transaction
	// with hash h (the node's index). Admission asks it only for a
	// correctly signed transaction that a state rule refused (a used
	// nonce, a username, the balance), the only refusals an included
	// transaction can meet, to answer ErrAlreadyKnown instead. nil: only
	// pooled hashes are known.
	Included func(h types.Hash) (bool, error)
}

func (c Config) withDefaults() Config {
	if c.MaxTxs <= 0 {
		c.MaxTxs = DefaultMaxTxs
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.PriceBumpPercent == 0 {
		c.PriceBumpPercent = DefaultPriceBumpPercent
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.MaxTxsPerSender <= 0 {
		c.MaxTxsPerSender = DefaultMaxTxsPerSender
	}
	if c.BaseFee == 0 {
		c.BaseFee = params.InitialBaseFee
	}
	return c
}

// Pool is a bounded, ordered set of valid pending transactions. It is safe
// for concurrent use. The transactions it holds and returns are shared:
// callers must not modify a transaction after adding it or after getting it
// back.
type Pool struct {
	cfg   Config
	state State

	// epoch counts Updates. An account read outside the lock is used only
	// if no Update began since it was read.
	epoch atomic.Uint64
	// updateMu serialises Updates, which release mu while reading state.
	updateMu sync.Mutex

	mu      sync.RWMutex
	all     map[types.Hash]*entry
	senders map[types.Address]*sender
	claims  map[string]*entry // pooled ClaimUsername transactions by name
	tails   tailHeap          // senders by the price of their highest-nonce transaction
	bytes   int
	baseFee uint64
	// admitted numbers admissions, so that Select serves equal tips in
	// the order the pool took them.
	admitted uint64
}

// entry is a pooled transaction with what admission computed about it.
type entry struct {
	tx   *types.Transaction
	hash types.Hash
	size int    // encoded bytes
	gas  uint64 // the gas limit: the block gas it reserves
	cost uint64 // txrules.MaxCost, in rays
	btc  uint64 // the amount of a BTC transfer, in satoshis; else 0
	// claim is the username a ClaimUsername claims; else empty.
	claim string
	// seq is when the pool took it (Pool.admitted then).
	seq uint64
}

// New returns an empty pool reading committed state from st.
func New(cfg Config, st State) *Pool {
	cfg = cfg.withDefaults()
	p := &Pool{
		cfg:     cfg,
		state:   st,
		all:     make(map[types.Hash]*entry),
		senders: make(map[types.Address]*sender),
		claims:  make(map[string]*entry),
		baseFee: cfg.BaseFee,
	}
	p.tails.baseFee = &p.baseFee
	return p
}

// Config returns the pool's configuration, defaults applied.
func (p *Pool) Config() Config { return p.cfg }

// Get returns the pooled transaction with hash h.
func (p *Pool) Get(h types.Hash) (*types.Transaction, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e, ok := p.all[h]
	if !ok {
		return nil, false
	}
	return e.tx, true
}

// Len returns the number of pooled transactions.
func (p *Pool) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.all)
}

// Bytes returns the sum of the pooled transactions' encoded sizes.
func (p *Pool) Bytes() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.bytes
}

// SetBaseFee sets the base fee eviction prices transactions at: call it
// after each commit with the next block's base fee. It changes which
// transaction is evicted first, never what is admitted.
func (p *Pool) SetBaseFee(baseFee uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if baseFee != p.baseFee {
		p.baseFee = baseFee
		heap.Init(&p.tails)
	}
}

// candidate is a transaction that passed every check that needs no lock.
type candidate struct {
	e        *entry
	acct     types.Account // read outside the lock when the sender was not pooled
	haveAcct bool
	epoch    uint64 // p.epoch before acct was read
}

// Add admits a batch of transactions (from the REST API or gossip) and
// returns one error per transaction, nil when it was admitted. Signatures
// are verified in parallel before the pool lock is taken; the transactions
// are then admitted in order, so a later one may depend on an earlier one
// (a sender's next nonce) or replace it.
func (p *Pool) Add(txs []*types.Transaction) []error {
	errs := make([]error, len(txs))
	cands := make([]candidate, len(txs))
	// Admission is background work: its workers yield between signature
	// checks so the block producer and consensus are not held behind them.
	parallel(len(txs), p.cfg.Workers, true, func(i int) {
		errs[i] = p.prepare(txs[i], nil, &cands[i])
	})
	p.admitAll(cands, errs)
	for i := range errs {
		if e := cands[i].e; e != nil {
			errs[i] = p.knownInChain(e.hash, errs[i])
		}
	}
	return errs
}

// AddRaw decodes one encoded transaction strictly and admits it. It returns
// the transaction's hash whenever the bytes decode, so a caller can tell
// which transaction ErrAlreadyKnown refers to.
func (p *Pool) AddRaw(b []byte) (types.Hash, error) {
	if len(b) > MaxTxBytes {
		return types.Hash{}, fmt.Errorf("mempool: %d bytes, max %d: %w", len(b), MaxTxBytes, ErrTooLarge)
	}
	tx := new(types.Transaction)
	if err := tx.UnmarshalBorsh(b); err != nil {
		return types.Hash{}, fmt.Errorf("mempool: %w: %w", ErrMalformed, err)
	}
	var c candidate
	errs := []error{p.prepare(tx, b, &c)}
	if c.e == nil {
		// Rejected before hashing; strict decoding makes b the encoding.
		return sha256.Sum256(b), errs[0]
	}
	p.admitAll([]candidate{c}, errs)
	return c.e.hash, p.knownInChain(c.e.hash, errs[0])
}

// knownInChain turns a refusal into ErrAlreadyKnown when a block holds the
// very transaction (hash h), so that resending an included transaction is
// answered the same way every time. Every included transaction used its
// nonce, so a resent one meets a state rule after its signature checked
// out: only those refusals are looked up, never junk an attacker can send
// for free. It runs without the pool lock.
func (p *Pool) knownInChain(h types.Hash, err error) error {
	if err == nil || p.cfg.Included == nil {
		return err
	}
	if !errors.Is(err, ErrNonceTooLow) && !errors.Is(err, ErrUsernameTaken) &&
		!errors.Is(err, ErrUsernameAlreadySet) && !errors.Is(err, ErrInsufficientBalance) {
		return err
	}
	if in, lerr := p.cfg.Included(h); lerr == nil && in {
		return fmt.Errorf("mempool: %v is in a block: %w", h, ErrAlreadyKnown)
	}
	return err
}

func (p *Pool) admitAll(cands []candidate, errs []error) {
	if !slices.Contains(errs, nil) {
		return // nothing passed the lock-free checks: skip the lock
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range cands {
		if errs[i] == nil {
			errs[i] = p.admit(&cands[i])
		}
	}
}

// prepare applies every check that needs no lock, cheapest first, and fills
// c. enc is tx's encoding when the caller has it, else nil. It runs
// concurrently with other prepares and with pool operations.
func (p *Pool) prepare(tx *types.Transaction, enc []byte, c *candidate) error {
	if tx == nil {
		return fmt.Errorf("mempool: nil transaction: %w", ErrMalformed)
	}
	if n := tx.BorshSize(); n > MaxTxBytes {
		return fmt.Errorf("mempool: %d bytes, max %d: %w", n, MaxTxBytes, ErrTooLarge)
	}
	payload, err := txrules.CheckStatic(tx)
	if err != nil {
		return fmt.Errorf("mempool: %w", err)
	}
	if tx.GasFeeCap < params.MinBaseFee {
		return fmt.Errorf("mempool: fee cap %d, minimum base fee %d: %w: %w",
			tx.GasFeeCap, params.MinBaseFee, ErrFeeCapTooLow, txrules.ErrFeeCapBelowBaseFee)
	}
	cost, err := txrules.MaxCost(tx)
	if err != nil {
		return fmt.Errorf("mempool: %w: %w", ErrInsufficientBalance, err)
	}
	if enc == nil {
		if enc, err = tx.MarshalBorsh(); err != nil {
			return fmt.Errorf("mempool: encode: %w: %w", ErrMalformed, err)
		}
	}
	e := &entry{
		tx:   tx,
		hash: sha256.Sum256(enc),
		size: len(enc),
		gas:  tx.GasLimit,
		cost: cost,
	}
	if tx.Type == types.TxTypeTransfer && tx.Asset == types.AssetBTC {
		e.btc = tx.Amount
	}
	if cp, ok := payload.(*types.ClaimUsernamePayload); ok {
		e.claim = cp.Username
	}
	c.e = e

	// Gossip delivers most transactions many times: skip the signature
	// check for one already pooled (same hash, same signed bytes).
	p.mu.RLock()
	_, known := p.all[e.hash]
	_, pooled := p.senders[tx.From]
	p.mu.RUnlock()
	if known {
		return fmt.Errorf("mempool: %v: %w", e.hash, ErrAlreadyKnown)
	}

	if err := p.verifySignature(tx, enc); err != nil {
		return err
	}
	if e.claim != "" {
		// A claim of a taken name would only fail and pay: refuse it here.
		if owner, taken, err := p.state.UsernameOwner(e.claim); err != nil {
			return fmt.Errorf("mempool: read username %q: %w", e.claim, err)
		} else if taken {
			return fmt.Errorf("mempool: @%s belongs to %v: %w", e.claim, owner, ErrUsernameTaken)
		}
	}

	if !pooled {
		// Read the account here rather than under the lock. admit uses it
		// only if no Update began in between.
		c.epoch = p.epoch.Load()
		acct, err := p.state.Account(tx.From)
		if err != nil {
			return fmt.Errorf("mempool: read account %v: %w", tx.From, err)
		}
		c.acct, c.haveAcct = acct, true
	}
	return nil
}

// admit applies the rules that read the pool and state. p.mu is held.
func (p *Pool) admit(c *candidate) error {
	e := c.e
	tx := e.tx
	if _, ok := p.all[e.hash]; ok {
		return fmt.Errorf("mempool: %v: %w", e.hash, ErrAlreadyKnown)
	}

	s := p.senders[tx.From]
	if s == nil {
		acct := c.acct
		if !c.haveAcct || c.epoch != p.epoch.Load() {
			var err error
			if acct, err = p.state.Account(tx.From); err != nil {
				return fmt.Errorf("mempool: read account %v: %w", tx.From, err)
			}
		}
		s = &sender{addr: tx.From, acct: acct, index: -1}
	}

	if tx.Nonce < s.acct.Nonce {
		return fmt.Errorf("mempool: nonce %d, account nonce %d: %w", tx.Nonce, s.acct.Nonce, ErrNonceTooLow)
	}
	if tx.Nonce-s.acct.Nonce >= uint64(p.cfg.MaxTxsPerSender) {
		return fmt.Errorf("mempool: nonce %d, account nonce %d, at most %d ahead: %w",
			tx.Nonce, s.acct.Nonce, p.cfg.MaxTxsPerSender, ErrNonceGap)
	}

	var old *entry
	if i, ok := s.find(tx.Nonce); ok {
		old = s.txs[i]
		if !p.outbidsReplacement(tx, old.tx) {
			return fmt.Errorf("mempool: replacing nonce %d needs tip cap and fee cap %d%% above %d and %d, got %d and %d: %w",
				tx.Nonce, p.cfg.PriceBumpPercent, old.tx.GasTipCap, old.tx.GasFeeCap, tx.GasTipCap, tx.GasFeeCap,
				ErrReplacementUnderpriced)
		}
	}

	if e.claim != "" {
		if err := p.checkClaim(s, e, old); err != nil {
			return err
		}
	}

	// The sender must pay for this transaction on top of its others.
	cost, btc := s.cost, s.btc
	if old != nil {
		cost -= old.cost
		btc -= old.btc
	}
	covered := func() bool {
		c, err1 := txrules.Add(cost, e.cost)
		b, err2 := txrules.Add(btc, e.btc)
		return err1 == nil && err2 == nil && c <= s.acct.OramaBalance && b <= s.acct.BTCBalance
	}
	// A pooled sender's cached account can be behind by what it received
	// (Update re-reads only the senders of a block, whose balances fell), so
	// read it again before refusing for balance.
	if !covered() && s.index >= 0 {
		acct, err := p.state.Account(tx.From)
		if err != nil {
			return fmt.Errorf("mempool: read account %v: %w", tx.From, err)
		}
		if acct.Nonce == s.acct.Nonce {
			s.acct = acct
		}
	}
	if total, err := txrules.Add(cost, e.cost); err != nil || total > s.acct.OramaBalance {
		return fmt.Errorf("mempool: ORAMA balance %d, pending %d, transaction needs %d: %w",
			s.acct.OramaBalance, cost, e.cost, ErrInsufficientBalance)
	}
	if total, err := txrules.Add(btc, e.btc); err != nil || total > s.acct.BTCBalance {
		return fmt.Errorf("mempool: BTC balance %d, pending %d, transaction needs %d: %w",
			s.acct.BTCBalance, btc, e.btc, ErrInsufficientBalance)
	}

	// Make room: remove the replaced transaction, then evict the cheapest
	// tails while over a bound. If the newcomer does not outbid a victim,
	// put everything back.
	var removed []removal
	if old != nil {
		p.remove(s, old)
		removed = append(removed, removal{s, old})
	}
	for len(p.all) >= p.cfg.MaxTxs || p.bytes+e.size > p.cfg.MaxBytes {
		if p.tails.Len() == 0 {
			p.restore(removed)
			return fmt.Errorf("mempool: %d bytes do not fit in %d: %w", e.size, p.cfg.MaxBytes, ErrPoolFull)
		}
		v := p.tails.cheapest()
		victim := v.tail()
		if cmpPrice(tx, victim.tx, p.baseFee) <= 0 {
			p.restore(removed)
			return fmt.Errorf("mempool: does not outbid the cheapest evictable transaction %v: %w", victim.hash, ErrPoolFull)
		}
		if v == s && victim.tx.Nonce < tx.Nonce {
			// Evicting the sender's own predecessor would leave the newcomer
			// behind a gap.
			p.restore(removed)
			return fmt.Errorf("mempool: would evict the sender's own nonce %d: %w", victim.tx.Nonce, ErrPoolFull)
		}
		p.remove(v, victim)
		removed = append(removed, removal{v, victim})
	}
	p.admitted++
	e.seq = p.admitted // a restored entry keeps its own
	p.insert(s, e)
	return nil
}

// checkClaim refuses a username claim that would fail in a block: the
// sender has a username or another pending claim, or another pending
// claim names the same username. old is the transaction e replaces, if
// any. p.mu is held.
func (p *Pool) checkClaim(s *sender, e, old *entry) error {
	if s.acct.Username != "" {
		return fmt.Errorf("mempool: %v is already @%s: %w", s.addr, s.acct.Username, ErrUsernameAlreadySet)
	}
	for _, o := range s.txs {
		if o.claim != "" && o != old {
			return fmt.Errorf("mempool: %v has a pending claim of @%s (nonce %d): %w", s.addr, o.claim, o.tx.Nonce, ErrUsernameAlreadySet)
		}
	}
	if o := p.claims[e.claim]; o != nil && o != old {
		return fmt.Errorf("mempool: @%s is claimed by pending transaction %v: %w", e.claim, o.hash, ErrUsernameTaken)
	}
	return nil
}

// outbidsReplacement reports whether tx may replace old: both its tip cap
// and its fee cap are higher, by at least PriceBumpPercent.
func (p *Pool) outbidsReplacement(tx, old *types.Transaction) bool {
	return bumped(tx.GasTipCap, old.GasTipCap, p.cfg.PriceBumpPercent) &&
		bumped(tx.GasFeeCap, old.GasFeeCap, p.cfg.PriceBumpPercent)
}

// bumped reports whether v > old and v*100 >= old*(100+pct), exactly.
func bumped(v, old, pct uint64) bool {
	if v <= old {
		return false
	}
	// Compare as 128-bit products.
	f, err := txrules.Add(100, pct)
	if err != nil {
		return false
	}
	lhsHi, lhsLo := bits.Mul64(v, 100)
	rhsHi, rhsLo := bits.Mul64(old, f)
	return lhsHi > rhsHi || (lhsHi == rhsHi && lhsLo >= rhsLo)
}

type removal struct {
	s *sender
	e *entry
}

// restore puts back removed entries, last first. p.mu is held.
func (p *Pool) restore(removed []removal) {
	for i := len(removed) - 1; i >= 0; i-- {
		p.insert(removed[i].s, removed[i].e)
	}
}

// insert adds e to s and s to the pool if it was not in it. p.mu is held.
func (p *Pool) insert(s *sender, e *entry) {
	s.insert(e)
	p.all[e.hash] = e
	if e.claim != "" {
		p.claims[e.claim] = e
	}
	p.bytes += e.size
	if s.index < 0 {
		p.senders[s.addr] = s
		heap.Push(&p.tails, s)
	} else {
		heap.Fix(&p.tails, s.index)
	}
}

// remove deletes e from s, and s from the pool if it is left empty. p.mu
// is held.
func (p *Pool) remove(s *sender, e *entry) {
	s.delete(e)
	p.forget(e)
	p.fixSender(s)
}

// forget drops e from the pool's indexes (not from its sender). p.mu is
// held.
func (p *Pool) forget(e *entry) {
	delete(p.all, e.hash)
	p.bytes -= e.size
	if e.claim != "" && p.claims[e.claim] == e {
		delete(p.claims, e.claim)
	}
}

// fixSender restores s's place in the pool after its transactions changed.
func (p *Pool) fixSender(s *sender) {
	switch {
	case len(s.txs) == 0 && s.index >= 0:
		heap.Remove(&p.tails, s.index)
		delete(p.senders, s.addr)
	case len(s.txs) > 0:
		heap.Fix(&p.tails, s.index)
	}
}

// Update is called after a block commits, with the hashes of the block's
// transactions and their senders. It removes the included transactions,
// re-reads the accounts of the block's senders that have pooled
// transactions (a block may hold transactions this pool never saw; only a
// sender's nonce rises and only a sender's balance falls, so no other
// account can invalidate a pooled transaction), drops every transaction
// whose nonce is now below its sender's account nonce, and drops each such
// sender's transactions from the first one its balance no longer covers.
// Accounts are read without holding the pool lock, in parallel. If State
// fails for a sender, that sender keeps its transactions and Update reports
// the error.
func (p *Pool) Update(included []types.Hash, senders []types.Address) error {
	p.updateMu.Lock()
	defer p.updateMu.Unlock()

	p.mu.Lock()
	for _, h := range included {
		if e, ok := p.all[h]; ok {
			p.remove(p.senders[e.tx.From], e)
		}
	}
	// Accounts prefetched by Add before this point may predate the commit.
	p.epoch.Add(1)
	addrs := make([]types.Address, 0, len(senders))
	seen := make(map[types.Address]bool, len(senders))
	for _, a := range senders {
		if p.senders[a] != nil && !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	p.mu.Unlock()

	accts := make([]types.Account, len(addrs))
	errs := make([]error, len(addrs))
	parallel(len(addrs), p.cfg.Workers, false, func(i int) {
		accts[i], errs[i] = p.state.Account(addrs[i])
	})

	p.mu.Lock()
	defer p.mu.Unlock()
	var failed int
	var firstErr error
	for i, a := range addrs {
		if errs[i] != nil {
			if failed++; firstErr == nil {
				firstErr = fmt.Errorf("mempool: read account %v: %w", a, errs[i])
			}
			continue
		}
		if s := p.senders[a]; s != nil {
			s.acct = accts[i]
			p.revalidate(s)
		}
	}
	if failed > 1 {
		return fmt.Errorf("%w (and %d more accounts)", firstErr, failed-1)
	}
	return firstErr
}

// revalidate drops s's transactions below its account nonce and from the
// first one its balances do not cover. p.mu is held.
func (p *Pool) revalidate(s *sender) {
	start := 0
	for start < len(s.txs) && s.txs[start].tx.Nonce < s.acct.Nonce {
		start++
	}
	end := start
	var cost, btc uint64
	for ; end < len(s.txs); end++ {
		e := s.txs[end]
		c, err1 := txrules.Add(cost, e.cost)
		b, err2 := txrules.Add(btc, e.btc)
		if err1 != nil || err2 != nil || c > s.acct.OramaBalance || b > s.acct.BTCBalance {
			break
		}
		cost, btc = c, b
	}
	if start == 0 && end == len(s.txs) {
		return
	}
	for _, e := range s.txs[:start] {
		p.forget(e)
	}
	for _, e := range s.txs[end:] {
		p.forget(e)
	}
	s.txs = append([]*entry(nil), s.txs[start:end]...)
	s.cost, s.btc = cost, btc
	p.fixSender(s)
}

// VerifyBlockSignatures checks the signature of every transaction of a
// received block on the pool's workers, skipping those already pooled (the
// pool verified them on admission: same hash, same signed bytes). It
// returns the index of the first bad one and its error, or -1 and nil.
func (p *Pool) VerifyBlockSignatures(txs []types.Transaction) (int, error) {
	errs := make([]error, len(txs))
	parallel(len(txs), p.cfg.Workers, false, func(i int) {
		enc, err := txs[i].MarshalBorsh()
		if err != nil {
			errs[i] = fmt.Errorf("mempool: encode: %w: %w", ErrMalformed, err)
			return
		}
		p.mu.RLock()
		_, known := p.all[sha256.Sum256(enc)]
		p.mu.RUnlock()
		if known {
			return
		}
		errs[i] = p.verifySignature(&txs[i], enc)
	})
	for i, err := range errs {
		if err != nil {
			return i, err
		}
	}
	return -1, nil
}

// verifySignature checks that tx, whose Borsh encoding is enc, is signed by
// its sender: the signed bytes are the encoding without the signature.
func (p *Pool) verifySignature(tx *types.Transaction, enc []byte) error {
	payload := enc[:len(enc)-crypto.SignatureLength]
	if err := crypto.VerifyDomain(crypto.DomainTransaction, p.cfg.ChainID, payload, tx.Signature, tx.From); err != nil {
		return fmt.Errorf("mempool: %w: %w", ErrInvalidSignature, err)
	}
	return nil
}

// parallel calls fn(0..n-1) on up to workers goroutines and waits. With
// yield, each worker yields the processor after each call, so a goroutine on
// the node's critical path (the block producer, consensus) that has just
// woken from a write or an fsync runs at once instead of waiting up to the
// scheduler's 10 ms preemption behind a batch of calls (signature checks are
// ~60 µs each; a yield is ~0.1 µs). Work the critical path itself waits for
// does not yield.
func parallel(n, workers int, yield bool, fn func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
				if yield {
					runtime.Gosched()
				}
			}
		})
	}
	wg.Wait()
}
