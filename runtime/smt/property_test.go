package smt

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand"
	"reflect"
	"slices"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// Key and value spaces are small so that generated operations overwrite,
// delete and re-create the same keys and values often.
const (
	keySpace = 48
	valSpace = 6
)

func keyOf(i uint8) []byte { return []byte(fmt.Sprintf("key-%d", int(i)%keySpace)) }

// valOf's last value is too large to be stored inline in a page, so trees
// mix inline leaves and leaves stored under their own hash.
func valOf(i uint8) []byte {
	v := []byte(fmt.Sprintf("value-%d", int(i)%valSpace))
	if int(i)%valSpace == valSpace-1 {
		v = append(v, bytes.Repeat([]byte{'.'}, maxInlineValue)...)
	}
	return v
}

// tOp is one generated change: Del, or set Key to Val.
type tOp struct {
	Key, Val uint8
	Del      bool
}

func genOp() gopter.Gen {
	return gen.Struct(reflect.TypeOf(tOp{}), map[string]gopter.Gen{
		"Key": gen.UInt8(),
		"Val": gen.UInt8(),
		"Del": gen.Weighted([]gen.WeightedGen{{Weight: 3, Gen: gen.Const(false)}, {Weight: 1, Gen: gen.Const(true)}}),
	})
}

func genOps() gopter.Gen    { return gen.SliceOf(genOp()) }
func genBlocks() gopter.Gen { return gen.SliceOf(gen.SliceOf(genOp())) }

func params() *gopter.TestParameters {
	p := gopter.DefaultTestParameters()
	p.MinSuccessfulTests = 150
	p.MaxSize = 40
	return p
}

func (o tOp) stage(tr *Tree) error {
	if o.Del {
		return tr.Delete(keyOf(o.Key))
	}
	return tr.Update(keyOf(o.Key), valOf(o.Val))
}

func (o tOp) apply(m map[string][]byte) {
	if o.Del {
		delete(m, string(keyOf(o.Key)))
	} else {
		m[string(keyOf(o.Key))] = valOf(o.Val)
	}
}

func mustOpen(t testing.TB, s Store, root [HashSize]byte, opts ...Option) *Tree {
	t.Helper()
	tr, err := Open(s, root, opts...)
	if err != nil {
		t.Fatalf("Open(%x): %v", root, err)
	}
	return tr
}

// checkState returns "" if tr holds exactly m: every key of the key space
// reads as in m, proves inclusion or non-existence, and its proof is the one
// the reference tree gives; and the root is the reference root.
func checkState(tr *Tree, m map[string][]byte) string {
	return checkStateRef(tr, m, newRefTree(m))
}

// checkStateRef is checkState with the reference tree of m built already.
func checkStateRef(tr *Tree, m map[string][]byte, ref *refTree) string {
	if tr.Root() != ref.root() {
		return fmt.Sprintf("root %x, reference %x", tr.Root(), ref.root())
	}
	for i := range keySpace {
		k := keyOf(uint8(i))
		want, present := m[string(k)]
		got, err := tr.Get(k)
		switch {
		case present && (err != nil || !bytes.Equal(got, want)):
			return fmt.Sprintf("Get(%s) = %q, %v; want %q", k, got, err, want)
		case !present && !errors.Is(err, ErrNotFound):
			return fmt.Sprintf("Get(%s) = %q, %v; want ErrNotFound", k, got, err)
		}
		p, err := tr.Prove(k)
		if err != nil {
			return fmt.Sprintf("Prove(%s): %v", k, err)
		}
		refP, refIn := ref.proof(k)
		if refIn != present || !proofEqual(p, refP) {
			return fmt.Sprintf("Prove(%s) = %+v, reference %+v", k, p, refP)
		}
		enc, err := p.MarshalBinary()
		if err != nil {
			return fmt.Sprintf("MarshalBinary(%s): %v", k, err)
		}
		var dec Proof
		if err := dec.UnmarshalBinary(enc); err != nil || !proofEqual(dec, p) {
			return fmt.Sprintf("proof round trip for %s: %v", k, err)
		}
		root := tr.Root()
		if present {
			if err := VerifyInclusion(root, k, want, dec); err != nil {
				return fmt.Sprintf("VerifyInclusion(%s): %v", k, err)
			}
			if err := VerifyInclusion(root, k, append(want, '!'), dec); !errors.Is(err, ErrRootMismatch) {
				return fmt.Sprintf("VerifyInclusion(%s, wrong value) = %v", k, err)
			}
			if err := VerifyNonExistence(root, k, dec); !errors.Is(err, ErrInvalidProof) {
				return fmt.Sprintf("VerifyNonExistence(present %s) = %v", k, err)
			}
		} else {
			if err := VerifyNonExistence(root, k, dec); err != nil {
				return fmt.Sprintf("VerifyNonExistence(%s): %v", k, err)
			}
			if err := VerifyInclusion(root, k, valOf(0), dec); !errors.Is(err, ErrInvalidProof) {
				return fmt.Sprintf("VerifyInclusion(absent %s) = %v", k, err)
			}
		}
	}
	return ""
}

func proofEqual(a, b Proof) bool {
	if a.Bitmap != b.Bitmap || !slices.Equal(a.Siblings, b.Siblings) || (a.Leaf == nil) != (b.Leaf == nil) {
		return false
	}
	return a.Leaf == nil || *a.Leaf == *b.Leaf
}

// reachable returns the key of every stored node (page or leaf) reachable
// from tr's root, checking that each decodes canonically, hashes to its key,
// and that pages start at the right depths; inline leaves are checked too,
// and are not stored nodes.
func reachable(t testing.TB, tr *Tree) map[[HashSize]byte]bool {
	t.Helper()
	seen := map[[HashSize]byte]bool{}
	var walk func(n ref, depth int)
	walk = func(n ref, depth int) {
		switch n.kind {
		case kindEmpty:
			return
		case kindLeaf:
			if n.value != nil { // inline: part of its page, no entry of its own
				if depth == 0 || len(n.value) > maxInlineValue || ValueHash(n.value) != n.valueHash ||
					LeafHash(n.path, n.valueHash) != n.hash {
					t.Fatalf("inline leaf %x at depth %d: bad", n.hash, depth)
				}
				return
			}
			l, err := tr.loadLeaf(&n.hash)
			if err != nil {
				t.Fatal(err)
			}
			if LeafHash(l.path, l.valueHash) != n.hash || ValueHash(l.value) != l.valueHash {
				t.Fatalf("leaf %x does not hash to its key", n.hash)
			}
			if depth > 0 && l.path != n.path {
				t.Fatalf("leaf %x: path %x in its parent, %x stored", n.hash, n.path, l.path)
			}
		default:
			pg := new(page)
			if err := tr.loadPage(pg, &n.hash, depth, true); err != nil { // checks the hashes
				t.Fatal(err)
			}
			var inPage func(i, d int)
			inPage = func(i, d int) {
				for side, c := range pg.nodes[i].child {
					if j := pg.nodes[i].inner[side]; j >= 0 {
						inPage(int(j), d+1)
					} else {
						walk(c, d+1)
					}
				}
			}
			inPage(0, depth)
		}
		seen[n.hash] = true
	}
	walk(tr.root, 0)
	return seen
}

// storedNodes returns the hashes of the nodes stored in namespace ns.
func storedNodes(t testing.TB, s Store, ns []byte) map[[HashSize]byte]bool {
	t.Helper()
	out := map[[HashSize]byte]bool{}
	prefix := append([]byte{prefixNode, byte(len(ns))}, ns...)
	err := s.Scan(prefix, func(k, _ []byte) (bool, error) {
		if len(k) == len(prefix)+HashSize {
			out[[HashSize]byte(k[len(prefix):])] = true
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPropRootIndependentOfOrder(t *testing.T) {
	properties := gopter.NewProperties(params())
	properties.Property("same set in any order, one commit per update or one batch, gives the reference root",
		prop.ForAll(func(ops []tOp, seed int64) string {
			// Keep each key's first value so every order sets the same pairs.
			m := map[string][]byte{}
			var sets []tOp
			for _, o := range ops {
				if _, dup := m[string(keyOf(o.Key))]; !dup {
					o.Del = false
					o.apply(m)
					sets = append(sets, o)
				}
			}
			shuffled := append([]tOp(nil), sets...)
			rand.New(rand.NewSource(seed)).Shuffle(len(shuffled), func(i, j int) {
				shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
			})
			var roots [][HashSize]byte
			for _, order := range [][]tOp{sets, shuffled} {
				tr := mustOpen(t, NewMemStore(), EmptyRoot)
				for v, o := range order {
					if err := o.stage(tr); err != nil {
						return err.Error()
					}
					if _, err := tr.Commit(uint64(v + 1)); err != nil {
						return err.Error()
					}
				}
				roots = append(roots, tr.Root())
			}
			tr := mustOpen(t, NewMemStore(), EmptyRoot)
			for _, o := range shuffled {
				_ = o.stage(tr)
			}
			if _, err := tr.Commit(1); err != nil {
				return err.Error()
			}
			roots = append(roots, tr.Root())
			want := newRefTree(m).root()
			for i, r := range roots {
				if r != want {
					return fmt.Sprintf("root %d = %x, reference %x", i, r, want)
				}
			}
			return ""
		}, genOps(), gen.Int64()))
	properties.TestingRun(t)
}

func TestPropProofs(t *testing.T) {
	properties := gopter.NewProperties(params())
	properties.Property("present keys prove inclusion, absent keys non-existence, as the reference does",
		prop.ForAll(func(blocks [][]tOp) string {
			tr := mustOpen(t, NewMemStore(), EmptyRoot)
			m := map[string][]byte{}
			if msg := checkState(tr, m); msg != "" {
				return "empty tree: " + msg
			}
			for v, b := range blocks {
				for _, o := range b {
					_ = o.stage(tr)
					o.apply(m)
				}
				if _, err := tr.Commit(uint64(v + 1)); err != nil {
					return err.Error()
				}
				if msg := checkState(tr, m); msg != "" {
					return fmt.Sprintf("block %d: %s", v, msg)
				}
			}
			return ""
		}, genBlocks()))
	properties.TestingRun(t)
}

func TestPropDeleteRestoresRoot(t *testing.T) {
	properties := gopter.NewProperties(params())
	properties.Property("setting then deleting other keys restores the root and the node set",
		prop.ForAll(func(base, extra []tOp, batched bool) string {
			tr := mustOpen(t, NewMemStore(), EmptyRoot)
			for _, o := range base {
				o.Del = false
				_ = o.stage(tr)
			}
			if _, err := tr.Commit(1); err != nil {
				return err.Error()
			}
			r0, nodes0 := tr.Root(), reachable(t, tr)
			// Extra keys are those base does not set.
			inBase := map[string]bool{}
			for _, o := range base {
				inBase[string(keyOf(o.Key))] = true
			}
			v := uint64(2)
			var added [][]byte
			for _, o := range extra {
				if k := keyOf(o.Key); !inBase[string(k)] {
					_ = tr.Update(k, valOf(o.Val))
					added = append(added, k)
					if _, err := tr.Commit(v); err != nil {
						return err.Error()
					}
					v++
				}
			}
			for _, k := range added {
				_ = tr.Delete(k)
				if !batched {
					if _, err := tr.Commit(v); err != nil {
						return err.Error()
					}
					v++
				}
			}
			if _, err := tr.Commit(v); err != nil {
				return err.Error()
			}
			if tr.Root() != r0 {
				return fmt.Sprintf("root %x after deletes, was %x", tr.Root(), r0)
			}
			if !maps.Equal(reachable(t, tr), nodes0) {
				return "node set differs after deletes"
			}
			return ""
		}, genOps(), genOps(), gen.Bool()))
	properties.TestingRun(t)
}

func TestPropBatchEqualsSequence(t *testing.T) {
	properties := gopter.NewProperties(params())
	properties.Property("one commit of many changes equals one commit per change",
		prop.ForAll(func(prefix, ops []tOp) string {
			m := map[string][]byte{}
			seq := mustOpen(t, NewMemStore(), EmptyRoot)
			batch := mustOpen(t, NewMemStore(), EmptyRoot)
			ub := mustOpen(t, NewMemStore(), EmptyRoot)
			for _, tr := range []*Tree{seq, batch, ub} {
				for _, o := range prefix {
					_ = o.stage(tr)
				}
				if _, err := tr.Commit(1); err != nil {
					return err.Error()
				}
			}
			var keys, vals [][]byte
			for i, o := range ops {
				o.apply(m)
				_ = o.stage(seq)
				if _, err := seq.Commit(uint64(i + 2)); err != nil {
					return err.Error()
				}
				_ = o.stage(batch)
				if !o.Del {
					keys, vals = append(keys, keyOf(o.Key)), append(vals, valOf(o.Val))
				}
			}
			if _, err := batch.Commit(2); err != nil {
				return err.Error()
			}
			if seq.Root() != batch.Root() {
				return fmt.Sprintf("sequence root %x, batch root %x", seq.Root(), batch.Root())
			}
			// UpdateBatch with the sets only, against single updates of the same.
			ubSeq := mustOpen(t, seq.store, EmptyRoot)
			for _, o := range prefix {
				_ = o.stage(ubSeq)
			}
			_, _ = ubSeq.Commit(1)
			for i := range keys {
				_ = ubSeq.Update(keys[i], vals[i])
				if _, err := ubSeq.Commit(uint64(i + 2)); err != nil {
					return err.Error()
				}
			}
			got, err := ub.UpdateBatch(2, keys, vals)
			if err != nil {
				return err.Error()
			}
			if got != ubSeq.Root() {
				return fmt.Sprintf("UpdateBatch root %x, sequence %x", got, ubSeq.Root())
			}
			return ""
		}, genOps(), genOps()))
	properties.TestingRun(t)
}

func TestPropOldRootsReadable(t *testing.T) {
	properties := gopter.NewProperties(params())
	properties.Property("every earlier root still reads its own values after newer commits",
		prop.ForAll(func(blocks [][]tOp) string {
			store := NewMemStore()
			tr := mustOpen(t, store, EmptyRoot)
			m := map[string][]byte{}
			type snap struct {
				root [HashSize]byte
				m    map[string][]byte
			}
			snaps := []snap{{EmptyRoot, maps.Clone(m)}}
			for v, b := range blocks {
				for _, o := range b {
					_ = o.stage(tr)
					o.apply(m)
				}
				root, err := tr.Commit(uint64(v + 1))
				if err != nil {
					return err.Error()
				}
				snaps = append(snaps, snap{root, maps.Clone(m)})
			}
			for h, s := range snaps {
				old, err := Open(store, s.root)
				if err != nil {
					return fmt.Sprintf("Open(height %d): %v", h, err)
				}
				if msg := checkState(old, s.m); msg != "" {
					return fmt.Sprintf("height %d: %s", h, msg)
				}
			}
			return ""
		}, genBlocks()))
	properties.TestingRun(t)
}

func TestPropPruneKeepsLastK(t *testing.T) {
	properties := gopter.NewProperties(params())
	properties.Property("Prune(v-K+1) keeps exactly the nodes of the last K versions, per namespace",
		prop.ForAll(func(blocks [][]tOp, k8 uint8) string {
			keep := int(k8%4) + 1
			store := NewMemStore()
			// The nested tree replays the global tree's blocks one version
			// late: the two namespaces hold identical nodes at different
			// versions, which pruning must keep apart.
			nested := []byte("contract-1")
			global := mustOpen(t, store, EmptyRoot)
			inner := mustOpen(t, store, EmptyRoot, WithNamespace(nested))
			type snap struct {
				global, inner [HashSize]byte
				gm, im        map[string][]byte
				gref, iref    *refTree
			}
			gm, im := map[string][]byte{}, map[string][]byte{}
			empty := newRefTree(gm)
			snaps := []snap{{EmptyRoot, EmptyRoot, maps.Clone(gm), maps.Clone(im), empty, empty}}
			for i := range len(blocks) + 1 {
				v := uint64(i + 1)
				if i < len(blocks) {
					for _, o := range blocks[i] {
						_ = o.stage(global)
						o.apply(gm)
					}
				}
				if i > 0 {
					for _, o := range blocks[i-1] {
						_ = o.stage(inner)
						o.apply(im)
					}
				}
				if _, err := global.Commit(v); err != nil {
					return err.Error()
				}
				if _, err := inner.Commit(v); err != nil {
					return err.Error()
				}
				snaps = append(snaps, snap{global.Root(), inner.Root(), maps.Clone(gm), maps.Clone(im),
					newRefTree(gm), newRefTree(im)})
				upto := int(v) - keep + 1
				if upto < 0 {
					continue
				}
				if _, err := Prune(store, uint64(upto)); err != nil {
					return err.Error()
				}
				// Versions upto..v must read in full; the store must hold
				// nothing else.
				wantG, wantI := map[[HashSize]byte]bool{}, map[[HashSize]byte]bool{}
				for h := upto; h <= int(v); h++ {
					s := snaps[h]
					g := mustOpen(t, store, s.global)
					n := mustOpen(t, store, s.inner, WithNamespace(nested))
					if msg := checkStateRef(g, s.gm, s.gref); msg != "" {
						return fmt.Sprintf("after Prune(%d), global version %d: %s", upto, h, msg)
					}
					if msg := checkStateRef(n, s.im, s.iref); msg != "" {
						return fmt.Sprintf("after Prune(%d), nested version %d: %s", upto, h, msg)
					}
					maps.Copy(wantG, reachable(t, g))
					maps.Copy(wantI, reachable(t, n))
				}
				if got := storedNodes(t, store, nil); !maps.Equal(got, wantG) {
					return fmt.Sprintf("after Prune(%d): %d global nodes stored, %d live", upto, len(got), len(wantG))
				}
				if got := storedNodes(t, store, nested); !maps.Equal(got, wantI) {
					return fmt.Sprintf("after Prune(%d): %d nested nodes stored, %d live", upto, len(got), len(wantI))
				}
			}
			return ""
		}, genBlocks(), gen.UInt8()))
	properties.TestingRun(t)
}
