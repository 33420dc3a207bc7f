package ns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/nsengine"
)

// Chain gives the executor the global chain's latest final block: its
// height and timestamp become the entry's chain_height and chain_timestamp.
type Chain interface {
	Final() (height, timestamp uint64)
}

// Result is what a submitted request got: the entry that logged it.
type Result struct {
	Position uint64
	CallID   types.Hash
	Entry    types.TxLogEntry
	Hash     types.Hash
}

// Namespace runs one namespace on the embedded engines: one executor
// goroutine orders requests (the TxLog is a table of the replica, written in
// the batch's own SQLite transaction, so the log row is the commit point),
// group-committing up to MaxNamespaceBatchEntries entries.
type Namespace struct {
	name      string
	chainID   uint64
	authority types.Address
	chain     Chain
	log       *slog.Logger

	mu    sync.Mutex // held by the executor while it runs a batch, and by readers of the machine
	m     *Machine
	db    Replica
	query QueryDB // nil: no query endpoint

	rq        *nsengine.RQLite         // nil: the embedded log
	halted    atomic.Pointer[Mismatch] // set when this node's replay differed from the log; read without mu
	poll      time.Duration            // how often a cluster node tails the log
	lastWarn  time.Time
	appended  uint64 // the last position this node appended to the log
	cacheCopy nsengine.Cache

	queue chan *job
	stop  chan struct{}
	done  chan struct{}
}

// Option adjusts a namespace at Open.
type Option func(*Namespace)

// WithLogger sets the namespace's logger.
func WithLogger(l *slog.Logger) Option { return func(n *Namespace) { n.log = l } }

// WithCacheCopy makes the namespace write, after each batch it appended,
// the batch's cache writes into c (an Olric DMap applications read): a
// write-through copy no call ever reads (namespaces.md 2.2). Only the node
// that appended an entry copies it.
func WithCacheCopy(c nsengine.Cache) Option { return func(n *Namespace) { n.cacheCopy = c } }

// WithPoll sets how often a cluster node tails the log (default 200 ms).
func WithPoll(d time.Duration) Option { return func(n *Namespace) { n.poll = d } }

type job struct {
	sub  *types.NamespaceSubmission
	id   types.Hash
	res  *Result
	err  error
	done chan struct{}
}

// Open starts a namespace over a machine whose replica holds the TxLog;
// query is the read-only connection of the query endpoint (may be nil).
func Open(m *Machine, db Replica, query QueryDB, chainID uint64, authority types.Address, chain Chain, log *slog.Logger) (*Namespace, error) {
	if log == nil {
		log = slog.Default()
	}
	return open(m, db, query, chainID, authority, chain, WithLogger(log))
}

func open(m *Machine, db Replica, query QueryDB, chainID uint64, authority types.Address, chain Chain, opts ...Option) (*Namespace, error) {
	if err := ensureLogTables(db); err != nil {
		return nil, err
	}
	n := &Namespace{name: m.meta.Name, chainID: chainID, authority: authority, chain: chain, log: slog.Default(),
		m: m, db: db, query: query, poll: 200 * time.Millisecond,
		queue: make(chan *job, 4096), stop: make(chan struct{}), done: make(chan struct{})}
	for _, o := range opts {
		o(n)
	}
	logHead, err := n.logHead()
	if err != nil {
		return nil, err
	}
	if pos, _, _ := m.Head(); pos != logHead {
		return nil, fmt.Errorf("%w: %s: state at position %d, its replica's log at %d", ErrStoresDisagree, n.name, pos, logHead)
	}
	go n.run()
	return n, nil
}

// Close stops the executor; queued requests get ErrClosed.
func (n *Namespace) Close() error {
	close(n.stop)
	<-n.done
	return nil
}

// ErrStoresDisagree: the StateDB and the replica hold different positions
// (a crash between their commits): the namespace is rebuilt by replaying
// its log (Manager does).
var ErrStoresDisagree = errors.New("ns: the StateDB and the replica disagree")

// ErrClosed: the namespace is shutting down.
var ErrClosed = errors.New("ns: namespace closed")

// ErrBusy: every read-only query connection stayed busy until the query's
// deadline; the query never ran (the node's state, not the query's fault).
var ErrBusy = errors.New("ns: every query connection is busy")

const txlogDDL = `CREATE TABLE IF NOT EXISTS _orama_txlog (pos INTEGER PRIMARY KEY, call_id BLOB NOT NULL UNIQUE,
  signer BLOB NOT NULL, nonce INTEGER NOT NULL, entry BLOB NOT NULL, UNIQUE (signer, nonce));
CREATE TABLE IF NOT EXISTS _orama_events (pos INTEGER NOT NULL, idx INTEGER NOT NULL, call_id BLOB NOT NULL,
  emitter BLOB NOT NULL, topic TEXT NOT NULL, data BLOB NOT NULL, caller BLOB NOT NULL, PRIMARY KEY (pos, idx));
CREATE INDEX IF NOT EXISTS _orama_events_emitter ON _orama_events (emitter, topic, pos, idx);
CREATE INDEX IF NOT EXISTS _orama_events_topic ON _orama_events (topic, pos, idx);
CREATE INDEX IF NOT EXISTS _orama_events_caller ON _orama_events (caller, pos);
CREATE TABLE IF NOT EXISTS _orama_contracts (address BLOB PRIMARY KEY, code_hash BLOB NOT NULL, pos INTEGER NOT NULL);`

func ensureLogTables(db Replica) error {
	if err := db.HostExec(txlogDDL); err != nil {
		return fmt.Errorf("ns: log tables: %w", err)
	}
	return nil
}

func (n *Namespace) logHead() (uint64, error) {
	rows, err := n.db.HostQuery("SELECT coalesce(max(pos), 0) FROM _orama_txlog")
	if err != nil {
		return 0, fmt.Errorf("ns: log head: %w", err)
	}
	return uint64(rows.Rows[0][0].Int), nil
}

// Submit checks a submission, orders it, executes it and returns its entry
// once committed. A request whose (signer, nonce) is already logged with
// the same id returns the logged entry (an idempotent retry).
func (n *Namespace) Submit(ctx context.Context, sub *types.NamespaceSubmission) (*Result, error) {
	if _, err := CheckSubmission(sub, n.name, n.chainID, n.authority); err != nil {
		return nil, err
	}
	if h := n.haltedAt(); h != nil {
		return nil, fmt.Errorf("%w: %w", ErrHalted, h)
	}
	id, err := sub.Request.Hash()
	if err != nil {
		return nil, refuse(ErrInvalidRequest, "%v", err)
	}
	// The executor judges the nonce (batch, tryBatch): a request does not
	// wait here for the batch that holds the lock, so requests that arrive
	// during a batch are all in the next one.
	return n.enqueue(ctx, sub, id)
}

// enqueue hands a checked submission to the executor and waits for its
// outcome.
func (n *Namespace) enqueue(ctx context.Context, sub *types.NamespaceSubmission, id types.Hash) (*Result, error) {
	j := &job{sub: sub, id: id, done: make(chan struct{})}
	select {
	case n.queue <- j:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-n.stop:
		return nil, ErrClosed
	}
	select {
	case <-j.done:
		return j.res, j.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-n.done:
		// The executor stopped; a job queued after its last drain is
		// never run.
		select {
		case <-j.done:
			return j.res, j.err
		default:
			return nil, ErrClosed
		}
	}
}

// usedNonce answers a request whose nonce is below the signer's next
// (next): the logged entry when the log holds this very request at that
// nonce (an idempotent retry), ErrNonceTooLow otherwise. The caller holds
// n.mu.
func (n *Namespace) usedNonce(req *types.NamespaceRequest, id types.Hash, next uint64) (*Result, error) {
	rows, err := n.db.HostQuery("SELECT pos, call_id, entry FROM _orama_txlog WHERE signer = ?1 AND nonce = ?2",
		abi.Blob(req.Signer[:]), abi.Integer(int64(req.Nonce)))
	if err != nil {
		return nil, fmt.Errorf("ns: log lookup: %w", err)
	}
	if len(rows.Rows) == 1 && bytes.Equal(rows.Rows[0][1].Bytes, id[:]) {
		return decodeResult(rows.Rows[0][2].Bytes)
	}
	return nil, refuse(ErrNonceTooLow, "nonce %d, next is %d", req.Nonce, next)
}

func decodeResult(enc []byte) (*Result, error) {
	var e types.TxLogEntry
	if err := e.UnmarshalBorsh(enc); err != nil {
		return nil, fmt.Errorf("ns: logged entry: %w", err)
	}
	id, err := e.Submission.Request.Hash()
	if err != nil {
		return nil, err
	}
	h, err := e.Hash()
	if err != nil {
		return nil, err
	}
	return &Result{Position: e.Position, CallID: id, Entry: e, Hash: h}, nil
}

func (n *Namespace) run() {
	if n.rq != nil {
		n.runCluster()
		return
	}
	defer close(n.done)
	for {
		select {
		case j := <-n.queue:
			n.batch(n.collect([]*job{j}))
		case <-n.stop:
			n.drain()
			return
		}
	}
}

// collect adds to jobs what is queued, without waiting, up to
// MaxNamespaceBatchEntries.
func (n *Namespace) collect(jobs []*job) []*job {
	for len(jobs) < params.MaxNamespaceBatchEntries {
		select {
		case j := <-n.queue:
			jobs = append(jobs, j)
		default:
			return jobs
		}
	}
	return jobs
}

func (n *Namespace) drain() {
	for {
		select {
		case j := <-n.queue:
			j.err = ErrClosed
			close(j.done)
		default:
			return
		}
	}
}

// batch executes jobs in order as consecutive entries, appends them to the
// log and commits; on a host failure nothing is committed and every job
// gets the error. On a cluster, a lost race for the log's next positions
// (or an append of unknown outcome) rolls back, catches up and runs the
// jobs again at the new head.
func (n *Namespace) batch(jobs []*job) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ctx := context.Background()
	for attempt := 0; ; attempt++ {
		if n.rq != nil {
			level := nsengine.LevelWeak
			if attempt > 0 {
				level = nsengine.LevelStrong
			}
			// After an append of our own, the log head is most likely ours:
			// run at once (a lost compare-and-set costs one retry).
			pos, _, _ := n.m.Head()
			if attempt > 0 || pos != n.appended || n.aheadOfHead(jobs) {
				if err := n.catchUp(ctx, level); err != nil {
					n.finish(jobs, err)
					return
				}
			}
			if jobs = n.answerLogged(jobs); len(jobs) == 0 {
				return
			}
		}
		done, err := n.tryBatch(ctx, jobs)
		if err == nil {
			return
		}
		jobs = done
		retry := n.rq != nil && (errors.Is(err, nsengine.ErrConflict) || errors.Is(err, nsengine.ErrUnavailable)) && attempt < 50
		if !retry {
			n.log.Error("namespace batch failed", "namespace", n.name, "err", err)
			n.finish(jobs, err)
			return
		}
		n.log.Debug("namespace append lost or unknown; catching up", "namespace", n.name, "err", err, "attempt", attempt)
		n.mu.Unlock()
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
		n.mu.Lock()
	}
}

// aheadOfHead says whether a job's nonce is beyond its signer's next at
// this node's head: the node may be behind the log (another node took
// the nonce before), so it catches up before judging it a gap.
func (n *Namespace) aheadOfHead(jobs []*job) bool {
	r := n.m.Reader()
	for _, j := range jobs {
		acc, _, err := r.Account(j.sub.Request.Signer)
		if err != nil || j.sub.Request.Nonce > acc.Nonce {
			return true
		}
	}
	return false
}

// answerStale answers a job whose nonce is not its signer's next in the
// open batch: nonce_gap when ahead; when behind, the logged entry if it is
// a retry of this very request (the committed log is enough: a batch logs
// each nonce once), nonce_too_low otherwise.
func (n *Namespace) answerStale(j *job) {
	acc, _, _ := n.m.batchAccount(j.sub.Request.Signer)
	if j.sub.Request.Nonce > acc.Nonce {
		j.err = refuse(ErrNonceGap, "nonce %d, next is %d", j.sub.Request.Nonce, acc.Nonce)
	} else {
		j.res, j.err = n.usedNonce(&j.sub.Request, j.id, acc.Nonce)
	}
	close(j.done)
}

// resultOf is what a job whose entry the log holds is answered with.
func resultOf(e *Entry, id types.Hash) *Result {
	return &Result{Position: e.Log.Position, CallID: id, Entry: e.Log, Hash: e.Hash}
}

// finish fails every job with err.
func (n *Namespace) finish(jobs []*job, err error) {
	for _, j := range jobs {
		j.res, j.err = nil, err
		close(j.done)
	}
}

// tryBatch executes the jobs and commits them. It answers the jobs it
// refuses (a stale nonce) and, on success, all others; on an error it has
// rolled back and returns the jobs still unanswered.
func (n *Namespace) tryBatch(ctx context.Context, jobs []*job) ([]*job, error) {
	height, ts := n.chain.Final()
	var run []*job
	var entries []*Entry
	var ids []types.Hash
	for _, j := range jobs {
		e, err := n.m.Execute(ctx, j.sub, height, ts)
		if errors.Is(err, ErrStaleNonce) {
			n.answerStale(j)
			continue
		}
		run = append(run, j)
		if err != nil {
			n.m.Rollback()
			return append(run, rest(jobs, j)...), err
		}
		entries = append(entries, e)
		ids = append(ids, j.id)
	}
	if len(entries) == 0 {
		n.m.Rollback()
		return nil, nil
	}
	if n.rq != nil {
		if err := n.appendRemote(ctx, entries, ids); err != nil {
			n.m.Rollback()
			return run, err
		}
		n.appended = entries[len(entries)-1].Log.Position
	}
	for i, e := range entries {
		if err := n.appendLocal(e, ids[i]); err != nil {
			n.m.Rollback()
			return run, err
		}
	}
	if err := n.m.Commit(ctx); err != nil {
		n.m.Rollback()
		return run, err
	}
	n.copyCache(ctx, entries)
	for i, j := range run {
		j.res = resultOf(entries[i], ids[i])
		close(j.done)
	}
	return nil, nil
}

// copyCache writes committed entries' cache writes into the cache copy,
// in order; a failure is logged (the copy is not state).
func (n *Namespace) copyCache(ctx context.Context, entries []*Entry) {
	if n.cacheCopy == nil {
		return
	}
	for _, e := range entries {
		for _, w := range e.Log.Writes.Cache {
			var err error
			if w.Value == nil {
				err = n.cacheCopy.Delete(ctx, w.Key)
			} else {
				err = n.cacheCopy.Set(ctx, w.Key, nsengine.CacheValue{Expires: w.Value.Expires, Value: w.Value.Value})
			}
			if err != nil {
				n.log.Warn("namespace cache copy", "namespace", n.name, "err", err)
				return
			}
		}
	}
}

// rest is the jobs after j.
func rest(jobs []*job, j *job) []*job {
	for i, r := range jobs {
		if r == j {
			return jobs[i+1:]
		}
	}
	return nil
}

// answerLogged answers the jobs whose (signer, nonce) the log already holds
// (a retry, or a request another node appended) and returns the others.
func (n *Namespace) answerLogged(jobs []*job) []*job {
	var out []*job
	for _, j := range jobs {
		rows, err := n.db.HostQuery("SELECT call_id, entry FROM _orama_txlog WHERE signer = ?1 AND nonce = ?2",
			abi.Blob(j.sub.Request.Signer[:]), abi.Integer(int64(j.sub.Request.Nonce)))
		switch {
		case err != nil:
			j.err = fmt.Errorf("%w: %w", ErrHostFailure, err)
		case len(rows.Rows) == 0:
			out = append(out, j)
			continue
		case bytes.Equal(rows.Rows[0][0].Bytes, j.id[:]):
			j.res, j.err = decodeResult(rows.Rows[0][1].Bytes)
		default:
			j.err = refuse(ErrNonceTooLow, "nonce %d is used", j.sub.Request.Nonce)
		}
		close(j.done)
	}
	return out
}

// tail applies what other nodes appended (a cluster node between batches).
func (n *Namespace) tail() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.halted.Load() != nil {
		return
	}
	if err := n.catchUp(context.Background(), nsengine.LevelNone); err != nil && !errors.Is(err, ErrHalted) {
		// The local rqlited may be down for a while: say so every 10 s.
		if time.Since(n.lastWarn) > 10*time.Second {
			n.lastWarn = time.Now()
			n.log.Warn("namespace: tailing the log", "namespace", n.name, "err", err)
		}
	}
}

// haltedAt does not take n.mu: Submit asks it, and must not wait for the
// batch that holds the lock.
func (n *Namespace) haltedAt() *Mismatch { return n.halted.Load() }

// appendLocal writes an entry's log row, events and new contract into the
// batch's transaction.
func (n *Namespace) appendLocal(e *Entry, id types.Hash) error {
	req := &e.Log.Submission.Request
	if err := n.db.HostExec("INSERT INTO _orama_txlog (pos, call_id, signer, nonce, entry) VALUES (?1, ?2, ?3, ?4, ?5)",
		abi.Integer(int64(e.Log.Position)), abi.Blob(id[:]), abi.Blob(req.Signer[:]), abi.Integer(int64(req.Nonce)), abi.Blob(e.Bytes)); err != nil {
		return fmt.Errorf("%w: log append: %w", ErrHostFailure, err)
	}
	return indexEntry(n.db, &e.Log, id)
}

// indexEntry records an entry's events and deployed contract in the
// replica's index tables (not state: outside every root).
func indexEntry(db Replica, e *types.TxLogEntry, id types.Hash) error {
	req := &e.Submission.Request
	for i, ev := range e.Outcome.Events {
		if err := db.HostExec("INSERT INTO _orama_events (pos, idx, call_id, emitter, topic, data, caller) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			abi.Integer(int64(e.Position)), abi.Integer(int64(i)), abi.Blob(id[:]), abi.Blob(ev.Emitter[:]),
			abi.Text(ev.Topic), abi.Blob(ev.Data), abi.Blob(req.Signer[:])); err != nil {
			return fmt.Errorf("%w: event index: %w", ErrHostFailure, err)
		}
	}
	if e.Outcome.Status == types.NsStatusOk && e.Outcome.Contract != nil && req.Kind == types.NamespaceRequestKindDeploy {
		var d types.NsDeploy
		if err := d.UnmarshalBorsh(req.Payload); err != nil {
			return err
		}
		if err := db.HostExec("INSERT INTO _orama_contracts (address, code_hash, pos) VALUES (?1, ?2, ?3)",
			abi.Blob(e.Outcome.Contract[:]), abi.Blob(d.CodeHash[:]), abi.Integer(int64(e.Position))); err != nil {
			return fmt.Errorf("%w: contract index: %w", ErrHostFailure, err)
		}
	}
	return nil
}

// batchAccount reads an account as the open batch sees it.
func (m *Machine) batchAccount(a types.Address) (types.NsAccount, bool, error) {
	return m.batch.account(a)
}

// Name is the namespace's name.
func (n *Namespace) Name() string { return n.name }

// Machine gives read access to the state under the namespace's lock.
func (n *Namespace) Read(fn func(m *Machine, db Replica) error) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return fn(n.m, n.db)
}
