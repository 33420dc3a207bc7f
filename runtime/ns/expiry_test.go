package ns

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// TestExpiredFirstN: the expired entries an entry deletes are exactly the
// first n of the merged view (store, batch, entry) in (expires, key)
// order, however the writes are split between the layers: a node (batches
// of up to 256) and a verifier (1,000) must delete the same ones. Checked
// against a model over random layers, many of whose keys shadow the
// layers below (deleted, given another expiry, made permanent).
func TestExpiredFirstN(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 300; round++ {
		model := map[string]uint64{} // key -> expires (0: never); absent: no entry
		store := smt.NewMemStore()
		// A committed base.
		bo := newOverlay(base{store})
		layer := func(o *overlay, writes int) {
			for i := 0; i < writes; i++ {
				k := fmt.Sprintf("k%03d", rng.IntN(200))
				switch rng.IntN(5) {
				case 0:
					o.ch[k] = nil
					delete(model, k)
				case 1:
					o.ch[k] = &types.CacheValue{Value: []byte("v")}
					model[k] = 0
				default:
					at := uint64(1 + rng.IntN(40))
					o.ch[k] = &types.CacheValue{Expires: at, Value: []byte("v")}
					model[k] = at
				}
			}
		}
		layer(bo, rng.IntN(300))
		b := store.NewBatch()
		if err := bo.flush(b); err != nil {
			t.Fatal(err)
		}
		if err := b.Write(); err != nil {
			t.Fatal(err)
		}
		batch := newOverlay(base{store})
		layer(batch, rng.IntN(60))
		eo := newOverlay(batch)
		layer(eo, rng.IntN(10))
		ts, n := uint64(rng.IntN(45)), 1+rng.IntN(30)
		got, err := eo.expired(ts, n)
		if err != nil {
			t.Fatal(err)
		}
		var want []expiredKey
		for k, at := range model {
			if at != 0 && at <= ts {
				want = append(want, expiredKey{at: at, key: []byte(k)})
			}
		}
		sortExpired(want)
		if len(want) > n {
			want = want[:n]
		}
		if len(got) != len(want) {
			t.Fatalf("round %d (ts %d, n %d): %d expired, model %d", round, ts, n, len(got), len(want))
		}
		for i := range want {
			if got[i].at != want[i].at || !bytes.Equal(got[i].key, want[i].key) {
				t.Fatalf("round %d: #%d is %d/%s, model %d/%s", round, i, got[i].at, got[i].key, want[i].at, want[i].key)
			}
		}
	}
}
