package smt

import (
	"bytes"
	"fmt"
)

// MaxValueSize is the largest value a leaf may hold: 1 MiB.
const MaxValueSize = 1 << 20

// MaxNamespaceSize is the longest storage namespace (see WithNamespace).
const MaxNamespaceSize = 64

// Option configures a Tree at Open.
type Option func(*Tree) error

// WithNamespace keeps the tree's nodes under ns in the store, apart from the
// nodes of every other namespace. Give each tree that is pruned on its own
// timeline (each contract's storage tree, say) its own namespace: two trees
// with equal contents would otherwise share nodes, and pruning one would
// delete nodes the other still uses. The namespace changes no hash.
func WithNamespace(ns []byte) Option {
	return func(t *Tree) error {
		if len(ns) > MaxNamespaceSize {
			return ErrNamespaceTooLong
		}
		t.ns = bytes.Clone(ns)
		return nil
	}
}

// WithoutStaleRecords stops Commit from writing stale-node records: for an
// archive that never prunes. Prune then reclaims nothing this tree replaces.
func WithoutStaleRecords() Option {
	return func(t *Tree) error {
		t.noStale = true
		return nil
	}
}

// Tree is a sparse Merkle tree at one root, plus changes staged for the next
// Commit. Opening is cheap (one read), so open a Tree for every root you read.
//
// Get and Prove may run concurrently with each other. Update, Delete, Commit
// and Discard must not run concurrently with anything else on the same Tree.
// Trees on one store may read concurrently with one writer; Commit and Prune
// on one store must not overlap.
type Tree struct {
	store   Store
	ns      []byte
	noStale bool
	pages   *PageCache // nil: commits read pages from the store
	root    ref
	pending map[[HashSize]byte]pendingOp // by path
}

// pendingOp is a staged change: value nil means delete.
type pendingOp struct {
	value     []byte
	valueHash [HashSize]byte
}

// Open returns the tree with the given root in store. The root must be
// EmptyRoot or a root some Commit produced in the same namespace and not yet
// pruned; otherwise Open returns an error wrapping ErrMissingNode.
func Open(store Store, root [HashSize]byte, opts ...Option) (*Tree, error) {
	t := &Tree{store: store}
	for _, o := range opts {
		if err := o(t); err != nil {
			return nil, err
		}
	}
	t.root.hash = root
	if root == EmptyRoot {
		return t, nil
	}
	b, err := t.load(&root)
	if err != nil {
		return nil, err
	}
	switch b[0] {
	case tagLeaf:
		leaf, err := decodeLeaf(b)
		if err != nil {
			return nil, err
		}
		t.root.kind, t.root.path = kindLeaf, leaf.path
	case tagPage:
		t.root.kind = kindInternal
	default:
		return nil, fmt.Errorf("%w: root %x has tag %#x", ErrCorruptNode, root[:], b[0])
	}
	return t, nil
}

// Root returns the root of the last commit (staged changes are not in it).
func (t *Tree) Root() [HashSize]byte { return t.root.hash }

// Pending returns the number of keys with staged changes.
func (t *Tree) Pending() int { return len(t.pending) }

// Discard drops all staged changes.
func (t *Tree) Discard() { t.pending = nil }

// Get returns the value of key, seeing staged changes first, or ErrNotFound.
func (t *Tree) Get(key []byte) ([]byte, error) {
	path := Path(key)
	if op, ok := t.pending[path]; ok {
		if op.value == nil {
			return nil, ErrNotFound
		}
		return bytes.Clone(op.value), nil
	}
	n, err := t.walk(&path, nil)
	if err != nil {
		return nil, err
	}
	if n.kind != kindLeaf || n.path != path {
		return nil, ErrNotFound
	}
	leaf, err := t.leafAt(&n)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(leaf.value), nil
}

// walk follows path from the root to where it ends: an empty subtree or a
// leaf (which may hold another path). With proof non-nil it also records the
// siblings along the way.
func (t *Tree) walk(path *[HashSize]byte, proof *Proof) (ref, error) {
	n, depth := t.root, 0
	var pg page
	for n.kind == kindInternal {
		if err := t.loadPage(&pg, &n.hash, depth, proof != nil); err != nil {
			return n, err
		}
		for node := &pg.nodes[0]; ; {
			b := bit(path, depth)
			if sib := &node.child[1-b]; proof != nil && sib.kind != kindEmpty {
				setBit(&proof.Bitmap, depth)
				proof.Siblings = append(proof.Siblings, sib.hash)
			}
			depth++
			if node.inner[b] < 0 { // the path leaves the page
				n = node.child[b]
				break
			}
			node = &pg.nodes[node.inner[b]]
		}
	}
	return n, nil
}

// Update stages key = value for the next Commit. The value is copied; it
// must be 1 to MaxValueSize bytes.
func (t *Tree) Update(key, value []byte) error {
	if err := checkValue(value); err != nil {
		return err
	}
	t.stage(Path(key), pendingOp{value: bytes.Clone(value), valueHash: ValueHash(value)})
	return nil
}

// Delete stages the removal of key for the next Commit. Deleting an absent
// key is not an error. After the commit the tree has exactly the shape and
// root it would have had if key had never been set.
func (t *Tree) Delete(key []byte) error {
	t.stage(Path(key), pendingOp{})
	return nil
}

func (t *Tree) stage(path [HashSize]byte, op pendingOp) {
	if t.pending == nil {
		t.pending = make(map[[HashSize]byte]pendingOp)
	}
	t.pending[path] = op
}

func checkValue(v []byte) error {
	switch {
	case len(v) == 0:
		return ErrEmptyValue
	case len(v) > MaxValueSize:
		return ErrValueTooLarge
	}
	return nil
}

// UpdateBatch stages keys[i] = values[i] for every i (a later duplicate key
// wins) and commits them as version. Nothing is staged if any value is
// invalid.
func (t *Tree) UpdateBatch(version uint64, keys, values [][]byte) ([HashSize]byte, error) {
	if len(keys) != len(values) {
		return t.root.hash, ErrLengthMismatch
	}
	for i, v := range values {
		if err := checkValue(v); err != nil {
			return t.root.hash, fmt.Errorf("value %d: %w", i, err)
		}
	}
	for i, k := range keys {
		t.stage(Path(k), pendingOp{value: bytes.Clone(values[i]), valueHash: ValueHash(values[i])})
	}
	return t.Commit(version)
}

// load reads the encoded node with hash h.
func (t *Tree) load(h *[HashSize]byte) ([]byte, error) {
	b, ok, err := t.store.Get(nodeKey(t.ns, h))
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("%w: %x", ErrMissingNode, *h)
	case len(b) == 0:
		return nil, fmt.Errorf("%w: empty node %x", ErrCorruptNode, *h)
	}
	return b, nil
}

// leafAt returns the leaf n refers to: from n itself when it is inline,
// else read from its own entry.
func (t *Tree) leafAt(n *ref) (leafNode, error) {
	if n.value != nil {
		return leafNode{path: n.path, valueHash: n.valueHash, value: n.value}, nil
	}
	return t.loadLeaf(&n.hash)
}

func (t *Tree) loadLeaf(h *[HashSize]byte) (leafNode, error) {
	b, err := t.load(h)
	if err != nil {
		return leafNode{}, err
	}
	return decodeLeaf(b)
}

// loadPage reads into pg the page rooted at the internal node h at depth.
// With hashed it computes the page's hashes and checks the root against h.
func (t *Tree) loadPage(pg *page, h *[HashSize]byte, depth int, hashed bool) error {
	if depth%pageLevels != 0 || depth >= Depth {
		return fmt.Errorf("%w: internal node %x at depth %d starts no page", ErrCorruptNode, *h, depth)
	}
	b, err := t.load(h)
	if err != nil {
		return err
	}
	if err := decodePage(pg, b, depth, hashed); err != nil {
		return fmt.Errorf("page %x: %w", *h, err)
	}
	if hashed && pg.nodes[0].hash != *h {
		return fmt.Errorf("%w: page %x hashes to %x", ErrCorruptNode, *h, pg.nodes[0].hash)
	}
	return nil
}
