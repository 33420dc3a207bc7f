package ns

import (
	"context"
	"fmt"
	"math"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/host"
)

// call is one contract call's view of the namespace: the host functions of
// generated/host over an overlay of the entry's state, with the same
// semantics as runtime/host's reference Env (spec/contracts.md): the cache
// sees only live entries at the entry's chain timestamp, contract state is
// scoped to the running contract, transfers move the running contract's
// balance. Storage reads are scoped by the namespace's blob index; the bytes
// come from the namespace's storage engine. A store failure is
// host_failure, which is never an outcome: the executor retries.
type call struct {
	ov      *overlay
	cc      host.CallContext
	out     host.Output // events and log lines (the lines are not kept: not state, not logged)
	storage Blobs
}

func (c *call) imports(db hostabi.DB) *hostabi.Imports {
	return &hostabi.Imports{
		DB:      db,
		Cache:   callCache{c},
		Storage: callStorage{c},
		State:   callState{c},
		Token:   callToken{c},
		Context: host.Context{CC: &c.cc},
		Events:  &c.out,
		Log:     &c.out,
		Crypto:  host.Crypto{},
	}
}

func hostFailure(err error) error { return fmt.Errorf("%w: %w", hostabi.ErrHostFailure, err) }

type callCache struct{ c *call }

func (v callCache) live(en types.CacheValue) bool {
	return en.Expires == 0 || v.c.cc.BlockTimestamp < en.Expires
}

func (v callCache) Get(_ context.Context, key []byte) ([]byte, error) {
	en, ok, err := v.c.ov.cache(key)
	if err != nil {
		return nil, hostFailure(err)
	}
	if !ok || !v.live(en) {
		return nil, hostabi.ErrNotFound
	}
	return clone(en.Value), nil
}

func (v callCache) Set(_ context.Context, key, value []byte, ttl uint32) error {
	en := &types.CacheValue{Value: clone(value)}
	if ttl > 0 {
		if v.c.cc.BlockTimestamp > math.MaxUint64-uint64(ttl) {
			return fmt.Errorf("ns: cache expiry overflows")
		}
		en.Expires = v.c.cc.BlockTimestamp + uint64(ttl)
	}
	v.c.ov.ch[string(key)] = en
	return nil
}

func (v callCache) Delete(_ context.Context, key []byte) error {
	en, ok, err := v.c.ov.cache(key)
	if err != nil {
		return hostFailure(err)
	}
	v.c.ov.ch[string(key)] = nil
	if !ok || !v.live(en) {
		return hostabi.ErrNotFound
	}
	return nil
}

type callStorage struct{ c *call }

func (v callStorage) Put(_ context.Context, data []byte) ([]byte, error) {
	cid := abi.RawCID(data)
	v.c.ov.blobs[string(cid)] = clone(data)
	return cid, nil
}

func (v callStorage) Get(ctx context.Context, cid []byte) ([]byte, error) {
	if d, ok := v.c.ov.blobs[string(cid)]; ok {
		return clone(d), nil
	}
	in, err := v.c.ov.blob(cid)
	if err != nil {
		return nil, hostFailure(err)
	}
	if !in {
		return nil, hostabi.ErrNotFound // scoped: another namespace's object is absent here
	}
	if d, ok := pendingBlob(v.c.ov, cid); ok {
		return clone(d), nil
	}
	d, ok, err := v.c.storage.Get(ctx, cid)
	if err != nil {
		return nil, hostFailure(err)
	}
	if !ok {
		return nil, hostFailure(fmt.Errorf("object %x is in the blob index but not in storage", cid))
	}
	return d, nil
}

// pendingBlob finds an object put earlier in the batch and not yet written
// to the storage engine.
func pendingBlob(r reader, cid []byte) ([]byte, bool) {
	for {
		o, ok := r.(*overlay)
		if !ok {
			return nil, false
		}
		if d, ok := o.blobs[string(cid)]; ok {
			return d, true
		}
		r = o.parent
	}
}

type callState struct{ c *call }

func (v callState) Get(_ context.Context, key []byte) ([]byte, error) {
	val, ok, err := v.c.ov.state(v.c.cc.Contract, key)
	if err != nil {
		return nil, hostFailure(err)
	}
	if !ok {
		return nil, hostabi.ErrNotFound
	}
	return clone(val), nil
}

func (v callState) Set(_ context.Context, key, value []byte) error {
	val := clone(value)
	v.c.ov.st[stKey(v.c.cc.Contract, key)] = &val
	return nil
}

func (v callState) Delete(_ context.Context, key []byte) error {
	_, ok, err := v.c.ov.state(v.c.cc.Contract, key)
	if err != nil {
		return hostFailure(err)
	}
	if !ok {
		return hostabi.ErrNotFound
	}
	v.c.ov.st[stKey(v.c.cc.Contract, key)] = nil
	return nil
}

type callToken struct{ c *call }

func (v callToken) transfer(to types.Address, amount uint64, asset types.Asset) error {
	if amount == 0 {
		return hostabi.ErrInvalidAmount
	}
	from, _, err := v.c.ov.account(v.c.cc.Contract)
	if err != nil {
		return hostFailure(err)
	}
	if *balanceOf(&from, asset) < amount {
		return fmt.Errorf("%w: holds %d, sends %d", hostabi.ErrInsufficientBalance, *balanceOf(&from, asset), amount)
	}
	if to == v.c.cc.Contract {
		return nil
	}
	dest, _, err := v.c.ov.account(to)
	if err != nil {
		return hostFailure(err)
	}
	if *balanceOf(&dest, asset) > math.MaxUint64-amount {
		return fmt.Errorf("ns: balance of %x overflows", to)
	}
	*balanceOf(&from, asset) -= amount
	*balanceOf(&dest, asset) += amount
	v.c.ov.accounts[v.c.cc.Contract] = from
	v.c.ov.accounts[to] = dest
	return nil
}

func balanceOf(a *types.NsAccount, asset types.Asset) *uint64 {
	if asset == types.AssetBTC {
		return &a.BTC
	}
	return &a.Orama
}

func (v callToken) TransferOrama(_ context.Context, to types.Address, amount uint64) error {
	return v.transfer(to, amount, types.AssetOrama)
}

func (v callToken) TransferBTC(_ context.Context, to types.Address, amount uint64) error {
	return v.transfer(to, amount, types.AssetBTC)
}

func (v callToken) Balance(_ context.Context, a types.Address, asset types.Asset) (uint64, error) {
	acc, _, err := v.c.ov.account(a)
	if err != nil {
		return 0, hostFailure(err)
	}
	return *balanceOf(&acc, asset), nil
}

func clone(b []byte) []byte { return append([]byte{}, b...) }
