package exec

import (
	"bytes"
	"crypto/sha256"
	"slices"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// The namespace transactions of spec/namespaces.md 3.1 and 9. Their
// stateless rules (recipient, amount, the name, nodes <= MaxNamespaceNodes)
// are txrules.CheckType's; these are the rules that read the state and the
// pool, and the writes.

// Event topics of the namespace transactions.
const (
	TopicNamespaceCreated = "namespace_created"
	TopicNamespaceDeleted = "namespace_deleted"
)

// PlacementKey is the tie-break of placement: SHA-256(name || address),
// the name's UTF-8 bytes then the address's 20 bytes.
func PlacementKey(name string, node types.Address) [32]byte {
	d := sha256.New()
	d.Write([]byte(name))
	d.Write(node[:])
	var h [32]byte
	d.Sum(h[:0])
	return h
}

// candidate is a pool node with a free slot.
type candidate struct {
	node  types.Address
	slots types.NodeNamespaces
	key   [32]byte
}

// place chooses the nodes of a new namespace called name (spec/namespaces.md
// 9): the pool's nodes with fewer than MaxNamespacesPerNode slots used,
// sorted by (slots used, PlacementKey(name, node)); the first want of them,
// each given its lowest free slot. It returns the placement and each chosen
// node's slot list after it, or ok false when fewer than want nodes (or
// none at all) have a free slot. want must be at least 1.
func place(st *state.State, pool []types.Address, name string, want int) ([]types.NamespaceNode, []nodeSlots, bool, error) {
	cands := make([]candidate, 0, len(pool))
	for _, a := range pool {
		nn, err := st.NodeNamespaces(a)
		if err != nil {
			return nil, nil, false, err
		}
		if len(nn.Slots) < params.MaxNamespacesPerNode {
			cands = append(cands, candidate{node: a, slots: nn, key: PlacementKey(name, a)})
		}
	}
	if want < 1 || len(cands) < want {
		return nil, nil, false, nil
	}
	slices.SortFunc(cands, func(x, y candidate) int {
		if d := len(x.slots.Slots) - len(y.slots.Slots); d != 0 {
			return d
		}
		return bytes.Compare(x.key[:], y.key[:])
	})
	placed := make([]types.NamespaceNode, 0, want)
	loads := make([]nodeSlots, 0, want)
	for _, c := range cands[:want] {
		slot := lowestFreeSlot(c.slots.Slots)
		slots := slices.Clone(c.slots.Slots)
		i, _ := slices.BinarySearchFunc(slots, slot, func(s types.NamespaceSlot, t uint8) int { return int(s.Slot) - int(t) })
		slots = slices.Insert(slots, i, types.NamespaceSlot{Slot: slot, Name: name})
		placed = append(placed, types.NamespaceNode{Node: c.node, Slot: slot})
		loads = append(loads, nodeSlots{node: c.node, slots: types.NodeNamespaces{Slots: slots}})
	}
	return placed, loads, true, nil
}

// lowestFreeSlot is the smallest slot number not taken in slots (ascending,
// fewer than MaxNamespacesPerNode of them).
func lowestFreeSlot(slots []types.NamespaceSlot) uint8 {
	var s uint8
	for _, t := range slots {
		if t.Slot != s {
			break
		}
		s++
	}
	return s
}

// createNamespace applies a NamespaceCreate's stateful rules, in order:
// NamespaceExists if the name is taken; InvalidNamespace for a Tier 1
// namespace on fewer than MinNamespaceValidators nodes while the pool has
// that many; NamespacePoolFull if fewer pool nodes than asked have a free
// slot. nodes 0 asks for min(DefaultNamespaceNodes, pool size).
func createNamespace(st *state.State, env Env, from types.Address, p *types.NamespaceCreatePayload) (effects, []types.Event, types.TxStatus, error) {
	if _, exists, err := st.Namespace(p.Name); err != nil {
		return effects{}, nil, types.TxStatusSuccess, err
	} else if exists {
		return effects{}, nil, types.TxStatusNamespaceExists, nil
	}
	pool := len(env.Validators)
	want := int(p.Nodes)
	if want == 0 {
		want = min(params.DefaultNamespaceNodes, pool)
	}
	if p.Tier == types.NamespaceTierTier1 && uint64(want) < params.MinNamespaceValidators && uint64(pool) >= params.MinNamespaceValidators {
		return effects{}, nil, types.TxStatusInvalidNamespace, nil
	}
	placed, loads, ok, err := place(st, env.Validators, p.Name, want)
	if err != nil {
		return effects{}, nil, types.TxStatusSuccess, err
	}
	if !ok {
		return effects{}, nil, types.TxStatusNamespacePoolFull, nil
	}
	rec := types.NamespaceRecord{Name: p.Name, Tier: p.Tier, Owner: from, CreatedHeight: env.Height, Nodes: placed}
	ev := types.NamespaceCreatedEvent{Name: p.Name, Tier: p.Tier, Owner: from, Nodes: placed}
	data, err := ev.MarshalBorsh()
	if err != nil {
		return effects{}, nil, types.TxStatusSuccess, err
	}
	return effects{namespace: &rec, nodes: loads},
		[]types.Event{{Emitter: from, Topic: TopicNamespaceCreated, Data: data}}, types.TxStatusSuccess, nil
}

// deleteNamespace applies a NamespaceDelete's stateful rules, in order:
// UnknownNamespace, NotOwner, then NamespaceNotEmpty for every Tier 1
// namespace (the global chain cannot see a namespace's balances until
// namespace commitments exist, and value is never destroyed:
// DECISIONS.md D28). It removes the record and frees the slots.
func deleteNamespace(st *state.State, from types.Address, name string) (effects, []types.Event, types.TxStatus, error) {
	rec, exists, err := st.Namespace(name)
	if err != nil {
		return effects{}, nil, types.TxStatusSuccess, err
	}
	switch {
	case !exists:
		return effects{}, nil, types.TxStatusUnknownNamespace, nil
	case rec.Owner != from:
		return effects{}, nil, types.TxStatusNotOwner, nil
	case rec.Tier != types.NamespaceTierTier0:
		return effects{}, nil, types.TxStatusNamespaceNotEmpty, nil
	}
	fx := effects{deleted: name}
	for _, n := range rec.Nodes {
		nn, err := st.NodeNamespaces(n.Node)
		if err != nil {
			return effects{}, nil, types.TxStatusSuccess, err
		}
		nn.Slots = slices.DeleteFunc(nn.Slots, func(s types.NamespaceSlot) bool { return s.Name == name })
		fx.nodes = append(fx.nodes, nodeSlots{node: n.Node, slots: nn})
	}
	ev := types.NamespaceDeletedEvent{Name: name}
	data, err := ev.MarshalBorsh()
	if err != nil {
		return effects{}, nil, types.TxStatusSuccess, err
	}
	return fx, []types.Event{{Emitter: from, Topic: TopicNamespaceDeleted, Data: data}}, types.TxStatusSuccess, nil
}
