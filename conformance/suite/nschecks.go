package suite

import (
	"net/url"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// liveNamespace is the namespace tx/namespaces creates and deletes.
const liveNamespace = "conformance-ns"

func namespaceCreatedEvent(from types.Address, name string, tier types.NamespaceTier, nodes []types.NamespaceNode) []types.Event {
	ev := types.NamespaceCreatedEvent{Name: name, Tier: tier, Owner: from, Nodes: nodes}
	data, _ := ev.MarshalBorsh()
	return []types.Event{{Emitter: from, Topic: "namespace_created", Data: data}}
}

func namespaceDeletedEvent(from types.Address, name string) []types.Event {
	ev := types.NamespaceDeletedEvent{Name: name}
	data, _ := ev.MarshalBorsh()
	return []types.Event{{Emitter: from, Topic: "namespace_deleted", Data: data}}
}

// checkNamespaces: a NamespaceCreate placed by spec/namespaces.md 9 on the
// live pool (the genesis validators), its event and its record over REST;
// a create of the same name and a delete by another account fail and pay;
// the owner's delete removes it. A bad name is refused at admission.
func (l *live) checkNamespaces(c *C) {
	k, other := testKey(keyNamespace), testKey(keyNsOther)
	owner := k.Address()
	pool := make([]types.Address, len(l.g.Validators))
	for i, v := range l.g.Validators {
		pool[i] = v.Address
	}
	// No other check creates namespaces: every slot of the pool is free.
	want, ok := placement(pool, nil, liveNamespace, 0)
	if !ok {
		c.Setupf("the live pool of %d validators cannot place a namespace", len(pool))
	}

	// A name the rules refuse never reaches a block (spec/state.md
	// "Admission": the type's stateless rules).
	l.nut.refused(c, sign(k, liveChainID, nsCreate(owner, "Bad_Name", types.NamespaceTierTier0, 0, 0)), 400, "invalid_transaction", "a namespace create with an invalid name")
	l.nut.refused(c, sign(k, liveChainID, nsCreate(owner, liveNamespace, types.NamespaceTierTier0, 8, 0)), 400, "invalid_transaction", "a namespace create on 8 nodes")

	create := sign(k, liveChainID, nsCreate(owner, liveNamespace, types.NamespaceTierTier0, 0, 0))
	if !l.nut.submit(c, create) {
		return
	}
	inc := l.final(c, create, types.TxStatusSuccess, namespaceCreatedEvent(owner, liveNamespace, types.NamespaceTierTier0, want))
	fee := inc.fee

	// The record over REST, and in the list by owner.
	path := "/v1/namespace/" + url.PathEscape(liveNamespace)
	var rec api.NamespaceRecord
	if l.nut.get(c, "getNamespace", path, &rec) {
		nodesOK := len(rec.Nodes) == len(want)
		for i := 0; nodesOK && i < len(want); i++ {
			nodesOK = rec.Nodes[i].Node == crypto.FormatAddress(want[i].Node) && rec.Nodes[i].Slot == int32(want[i].Slot)
		}
		if rec.Name != liveNamespace || rec.Tier != "Tier0" || rec.Owner != crypto.FormatAddress(owner) ||
			rec.CreatedHeight != u64s(inc.header.Height) || !nodesOK {
			c.Errorf("GET %s: %s; want owner %s, Tier0, created_height %d, nodes %s",
				path, jsonOf(rec), crypto.FormatAddress(owner), inc.header.Height, jsonOf(want))
		}
	}
	var page api.NamespacePage
	if l.nut.get(c, "listNamespaces", "/v1/namespaces?owner="+url.QueryEscape(crypto.FormatAddress(owner)), &page) &&
		(len(page.Namespaces) != 1 || page.Namespaces[0].Name != liveNamespace) {
		c.Errorf("GET /v1/namespaces?owner=%s: %s, want exactly %s", crypto.FormatAddress(owner), jsonOf(page), liveNamespace)
	}
	l.nut.fails(c, get("getNamespace", "/v1/namespace/Bad_Name"), 400, "invalid_namespace")
	l.nut.fails(c, get("listNamespaces", "/v1/namespaces?limit=0"), 400, "invalid_parameter")

	// The name is taken; only the owner deletes. Both fail and pay.
	taken := sign(other, liveChainID, nsCreate(other.Address(), liveNamespace, types.NamespaceTierTier0, 1, 0))
	notOwner := sign(other, liveChainID, nsDelete(other.Address(), liveNamespace, 1))
	for _, s := range []signed{taken, notOwner} {
		if !l.nut.submit(c, s) {
			return
		}
	}
	otherFee := l.final(c, taken, types.TxStatusNamespaceExists, nil).fee
	otherFee += l.final(c, notOwner, types.TxStatusNotOwner, nil).fee
	l.expectAccount(c, "failed namespace sender", other.Address(), fundedOrama-otherFee, fundedBTC, 2, "")

	del := sign(k, liveChainID, nsDelete(owner, liveNamespace, 1))
	if !l.nut.submit(c, del) {
		return
	}
	fee += l.final(c, del, types.TxStatusSuccess, namespaceDeletedEvent(owner, liveNamespace)).fee
	l.expectAccount(c, "namespace owner", owner, fundedOrama-fee, fundedBTC, 2, "")
	l.nut.fails(c, get("getNamespace", path), 404, "unknown_namespace")
	if l.nut.get(c, "listNamespaces", "/v1/namespaces?owner="+url.QueryEscape(crypto.FormatAddress(owner)), &page) && len(page.Namespaces) != 0 {
		c.Errorf("GET /v1/namespaces?owner=%s after the delete: %s", crypto.FormatAddress(owner), jsonOf(page))
	}
}
