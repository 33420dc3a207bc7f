package mempool

import (
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// nsTx returns a signed NamespaceCreate of name on nodes nodes (nodes 255:
// a NamespaceDelete of name), from key i; mod edits it before signing.
func nsTx(t testing.TB, st *memState, i int, nonce uint64, name string, nodes uint8, mod func(*types.Transaction)) *types.Transaction {
	t.Helper()
	k := keys(t, st, i+1)[i]
	var data []byte
	var err error
	tx := &types.Transaction{From: k.Address(), Nonce: nonce, GasTipCap: 1, GasFeeCap: 20}
	if nodes == 255 {
		tx.Type, tx.GasLimit = types.TxTypeNamespaceDelete, params.GasNamespaceDelete
		data, err = (&types.NamespaceDeletePayload{Name: name}).MarshalBorsh()
	} else {
		tx.Type, tx.GasLimit = types.TxTypeNamespaceCreate, params.GasNamespaceCreate
		data, err = (&types.NamespaceCreatePayload{Name: name, Nodes: nodes}).MarshalBorsh()
	}
	if err != nil {
		t.Fatal(err)
	}
	tx.Data, tx.GasLimit = data, tx.GasLimit+uint64(len(data))
	if mod != nil {
		mod(tx)
	}
	return signTx(t, k, testChainID, tx)
}

// TestAdmissionNamespaces: the namespace types are admitted on their
// stateless rules alone (spec/state.md "Admission"): a bad name, too many
// nodes, a recipient or an amount are refused; a name taken or a delete by
// another account are not known here and fail in the block.
func TestAdmissionNamespaces(t *testing.T) {
	st := newState()
	p := New(Config{ChainID: testChainID}, st)
	mustAdd(t, p, nsTx(t, st, 0, 0, "demo", 0, nil))
	mustAdd(t, p, nsTx(t, st, 1, 0, "demo", 3, nil))   // the same name: decided in the block
	mustAdd(t, p, nsTx(t, st, 1, 1, "demo", 255, nil)) // a delete of another's: decided in the block
	wantErr(t, p.Add([]*types.Transaction{nsTx(t, st, 2, 0, "Demo", 0, nil)})[0], txrules.ErrInvalidNamespace)
	wantErr(t, p.Add([]*types.Transaction{nsTx(t, st, 2, 0, "a--b", 255, nil)})[0], txrules.ErrInvalidNamespace)
	wantErr(t, p.Add([]*types.Transaction{nsTx(t, st, 2, 0, "demo", 8, nil)})[0], txrules.ErrInvalidNamespace)
	wantErr(t, p.Add([]*types.Transaction{nsTx(t, st, 2, 0, "demo", 0, func(tx *types.Transaction) { tx.To[0] = 1 })})[0], txrules.ErrInvalidRecipient)
	wantErr(t, p.Add([]*types.Transaction{nsTx(t, st, 2, 0, "demo", 0, func(tx *types.Transaction) { tx.Amount = 1 })})[0], txrules.ErrInvalidAmount)
	wantErr(t, p.Add([]*types.Transaction{nsTx(t, st, 2, 0, "demo", 0, func(tx *types.Transaction) { tx.GasLimit-- })})[0], txrules.ErrGasLimitTooLow)
	if p.Len() != 3 {
		t.Fatalf("pool holds %d, want 3", p.Len())
	}
	checkInvariants(t, p)
}
