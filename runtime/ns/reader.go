package ns

import (
	"context"
	"fmt"

	"github.com/oramanetwork/orama-chain/generated/types"
)

// StateReader reads a namespace's committed state (for the API).
type StateReader struct {
	r       reader
	storage Blobs
}

// Account is an account inside the namespace (zero if it has none).
func (s StateReader) Account(a types.Address) (types.NsAccount, bool, error) { return s.r.account(a) }

// Supply is the value that entered and left the namespace.
func (s StateReader) Supply() (types.NsSupply, error) { return s.r.supply() }

// State is a contract's orama.state value.
func (s StateReader) State(contract types.Address, key []byte) ([]byte, bool, error) {
	return s.r.state(contract, key)
}

// Code is a module by code hash.
func (s StateReader) Code(h types.Hash) ([]byte, bool, error) { return s.r.code(h) }

// Blob is an object the namespace stored (absent if not in its index).
func (s StateReader) Blob(ctx context.Context, cid []byte) ([]byte, bool, error) {
	in, err := s.r.blob(cid)
	if err != nil || !in {
		return nil, false, err
	}
	d, ok, err := s.storage.Get(ctx, cid)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, fmt.Errorf("ns: object %x indexed but not stored", cid)
	}
	return d, true, nil
}
