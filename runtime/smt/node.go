package smt

import (
	"encoding/binary"
	"fmt"
)

// kind is what a hash in the tree stands for. Parents record the kind of each
// child so that collapsing and descending never need an extra read.
type kind uint8

const (
	kindEmpty    kind = 0
	kindLeaf     kind = 1
	kindInternal kind = 2
)

// ref is a child pointer: the child's hash and kind, and for a leaf its path
// (so a commit can place or replace a leaf without reading it). During a
// commit, node holds an internal node's children once they are in memory.
//
// A leaf is either stored in its parent's page (inline: value is set) or
// under its own hash (value is nil): see maxInlineValue.
type ref struct {
	hash      [HashSize]byte
	path      [HashSize]byte // leaves only
	valueHash [HashSize]byte // inline leaves only
	value     []byte         // inline leaves only; aliases a stored page
	kind      kind
	node      *inode // internal nodes a commit has read or created; nil otherwise
}

// maxInlineValue is the largest value a leaf stored inside its parent's page
// may have. Most values (accounts, contract storage slots) are far smaller,
// so most leaves cost no store entry of their own: a commit writes its pages
// and nothing per leaf, and a read ends at the page. A larger value, and the
// leaf of a tree whose root is that leaf (it has no parent page), is stored
// under the leaf's hash instead.
const maxInlineValue = 256

// inode is an internal node in memory during a commit.
type inode struct {
	child [2]ref
}

var emptyRef = ref{}

// pageLevels is the number of binary levels stored together in one page.
// Pages start at the depths that are multiples of pageLevels, so one read
// serves four levels of a path, as in Libra's Jellyfish Merkle tree. Hashing
// is binary and does not depend on pages.
const pageLevels = 4

// maxPageNodes is the number of internal nodes a page can hold: 1+2+4+8.
const maxPageNodes = 1<<pageLevels - 1

// Stored encodings (storage only: never hashed, so they may change without
// changing any root). Both start with a tag and the version that wrote them;
// Prune uses the version to tell a node that became stale and was later
// written again from one that is still stale.
//
//	leaf: 0x00 | uvarint(version) | path[32] | valueHash[32] | value
//	page: 0x10 | uvarint(version) | body(root)
//
// A page is stored under the hash of its root, an internal node at a depth d
// that is a multiple of pageLevels, and holds the internal nodes of depths
// d..d+3 below it. body(n) for an internal node n at depth e is
//
//	lk<<2 | rk                     one byte: the child codes
//	then for the left child, then for the right child:
//	  0 empty:         nothing
//	  1 leaf:          path[32] | hash[32] (the leaf is stored under hash)
//	  3 inline leaf:   path[32] | valueHash[32] | uvarint(len) | value
//	                   (1 <= len <= maxInlineValue)
//	  2 internal:      hash[32] if e+1 is a multiple of pageLevels (another
//	                   page), else body(child)
//
// The hashes of the internal nodes and inline leaves inside a page are not
// stored: a commit or a proof that needs them recomputes them, which also
// checks the page's kinds and child hashes against its key (not the leaf
// paths, which are a storage-side index of the leaves' contents, nor an
// inline value against its value hash, as a stored leaf's is not checked
// either). Get needs none.
const (
	tagLeaf = 0x00
	tagPage = 0x10
)

// codeInlineLeaf is a page's child code for a leaf stored in the page; a
// leaf stored under its own hash has code kindLeaf.
const codeInlineLeaf = 3

// leafNode is a decoded leaf. value aliases the stored bytes.
type leafNode struct {
	path      [HashSize]byte
	valueHash [HashSize]byte
	value     []byte
}

func encodeLeaf(version uint64, path, valueHash *[HashSize]byte, value []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+2*HashSize+len(value))
	b = append(b, tagLeaf)
	b = binary.AppendUvarint(b, version)
	b = append(b, path[:]...)
	b = append(b, valueHash[:]...)
	return append(b, value...)
}

func decodeLeaf(b []byte) (leafNode, error) {
	var l leafNode
	if len(b) < 2 || b[0] != tagLeaf {
		return l, fmt.Errorf("%w: not a leaf", ErrCorruptNode)
	}
	_, n := binary.Uvarint(b[1:])
	if n <= 0 || len(b) < 1+n+2*HashSize+1 {
		return l, fmt.Errorf("%w: short leaf", ErrCorruptNode)
	}
	b = b[1+n:]
	copy(l.path[:], b)
	copy(l.valueHash[:], b[HashSize:])
	l.value = b[2*HashSize:]
	return l, nil
}

// nodeVersion returns the version recorded in a stored leaf or page.
func nodeVersion(b []byte) (uint64, error) {
	if len(b) < 2 || (b[0] != tagLeaf && b[0] != tagPage) {
		return 0, ErrCorruptNode
	}
	v, n := binary.Uvarint(b[1:])
	if n <= 0 {
		return 0, ErrCorruptNode
	}
	return v, nil
}

// pageNode is an internal node of a decoded page.
type pageNode struct {
	hash  [HashSize]byte // set when the page was decoded with hashes
	child [2]ref         // an inline child's hash is set only with hashes
	inner [2]int8        // index of an inline child in the page, or -1
}

// page is a decoded page; nodes[0] is its root.
type page struct {
	n     int
	nodes [maxPageNodes]pageNode
}

// appendPage appends to b the stored form of the page rooted at the internal
// node n, whose children and in-page descendants must be in memory.
func appendPage(b []byte, version uint64, n *ref) ([]byte, error) {
	b = append(b, tagPage)
	b = binary.AppendUvarint(b, version)
	return appendBody(b, n, 0)
}

// appendBody appends the body of the internal node n at offset e (0 to
// pageLevels-1) inside its page.
func appendBody(b []byte, n *ref, e int) ([]byte, error) {
	if n.node == nil {
		return nil, fmt.Errorf("%w: internal node %x not in memory while encoding a page", ErrCorruptNode, n.hash)
	}
	ch := &n.node.child
	b = append(b, childCode(&ch[0])<<2|childCode(&ch[1]))
	for i := range ch {
		c := &ch[i]
		switch c.kind {
		case kindLeaf:
			b = append(b, c.path[:]...)
			if c.value != nil {
				b = append(b, c.valueHash[:]...)
				b = binary.AppendUvarint(b, uint64(len(c.value)))
				b = append(b, c.value...)
				continue
			}
			b = append(b, c.hash[:]...)
		case kindInternal:
			if e+1 == pageLevels {
				b = append(b, c.hash[:]...)
				continue
			}
			var err error
			if b, err = appendBody(b, c, e+1); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// childCode is the code of c in its parent's page body.
func childCode(c *ref) byte {
	if c.kind == kindLeaf && c.value != nil {
		return codeInlineLeaf
	}
	return byte(c.kind)
}

// inMemory returns the internal nodes of the decoded page p linked through
// their refs; the first is the page root.
func (p *page) inMemory() []inode {
	nodes := make([]inode, p.n)
	for i := range nodes {
		nodes[i].child = p.nodes[i].child
		for side, j := range p.nodes[i].inner {
			if j >= 0 {
				nodes[i].child[side].node = &nodes[j]
			}
		}
	}
	return nodes
}

// decodePage decodes into p a page whose root is at depth base. With hashed,
// it computes the hash of every node in the page (nodes[0].hash is the
// root's, which the caller compares with the key it read).
func decodePage(p *page, b []byte, base int, hashed bool) error {
	if len(b) < 2 || b[0] != tagPage {
		return fmt.Errorf("%w: not a page", ErrCorruptNode)
	}
	_, n := binary.Uvarint(b[1:])
	if n <= 0 {
		return fmt.Errorf("%w: bad version", ErrCorruptNode)
	}
	p.n = 0
	rest, err := p.parse(b[1+n:], base, hashed)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d bytes after page", ErrCorruptNode, len(rest))
	}
	return nil
}

func (p *page) parse(b []byte, e int, hashed bool) ([]byte, error) {
	if p.n == maxPageNodes || len(b) == 0 {
		return nil, fmt.Errorf("%w: page overflow or truncated", ErrCorruptNode)
	}
	node := &p.nodes[p.n]
	p.n++
	*node = pageNode{inner: [2]int8{-1, -1}}
	k := b[0]
	b = b[1:]
	if k > 0x0f {
		return nil, fmt.Errorf("%w: non-canonical child kinds %#x", ErrCorruptNode, k)
	}
	codes := [2]byte{k >> 2, k & 3}
	for i, code := range codes {
		node.child[i].kind = kind(code)
		if code == codeInlineLeaf {
			node.child[i].kind = kindLeaf
		}
	}
	if l, r := node.child[0].kind, node.child[1].kind; (l == kindEmpty && r != kindInternal) || (r == kindEmpty && l != kindInternal) {
		return nil, fmt.Errorf("%w: non-canonical child kinds %#x", ErrCorruptNode, k)
	}
	for i := range node.child {
		c := &node.child[i]
		switch c.kind {
		case kindLeaf:
			if len(b) < 2*HashSize {
				return nil, fmt.Errorf("%w: truncated page", ErrCorruptNode)
			}
			copy(c.path[:], b)
			if codes[i] != codeInlineLeaf {
				copy(c.hash[:], b[HashSize:])
				b = b[2*HashSize:]
				continue
			}
			copy(c.valueHash[:], b[HashSize:])
			b = b[2*HashSize:]
			size, n := binary.Uvarint(b)
			var minimal [binary.MaxVarintLen64]byte
			if n <= 0 || n != binary.PutUvarint(minimal[:], size) || size == 0 || size > maxInlineValue || uint64(len(b)-n) < size {
				return nil, fmt.Errorf("%w: bad inline leaf value", ErrCorruptNode)
			}
			c.value = b[n : n+int(size) : n+int(size)]
			b = b[n+int(size):]
			if hashed {
				c.hash = LeafHash(c.path, c.valueHash)
			}
		case kindInternal:
			switch {
			case e+1 >= Depth:
				return nil, fmt.Errorf("%w: internal node below depth %d", ErrCorruptNode, Depth)
			case (e+1)%pageLevels == 0:
				if len(b) < HashSize {
					return nil, fmt.Errorf("%w: truncated page", ErrCorruptNode)
				}
				copy(c.hash[:], b)
				b = b[HashSize:]
			default:
				idx := p.n
				var err error
				if b, err = p.parse(b, e+1, hashed); err != nil {
					return nil, err
				}
				node.inner[i] = int8(idx)
				c.hash = p.nodes[idx].hash
			}
		}
	}
	if hashed {
		node.hash = InternalHash(node.child[0].hash, node.child[1].hash)
	}
	return b, nil
}
