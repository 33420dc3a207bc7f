package smt

import "sort"

// refTree is the dumb reference: it computes every one of the 256 levels of
// the tree bottom-up from a key/value set, applying the spec's rules level by
// level, with no storage and no incremental updates. levels[d] maps a
// depth-d prefix (the path with bits d.. cleared) to the subtree under it.
type refTree struct {
	levels [Depth + 1]map[[HashSize]byte]refNode
}

type refNode struct {
	hash [HashSize]byte
	keys int        // number of keys in the subtree
	leaf *ProofLeaf // the key, when keys == 1
}

func prefixOf(p [HashSize]byte, d int) [HashSize]byte {
	if d == Depth {
		return p
	}
	p[d/8] &= ^byte(0xff >> (d % 8)) // keep bits before d in byte d/8
	for i := d/8 + 1; i < HashSize; i++ {
		p[i] = 0
	}
	return p
}

func newRefTree(m map[string][]byte) *refTree {
	r := &refTree{}
	r.levels[Depth] = map[[HashSize]byte]refNode{}
	for k, v := range m {
		p, vh := Path([]byte(k)), ValueHash(v)
		r.levels[Depth][p] = refNode{hash: LeafHash(p, vh), keys: 1, leaf: &ProofLeaf{p, vh}}
	}
	for d := Depth - 1; d >= 0; d-- {
		// Group the children at level d+1 under their parents at level d.
		type pair struct{ l, r *refNode }
		children := r.levels[d+1]
		parents := make(map[[HashSize]byte]pair, len(children))
		for p := range children {
			n := children[p]
			pp := prefixOf(p, d)
			c := parents[pp]
			if bit(&p, d) == 0 {
				c.l = &n
			} else {
				c.r = &n
			}
			parents[pp] = c
		}
		r.levels[d] = make(map[[HashSize]byte]refNode, len(parents))
		for pp, c := range parents {
			switch {
			case c.l == nil && c.r.keys == 1:
				r.levels[d][pp] = *c.r // one key below: the leaf rises
			case c.r == nil && c.l.keys == 1:
				r.levels[d][pp] = *c.l
			default:
				var lh, rh [HashSize]byte
				keys := 0
				if c.l != nil {
					lh, keys = c.l.hash, keys+c.l.keys
				}
				if c.r != nil {
					rh, keys = c.r.hash, keys+c.r.keys
				}
				r.levels[d][pp] = refNode{hash: InternalHash(lh, rh), keys: keys}
			}
		}
	}
	return r
}

func (r *refTree) root() [HashSize]byte { return r.levels[0][EmptyRoot].hash }

// proof returns the proof for key read off the levels, and whether key is in
// the tree.
func (r *refTree) proof(key []byte) (Proof, bool) {
	var p Proof
	path := Path(key)
	for d := 0; ; d++ {
		n, ok := r.levels[d][prefixOf(path, d)]
		if !ok {
			return p, false
		}
		if n.keys == 1 {
			if n.leaf.Path == path {
				return p, true
			}
			l := *n.leaf
			p.Leaf = &l
			return p, false
		}
		sibPath := path
		sibPath[d/8] ^= 0x80 >> (d % 8)
		if s, ok := r.levels[d+1][prefixOf(sibPath, d+1)]; ok {
			setBit(&p.Bitmap, d)
			p.Siblings = append(p.Siblings, s.hash)
		}
	}
}

// sortedKeys returns m's keys in order, for deterministic iteration.
func sortedKeys(m map[string][]byte) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
