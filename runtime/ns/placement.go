package ns

import (
	"errors"
	"fmt"
	"sort"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// Placement is what a node reads of the global state to know which
// namespaces it hosts (runtime/state implements it).
type Placement interface {
	Namespace(name string) (types.NamespaceRecord, bool, error)
	NodeNamespaces(a types.Address) (types.NodeNamespaces, error)
}

// ErrNeedsCluster: a namespace placed on several nodes runs only on an
// rqlite cluster provisioned for it (namespaces.md 9).
var ErrNeedsCluster = fmt.Errorf("ns: a namespace on several nodes needs its rqlite cluster")

// Sync makes the open namespaces those the final global state places on
// node self: it opens the new ones and stops those no longer placed
// (deleted at height). A namespace placed on several nodes is opened only
// through a Provisioner (Config.Provision); without one it is reported.
func (m *Manager) Sync(self types.Address, st Placement, height uint64) error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	nn, err := st.NodeNamespaces(self)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	var errs []error
	for _, s := range nn.Slots {
		want[s.Name] = true
		if _, ok := m.Namespace(s.Name); ok {
			continue
		}
		rec, ok, err := st.Namespace(s.Name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("ns: node %x has a slot for %q, which has no record", self, s.Name)
		}
		meta := types.NamespaceMeta{Name: rec.Name, Tier: rec.Tier, Owner: rec.Owner, CreatedHeight: rec.CreatedHeight}
		if len(rec.Nodes) > 1 {
			if m.cfg.Provision == nil {
				errs = append(errs, fmt.Errorf("%w: %s on %d nodes", ErrNeedsCluster, rec.Name, len(rec.Nodes)))
				continue
			}
			if err := m.cfg.Provision(m, rec, s.Slot); err != nil {
				errs = append(errs, fmt.Errorf("ns: provisioning %s: %w", rec.Name, err))
			}
			continue
		}
		if _, err := m.Ensure(meta); err != nil {
			errs = append(errs, fmt.Errorf("ns: opening %s: %w", rec.Name, err))
		}
	}
	names := m.Names()
	sort.Strings(names)
	for _, name := range names {
		if !want[name] {
			if err := m.Remove(name, height); err != nil {
				errs = append(errs, err)
			}
			if m.cfg.Deprovision != nil {
				m.cfg.Deprovision(name)
			}
		}
	}
	return errors.Join(errs...)
}
