package smt

import (
	"encoding/binary"
)

// Proof is a compressed Merkle proof that a key is in the tree with a given
// value (inclusion) or that it is absent (non-existence).
//
// Bitmap bit i (MSB-first within byte i/8) is set when the sibling at depth i
// of the key's path, counted from the root, is non-empty. Siblings holds
// exactly the non-empty siblings, root side first. The proof's depth, where
// the key's path ends in a leaf or an empty subtree, is one more than the
// index of the last set bit (0 if none is set): in a canonical tree the
// deepest sibling on a path is never empty, since an internal node with one
// empty child and one leaf child collapses to the leaf.
//
// Leaf is nil in an inclusion proof. In a non-existence proof it is the other
// key's leaf found where the queried path ends, or nil if that place is empty.
type Proof struct {
	Bitmap   [32]byte
	Siblings [][32]byte
	Leaf     *ProofLeaf
}

// ProofLeaf is a leaf in a non-existence proof: its path and value hash.
type ProofLeaf struct {
	Path      [32]byte
	ValueHash [32]byte
}

// Prove returns a proof for key against the committed root (staged changes
// are not in it): an inclusion proof if key is present, else a non-existence
// proof. Get on a tree with nothing staged tells which.
func (t *Tree) Prove(key []byte) (Proof, error) {
	var p Proof
	path := Path(key)
	n, err := t.walk(&path, &p)
	if err != nil {
		return Proof{}, err
	}
	if n.kind == kindLeaf && n.path != path {
		leaf, err := t.leafAt(&n)
		if err != nil {
			return Proof{}, err
		}
		p.Leaf = &ProofLeaf{Path: leaf.path, ValueHash: leaf.valueHash}
	}
	return p, nil
}

// Wire form (Borsh): Bitmap as [32]u8; Siblings as a u32 little-endian count
// then count 32-byte items; Leaf as an option: tag u8 0 (none) or 1 followed
// by Path and ValueHash (64 bytes).
const proofFixedSize = 32 + 4 + 1

// EncodedLen returns the length of the proof's wire form.
func (p *Proof) EncodedLen() int {
	n := proofFixedSize + HashSize*len(p.Siblings)
	if p.Leaf != nil {
		n += 2 * HashSize
	}
	return n
}

// MarshalBinary returns the Borsh wire form. It fails on a proof that could
// not decode (see validate).
func (p Proof) MarshalBinary() ([]byte, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, p.EncodedLen())
	b = append(b, p.Bitmap[:]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p.Siblings)))
	for i := range p.Siblings {
		b = append(b, p.Siblings[i][:]...)
	}
	if p.Leaf == nil {
		return append(b, 0), nil
	}
	b = append(b, 1)
	b = append(b, p.Leaf.Path[:]...)
	return append(b, p.Leaf.ValueHash[:]...), nil
}

// UnmarshalBinary decodes the Borsh wire form strictly: only the canonical
// encoding of a well-formed proof is accepted, so every proof has exactly one
// encoding. Errors wrap ErrInvalidProof.
func (p *Proof) UnmarshalBinary(b []byte) error {
	if len(b) < proofFixedSize {
		return ErrProofTruncated
	}
	var q Proof
	copy(q.Bitmap[:], b)
	count := binary.LittleEndian.Uint32(b[32:36])
	if count > Depth {
		return ErrTooManySiblings
	}
	if int(count) != popcount(&q.Bitmap) {
		return ErrSiblingCountMismatch
	}
	b = b[36:]
	if len(b) < int(count)*HashSize+1 {
		return ErrProofTruncated
	}
	if count > 0 {
		q.Siblings = make([][32]byte, count)
		for i := range q.Siblings {
			copy(q.Siblings[i][:], b)
			b = b[HashSize:]
		}
	}
	tag := b[0]
	b = b[1:]
	switch tag {
	case 0:
	case 1:
		if len(b) < 2*HashSize {
			return ErrProofTruncated
		}
		q.Leaf = new(ProofLeaf)
		copy(q.Leaf.Path[:], b)
		copy(q.Leaf.ValueHash[:], b[HashSize:])
		b = b[2*HashSize:]
	default:
		return ErrInvalidOptionTag
	}
	if len(b) != 0 {
		return ErrTrailingBytes
	}
	if err := q.validate(); err != nil {
		return err
	}
	*p = q
	return nil
}

// validate checks what can be checked without a key or a root.
func (p *Proof) validate() error {
	if len(p.Siblings) > Depth {
		return ErrTooManySiblings
	}
	if len(p.Siblings) != popcount(&p.Bitmap) {
		return ErrSiblingCountMismatch
	}
	for i := range p.Siblings {
		if p.Siblings[i] == EmptyRoot {
			return ErrZeroSibling
		}
	}
	return nil
}

// VerifyInclusion checks that proof shows key = value in the tree with root.
// It needs no database. Errors other than ErrEmptyValue and ErrValueTooLarge
// wrap ErrInvalidProof.
func VerifyInclusion(root [32]byte, key, value []byte, proof Proof) error {
	if err := checkValue(value); err != nil {
		return err
	}
	if err := proof.validate(); err != nil {
		return err
	}
	if proof.Leaf != nil {
		return ErrUnexpectedLeaf
	}
	path := Path(key)
	return proof.fold(root, &path, LeafHash(path, ValueHash(value)))
}

// VerifyNonExistence checks that proof shows key absent from the tree with
// root. It needs no database. Errors wrap ErrInvalidProof.
func VerifyNonExistence(root [32]byte, key []byte, proof Proof) error {
	if err := proof.validate(); err != nil {
		return err
	}
	path := Path(key)
	start := EmptyRoot
	if l := proof.Leaf; l != nil {
		if l.Path == path {
			return ErrLeafIsQueriedKey
		}
		if commonPrefixLen(&l.Path, &path) < lastSetBit(&proof.Bitmap)+1 {
			return ErrLeafNotOnPath
		}
		start = LeafHash(l.Path, l.ValueHash)
	}
	return proof.fold(root, &path, start)
}

// fold hashes from node h at the proof's depth up to the root along path and
// compares the result with root.
func (p *Proof) fold(root [32]byte, path *[HashSize]byte, h [HashSize]byte) error {
	next := len(p.Siblings) - 1
	for depth := lastSetBit(&p.Bitmap); depth >= 0; depth-- {
		var sib [HashSize]byte
		if bit(&p.Bitmap, depth) == 1 {
			sib = p.Siblings[next]
			next--
		}
		if bit(path, depth) == 0 {
			h = InternalHash(h, sib)
		} else {
			h = InternalHash(sib, h)
		}
	}
	if h != root {
		return ErrRootMismatch
	}
	return nil
}
