package smt

import (
	"bytes"
	"math/bits"
	"runtime"
	"slices"
	"sort"
)

// op is one change in a commit, or an existing leaf carried along while a
// subtree is rebuilt.
type op struct {
	path      [HashSize]byte
	valueHash [HashSize]byte
	value     []byte // nil: delete (unless existing)
	existing  bool   // an unchanged leaf (inline if value is set, else stored under hash)
	hash      [HashSize]byte
}

// nodeWrite is a stored node created by a commit.
type nodeWrite struct {
	hash [HashSize]byte
	enc  []byte
}

// committer applies one sorted set of changes to a tree in a single
// recursive pass over binary nodes; pages are only how nodes are read and
// written.
//
// Invariant that keeps the stale list exact without a set difference: an
// internal node's hash fixes its place in the tree (its leaves' paths fix the
// depth where they split), so a node created by a commit never equals one the
// commit removes. Only leaves can move (when a sibling goes away the leaf
// shortcut rises). A leaf stored under its own hash keeps that entry when it
// moves or is set to the value it already has, and is recorded as stale only
// when it leaves the tree; an inline leaf has no entry of its own and moves
// with the pages it is written into. A leaf that becomes the root has no page
// and is stored under its hash (Commit).
type committer struct {
	t        *Tree
	version  uint64
	parDepth int              // update subtrees concurrently above this depth
	pages    []ref            // roots of new pages, children first
	depths   []int            // the depth of each of pages
	leaves   []nodeWrite      // new leaves
	stale    [][HashSize]byte // replaced page roots and leaves
	pg       page             // scratch for reading pages
}

// Commit applies the staged changes as version and returns the new root.
//
// The changes are sorted by path and the changed subtrees rebuilt in one
// recursive pass: every page on a changed path is read once, every new node
// hashed once, and all new pages and leaves (and the stale record) written in
// one batch. Unless the tree was opened WithoutStaleRecords, the pages and
// leaves the commit replaced are recorded under version for Prune. Versions
// must increase along each namespace's chain of commits, with one commit per
// version (see Prune).
//
// On error the tree keeps its root and its staged changes.
func (t *Tree) Commit(version uint64) ([HashSize]byte, error) {
	if len(t.pending) == 0 {
		return t.root.hash, nil
	}
	ops := make([]op, 0, len(t.pending))
	for p, o := range t.pending {
		ops = append(ops, op{path: p, value: o.value, valueHash: o.valueHash})
	}
	slices.SortFunc(ops, func(a, b op) int { return bytes.Compare(a.path[:], b.path[:]) })

	// Split the work near the root over about GOMAXPROCS goroutines.
	c := &committer{t: t, version: version, parDepth: bits.Len(uint(runtime.GOMAXPROCS(0) - 1))}
	root, err := c.update(t.root, 0, ops)
	if err != nil {
		return t.root.hash, err
	}
	root.node = nil // let the commit's nodes go
	if root.hash == t.root.hash {
		t.pending = nil
		return root.hash, nil
	}
	if root.kind == kindLeaf && root.value != nil {
		// A one-key tree: its leaf has no page to live in.
		c.leaves = append(c.leaves, nodeWrite{root.hash, encodeLeaf(version, &root.path, &root.valueHash, root.value)})
		root.value = nil
	}
	if err := c.write(root); err != nil {
		return t.root.hash, err
	}
	if t.pages != nil {
		// The next commit on this path reads these pages first.
		for i := range c.pages {
			t.pages.put(&c.pages[i].hash, c.depths[i], c.pages[i].node)
		}
	}
	t.root = root
	t.pending = nil
	return root.hash, nil
}

// write stores the new pages and leaves and the stale record in one batch.
func (c *committer) write(root ref) error {
	t := c.t
	batch := t.store.NewBatch()
	err := func() error {
		// One buffer for all pages (each batch entry a capped slice of it,
		// so growing it leaves them intact); the batch owns it until
		// written. Pages holding inline leaves run to several hundred bytes.
		buf := make([]byte, 0, 512*len(c.pages))
		for i := range c.pages {
			start := len(buf)
			var err error
			if buf, err = appendPage(buf, c.version, &c.pages[i]); err != nil {
				return err
			}
			if err := batch.Set(nodeKey(t.ns, &c.pages[i].hash), buf[start:len(buf):len(buf)]); err != nil {
				return err
			}
		}
		for i := range c.leaves {
			if err := batch.Set(nodeKey(t.ns, &c.leaves[i].hash), c.leaves[i].enc); err != nil {
				return err
			}
		}
		if t.noStale || len(c.stale) == 0 {
			return nil
		}
		rec := make([]byte, 0, len(c.stale)*HashSize)
		for i := range c.stale {
			rec = append(rec, c.stale[i][:]...)
		}
		return batch.Set(staleKey(c.version, t.ns, &t.root.hash, &root.hash), rec)
	}()
	if err != nil {
		batch.Discard()
		return err
	}
	return batch.Write()
}

// children returns the children of the internal node n at depth, reading
// its page unless n is in memory already.
func (c *committer) children(n ref, depth int) (l, r ref, err error) {
	if n.node == nil && c.t.pages != nil {
		n.node = c.t.pages.get(&n.hash, depth)
	}
	if n.node == nil {
		if err := c.t.loadPage(&c.pg, &n.hash, depth, true); err != nil {
			return l, r, err
		}
		n.node = &c.pg.inMemory()[0]
		if c.t.pages != nil {
			c.t.pages.put(&n.hash, depth, n.node)
		}
	}
	return n.node.child[0], n.node.child[1], nil
}

// update applies ops (sorted, all sharing n's path prefix of depth bits) to
// the subtree n at depth and returns the new subtree.
func (c *committer) update(n ref, depth int, ops []op) (ref, error) {
	if len(ops) == 0 {
		return n, nil
	}
	switch n.kind {
	case kindEmpty:
		return c.build(depth, setsOnly(ops)), nil
	case kindLeaf:
		items, changed := c.mergeLeaf(ops, n)
		if !changed {
			return n, nil
		}
		return c.build(depth, items), nil
	}
	l, r, err := c.children(n, depth)
	if err != nil {
		return n, err
	}
	i := split(ops, depth)
	var nl, nr ref
	if depth < c.parDepth && min(i, len(ops)-i) >= minParallelOps {
		nl, nr, err = c.updateBoth(l, r, depth+1, ops[:i], ops[i:])
	} else {
		if nl, err = c.update(l, depth+1, ops[:i]); err == nil {
			nr, err = c.update(r, depth+1, ops[i:])
		}
	}
	if err != nil {
		return n, err
	}
	if nl.hash == l.hash && nr.hash == r.hash {
		return n, nil
	}
	if depth%pageLevels == 0 {
		c.stale = append(c.stale, n.hash) // its page is replaced
	}
	return c.combine(nl, nr, depth), nil
}

// minParallelOps is the fewest changes on each side of a node near the root
// for which Commit updates the two subtrees concurrently: page reads (the
// bulk of a commit) then overlap.
const minParallelOps = 64

// updateBoth updates sibling subtrees l and r at depth concurrently and
// gathers what the other goroutine wrote into c.
func (c *committer) updateBoth(l, r ref, depth int, lops, rops []op) (nl, nr ref, err error) {
	sub := &committer{t: c.t, version: c.version, parDepth: c.parDepth}
	var lerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		nl, lerr = sub.update(l, depth, lops)
	}()
	nr, err = c.update(r, depth, rops)
	<-done
	if err == nil {
		err = lerr
	}
	c.pages = append(c.pages, sub.pages...)
	c.depths = append(c.depths, sub.depths...)
	c.leaves = append(c.leaves, sub.leaves...)
	c.stale = append(c.stale, sub.stale...)
	return nl, nr, err
}

// mergeLeaf returns the leaves of a subtree that held only the existing leaf
// once ops are applied, sorted by path, and whether anything changed. The
// leaf's path comes from its parent, so the leaf is not read.
func (c *committer) mergeLeaf(ops []op, leaf ref) ([]op, bool) {
	keep := op{path: leaf.path, existing: true, hash: leaf.hash, valueHash: leaf.valueHash, value: leaf.value}
	i, found := sort.Find(len(ops), func(i int) int { return bytes.Compare(leaf.path[:], ops[i].path[:]) })
	if found {
		o := &ops[i]
		if o.value != nil && LeafHash(o.path, o.valueHash) == leaf.hash {
			o = &keep // set to the value it already has
		} else if leaf.value == nil {
			c.stale = append(c.stale, leaf.hash) // its own entry goes
		}
		items := make([]op, 0, len(ops))
		items = append(items, setsOnly(ops[:i])...)
		if o.existing || o.value != nil {
			items = append(items, *o)
		}
		items = append(items, setsOnly(ops[i+1:])...)
		return items, !(len(items) == 1 && items[0].existing)
	}
	items := make([]op, 0, len(ops)+1)
	items = append(items, setsOnly(ops[:i])...)
	items = append(items, keep)
	items = append(items, setsOnly(ops[i:])...)
	return items, len(items) > 1
}

// build returns the canonical subtree at depth holding exactly items (sorted,
// all present, sharing a depth-bit prefix).
func (c *committer) build(depth int, items []op) ref {
	switch len(items) {
	case 0:
		return emptyRef
	case 1:
		it := &items[0]
		if it.existing {
			return ref{hash: it.hash, path: it.path, valueHash: it.valueHash, value: it.value, kind: kindLeaf}
		}
		h := LeafHash(it.path, it.valueHash)
		if len(it.value) <= maxInlineValue {
			return ref{hash: h, path: it.path, valueHash: it.valueHash, value: it.value, kind: kindLeaf}
		}
		c.leaves = append(c.leaves, nodeWrite{h, encodeLeaf(c.version, &it.path, &it.valueHash, it.value)})
		return ref{hash: h, path: it.path, kind: kindLeaf}
	}
	i := split(items, depth)
	return c.combine(c.build(depth+1, items[:i]), c.build(depth+1, items[i:]), depth)
}

// combine returns the node at depth over children l and r, applying the
// collapse rule: a subtree with one leaf is that leaf, with none the empty
// hash.
func (c *committer) combine(l, r ref, depth int) ref {
	switch {
	case l.kind == kindEmpty && r.kind != kindInternal:
		return r
	case r.kind == kindEmpty && l.kind != kindInternal:
		return l
	}
	n := ref{hash: InternalHash(l.hash, r.hash), kind: kindInternal, node: &inode{child: [2]ref{l, r}}}
	if depth%pageLevels == 0 {
		c.pages = append(c.pages, n)
		c.depths = append(c.depths, depth)
	}
	return n
}

// split returns the index of the first op whose path has bit depth set.
func split(ops []op, depth int) int {
	return sort.Search(len(ops), func(i int) bool { return bit(&ops[i].path, depth) == 1 })
}

// setsOnly returns ops without deletes, reusing ops when it has none.
func setsOnly(ops []op) []op {
	n := 0
	for i := range ops {
		if ops[i].value != nil || ops[i].existing {
			n++
		}
	}
	if n == len(ops) {
		return ops
	}
	out := make([]op, 0, n)
	for i := range ops {
		if ops[i].value != nil || ops[i].existing {
			out = append(out, ops[i])
		}
	}
	return out
}
