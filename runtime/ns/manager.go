package ns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/smt"
	"github.com/oramanetwork/orama-chain/runtime/vm"
)

// ManagerConfig configures the namespaces a node runs on the embedded
// engines.
type ManagerConfig struct {
	// Dir holds one directory per namespace (data/ns/<name>).
	Dir       string
	ChainID   uint64
	Authority types.Address // the deposit authority
	Chain     Chain
	Log       *slog.Logger
	// Blobs opens a namespace's object store; nil: a local CID store in
	// <Dir>/<name>/blobs.
	Blobs func(name, dir string) (Blobs, error)
	// Provision starts the services of a namespace placed on several nodes
	// (its rqlited, then the namespace on it) and Deprovision stops them;
	// nil: such namespaces are not run (Sync reports them).
	Provision   func(m *Manager, rec types.NamespaceRecord, slot uint8) error
	Deprovision func(name string)
	// Services reports the provisioned services of a namespace (nil: none).
	Services func(name string) []ServiceStatus
}

// Manager opens, runs and closes the namespaces placed on this node, at
// most params.MaxNamespacesPerNode.
type Manager struct {
	cfg ManagerConfig
	vm  *vm.VM

	mu     sync.Mutex
	syncMu sync.Mutex // one Sync at a time
	open   map[string]*managed
}

type managed struct {
	ns    *Namespace
	db    Replica
	query QueryDB
	bdb   *badger.DB
}

// NewManager starts a manager with its own VM (compiled modules cached in
// <Dir>/.vmcache).
func NewManager(ctx context.Context, cfg ManagerConfig) (*Manager, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("ns: %w", err)
	}
	v, err := NewVM(ctx, filepath.Join(cfg.Dir, ".vmcache"))
	if err != nil {
		return nil, err
	}
	return &Manager{cfg: cfg, vm: v, open: map[string]*managed{}}, nil
}

// ErrTooManyNamespaces: the node already runs MaxNamespacesPerNode.
var ErrTooManyNamespaces = errors.New("ns: node runs the most namespaces it may")

// Ensure opens the namespace meta describes, creating its stores on first
// use; opening an open one returns it.
func (m *Manager) Ensure(meta types.NamespaceMeta) (*Namespace, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o, ok := m.open[meta.Name]; ok {
		return o.ns, nil
	}
	n, err := m.openNS(meta)
	if errors.Is(err, ErrStoresDisagree) {
		m.cfg.Log.Warn("namespace stores disagree after a crash: rebuilding from its log", "namespace", meta.Name, "err", err)
		if err = m.rebuild(meta); err == nil {
			n, err = m.openNS(meta)
		}
	}
	return n, err
}

// openNS opens a namespace's stores and starts it on the embedded log; the
// caller holds m.mu.
func (m *Manager) openNS(meta types.NamespaceMeta) (*Namespace, error) {
	return m.openWith(meta, func(mach *Machine, db Replica, query QueryDB) (*Namespace, error) {
		return Open(mach, db, query, m.cfg.ChainID, m.cfg.Authority, m.cfg.Chain, m.cfg.Log)
	})
}

// openWith opens a namespace's stores in <Dir>/<name> (Badger, the replica
// file with its query connection, the object store), builds its machine and
// starts it with start; the caller holds m.mu. Badger writes without a sync
// per batch, as the replica (WAL, synchronous=NORMAL) commits: both survive
// a process crash, and stores left at different positions are rebuilt by
// replay (namespaces.md 5.4).
func (m *Manager) openWith(meta types.NamespaceMeta, start func(*Machine, Replica, QueryDB) (*Namespace, error)) (*Namespace, error) {
	if len(m.open) >= params.MaxNamespacesPerNode {
		return nil, ErrTooManyNamespaces
	}
	dir := filepath.Join(m.cfg.Dir, meta.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ns: %w", err)
	}
	bdb, err := badger.Open(badger.DefaultOptions(filepath.Join(dir, "state")).WithLogger(nil))
	if err != nil {
		return nil, fmt.Errorf("ns: %s state: %w", meta.Name, err)
	}
	db, query, err := OpenReplica(filepath.Join(dir, "sql.db"))
	if err != nil {
		bdb.Close()
		return nil, err
	}
	blobs, err := m.blobs(meta.Name, dir)
	if err == nil {
		var mach *Machine
		mach, err = NewMachine(MachineConfig{Meta: meta, ChainID: m.cfg.ChainID, Authority: m.cfg.Authority, VM: m.vm,
			KV: smt.NewBadgerStore(bdb, nil), DB: db, Storage: blobs})
		if err == nil {
			var n *Namespace
			if n, err = start(mach, db, query); err == nil {
				m.open[meta.Name] = &managed{ns: n, db: db, query: query, bdb: bdb}
				m.cfg.Log.Info("namespace open", "namespace", meta.Name, "tier", meta.Tier.String(), "engine", n.Engine(), "position", n.Status().Position)
				return n, nil
			}
		}
	}
	query.Close()
	db.Close()
	bdb.Close()
	return nil, err
}

// blobs opens a namespace's object store.
func (m *Manager) blobs(name, dir string) (Blobs, error) {
	if m.cfg.Blobs != nil {
		return m.cfg.Blobs(name, dir)
	}
	return newLocalBlobs(filepath.Join(dir, "blobs"))
}

// rebuild replaces a namespace's replica and StateDB by new ones built by
// replaying the log its replica holds (namespaces.md 7, "A lost StateDB or
// replica is rebuilt by replay"); the old ones are kept beside it.
func (m *Manager) rebuild(meta types.NamespaceMeta) error {
	dir := filepath.Join(m.cfg.Dir, meta.Name)
	old := dir + ".rebuild-" + fmt.Sprint(os.Getpid())
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	src, q, err := OpenReplica(filepath.Join(old, "sql.db"))
	if err != nil {
		return err
	}
	q.Close()
	defer src.Close()
	n, err := m.openNS(meta)
	if err != nil {
		return err
	}
	defer func() {
		closeManaged(m.open[meta.Name])
		delete(m.open, meta.Name)
	}()
	for from := uint64(1); ; {
		rows, err := src.HostQuery("SELECT pos, entry FROM _orama_txlog WHERE pos >= ?1 ORDER BY pos LIMIT 256", abi.Integer(int64(from)))
		if err != nil {
			return err
		}
		if len(rows.Rows) == 0 {
			break
		}
		n.mu.Lock()
		for _, r := range rows.Rows {
			if err := n.applyLogged(context.Background(), uint64(r[0].Int), r[1].Bytes); err != nil {
				n.m.Rollback()
				n.mu.Unlock()
				return err
			}
		}
		err = n.m.Commit(context.Background())
		n.mu.Unlock()
		if err != nil {
			return err
		}
		from = uint64(rows.Rows[len(rows.Rows)-1][0].Int) + 1
	}
	return nil
}

// Services reports where a namespace's services run on this node and their
// health: the provisioned ones (rqlited) and the namespace itself
// ("gateway": healthy, or unhealthy when halted).
func (m *Manager) Services(name string) []ServiceStatus {
	var out []ServiceStatus
	if m.cfg.Services != nil {
		out = m.cfg.Services(name)
	}
	if n, ok := m.Namespace(name); ok {
		st := ServiceStatus{Service: "gateway", State: StateHealthy}
		if h := n.haltedAt(); h != nil {
			st.State, st.LastError = StateUnhealthy, h.Error()
		}
		out = append(out, st)
	}
	return out
}

// Namespace returns an open namespace.
func (m *Manager) Namespace(name string) (*Namespace, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.open[name]
	if !ok {
		return nil, false
	}
	return o.ns, true
}

// Names lists the open namespaces.
func (m *Manager) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.open))
	for n := range m.open {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Remove stops a namespace and moves its data to
// <Dir>/../ns-deleted/<name>-<height> (a Tier 1 log is evidence).
func (m *Manager) Remove(name string, height uint64) error {
	m.mu.Lock()
	o, ok := m.open[name]
	delete(m.open, name)
	m.mu.Unlock()
	if !ok {
		return nil
	}
	closeManaged(o)
	dst := filepath.Join(filepath.Dir(m.cfg.Dir), "ns-deleted", fmt.Sprintf("%s-%d", name, height))
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	return os.Rename(filepath.Join(m.cfg.Dir, name), dst)
}

func closeManaged(o *managed) {
	o.ns.Close()
	o.query.Close()
	o.db.Close()
	o.bdb.Close()
}

// Close stops every namespace and the VM.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, o := range m.open {
		closeManaged(o)
		delete(m.open, name)
	}
	return m.vm.Close(context.Background())
}
