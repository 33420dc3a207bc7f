package smt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

// fixture returns a committed in-memory tree of n keys "key-i" = "value-i".
func fixture(t testing.TB, n int) (*Tree, map[string][]byte) {
	t.Helper()
	tr := mustOpen(t, NewMemStore(), EmptyRoot)
	m := map[string][]byte{}
	for i := range n {
		k, v := fmt.Sprintf("key-%d", i), fmt.Sprintf("value-%d", i)
		m[k] = []byte(v)
		if err := tr.Update([]byte(k), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tr.Commit(1); err != nil {
		t.Fatal(err)
	}
	return tr, m
}

// absentKey returns an absent key whose path ends at another key's leaf
// (withLeaf) or at an empty subtree, below the root.
func absentKey(t testing.TB, tr *Tree, withLeaf bool) string {
	t.Helper()
	for i := range 1000 {
		k := fmt.Sprintf("absent-%d", i)
		p := mustProve(t, tr, k)
		if _, err := tr.Get([]byte(k)); errors.Is(err, ErrNotFound) && (p.Leaf != nil) == withLeaf && lastSetBit(&p.Bitmap) >= 0 {
			return k
		}
	}
	t.Fatal("no suitable absent key")
	return ""
}

func mustProve(t testing.TB, tr *Tree, key string) Proof {
	t.Helper()
	p, err := tr.Prove([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustMarshal(t testing.TB, p Proof) []byte {
	t.Helper()
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProofWireLayout(t *testing.T) {
	tr, _ := fixture(t, 10)
	p := mustProve(t, tr, absentKey(t, tr, true))
	b := mustMarshal(t, p)
	n := len(p.Siblings)
	if len(b) != 32+4+32*n+1+64 || len(b) != p.EncodedLen() {
		t.Fatalf("len %d, want %d", len(b), 32+4+32*n+1+64)
	}
	if [32]byte(b[:32]) != p.Bitmap || binary.LittleEndian.Uint32(b[32:36]) != uint32(n) {
		t.Fatal("bitmap or count misplaced")
	}
	for i := range n {
		if [32]byte(b[36+32*i:]) != p.Siblings[i] {
			t.Fatalf("sibling %d misplaced", i)
		}
	}
	o := 36 + 32*n
	if b[o] != 1 || [32]byte(b[o+1:]) != p.Leaf.Path || [32]byte(b[o+33:]) != p.Leaf.ValueHash {
		t.Fatal("leaf option misplaced")
	}
	in := mustMarshal(t, mustProve(t, tr, "key-1"))
	if in[len(in)-1] != 0 {
		t.Fatal("inclusion proof must end with option tag 0")
	}
}

// TestMalformedProofs has one case per rejection sentinel, for the decoder
// and for the verifiers.
func TestMalformedProofs(t *testing.T) {
	tr, _ := fixture(t, 10)
	root := tr.Root()
	incl := mustProve(t, tr, "key-3")
	absent := absentKey(t, tr, true)
	nonex := mustProve(t, tr, absent)
	if len(incl.Siblings) < 2 {
		t.Fatal("fixture does not give the proofs these cases need")
	}
	inclEnc := mustMarshal(t, incl)

	patch := func(b []byte, f func([]byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	decodeCases := []struct {
		name string
		enc  []byte
		want error
	}{
		{"empty input", nil, ErrProofTruncated},
		{"shorter than fixed part", inclEnc[:36], ErrProofTruncated},
		{"siblings cut short", inclEnc[:len(inclEnc)-2], ErrProofTruncated},
		{"option tag missing", inclEnc[:len(inclEnc)-1], ErrProofTruncated},
		{"leaf cut short", patch(inclEnc, func(b []byte) []byte {
			b[len(b)-1] = 1
			return append(b, make([]byte, 63)...)
		}), ErrProofTruncated},
		{"trailing byte", append(append([]byte(nil), inclEnc...), 0), ErrTrailingBytes},
		{"count over 256", patch(inclEnc, func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[32:], 257)
			return b
		}), ErrTooManySiblings},
		{"count 2^32-1", patch(inclEnc, func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[32:], ^uint32(0))
			return b
		}), ErrTooManySiblings},
		{"count below popcount", patch(inclEnc, func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[32:], uint32(len(incl.Siblings)-1))
			return b[:len(b)-33]
		}), ErrSiblingCountMismatch},
		{"bitmap bit cleared", patch(inclEnc, func(b []byte) []byte {
			b[lastSetBit(&incl.Bitmap)/8] &^= 0x80 >> (lastSetBit(&incl.Bitmap) % 8)
			return b
		}), ErrSiblingCountMismatch},
		{"zero sibling", patch(inclEnc, func(b []byte) []byte {
			clear(b[36 : 36+32])
			return b
		}), ErrZeroSibling},
		{"option tag 2", patch(inclEnc, func(b []byte) []byte {
			b[len(b)-1] = 2
			return b
		}), ErrInvalidOptionTag},
	}
	for _, c := range decodeCases {
		t.Run("decode/"+c.name, func(t *testing.T) {
			var p Proof
			err := p.UnmarshalBinary(c.enc)
			if !errors.Is(err, c.want) || !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("UnmarshalBinary = %v, want %v", err, c.want)
			}
		})
	}

	withSiblings := func(p Proof, s [][32]byte) Proof { p.Siblings = s; return p }
	tampered := withSiblings(incl, append([][32]byte(nil), incl.Siblings...))
	tampered.Siblings[0][0] ^= 1
	keyLeaf := nonex
	keyLeaf.Leaf = &ProofLeaf{Path: Path([]byte(absent)), ValueHash: nonex.Leaf.ValueHash}
	offPath := nonex
	off := *nonex.Leaf
	off.Path[0] ^= 0x80 // differs from the queried path at bit 0
	offPath.Leaf = &off
	var full [32]byte
	for i := range full {
		full[i] = 0xff
	}
	tooMany := Proof{Bitmap: full, Siblings: make([][32]byte, 257)}

	verifyCases := []struct {
		name     string
		nonExist bool
		key      string
		p        Proof
		want     error
	}{
		{"siblings over 256", false, "key-3", tooMany, ErrTooManySiblings},
		{"siblings fewer than popcount", false, "key-3", withSiblings(incl, incl.Siblings[1:]), ErrSiblingCountMismatch},
		{"siblings more than popcount", true, absent, withSiblings(nonex, append(nonex.Siblings, [32]byte{1})), ErrSiblingCountMismatch},
		{"zero sibling", false, "key-3", withSiblings(incl, append([][32]byte{{}}, incl.Siblings[1:]...)), ErrZeroSibling},
		{"inclusion with leaf", false, "key-3", func() Proof { p := incl; p.Leaf = nonex.Leaf; return p }(), ErrUnexpectedLeaf},
		{"leaf is queried key", true, absent, keyLeaf, ErrLeafIsQueriedKey},
		{"leaf off the path", true, absent, offPath, ErrLeafNotOnPath},
		{"tampered sibling", false, "key-3", tampered, ErrRootMismatch},
		{"wrong key", false, "key-4", incl, ErrRootMismatch},
		{"present key as absent", true, "key-3", incl, ErrRootMismatch},
		{"absent key as present", false, absent, func() Proof { p := nonex; p.Leaf = nil; return p }(), ErrRootMismatch},
	}
	for _, c := range verifyCases {
		t.Run("verify/"+c.name, func(t *testing.T) {
			var err error
			if c.nonExist {
				err = VerifyNonExistence(root, []byte(c.key), c.p)
			} else {
				err = VerifyInclusion(root, []byte(c.key), []byte("value-3"), c.p)
			}
			if !errors.Is(err, c.want) || !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("verify = %v, want %v", err, c.want)
			}
			// A proof that is malformed on its own cannot be encoded either.
			switch c.want {
			case ErrTooManySiblings, ErrSiblingCountMismatch, ErrZeroSibling:
				if _, err := c.p.MarshalBinary(); !errors.Is(err, c.want) {
					t.Fatalf("MarshalBinary = %v, want %v", err, c.want)
				}
			}
		})
	}

	// The untouched proofs verify, so the cases above fail for their reason.
	if err := VerifyInclusion(root, []byte("key-3"), []byte("value-3"), incl); err != nil {
		t.Fatal(err)
	}
	if err := VerifyNonExistence(root, []byte(absent), nonex); err != nil {
		t.Fatal(err)
	}
	if err := VerifyInclusion(root, []byte("key-3"), nil, incl); !errors.Is(err, ErrEmptyValue) {
		t.Fatalf("empty value: %v", err)
	}
}

// TestProofSizeGrowsWithLog checks proof depth is about log2(n), not 256.
func TestProofSizeGrowsWithLog(t *testing.T) {
	tr, _ := fixture(t, 4096)
	total := 0
	for i := range 4096 {
		p := mustProve(t, tr, fmt.Sprintf("key-%d", i))
		total += lastSetBit(&p.Bitmap) + 1
	}
	// log2(4096) = 12; random paths average about log2(n) + 1.3.
	if avg := float64(total) / 4096; avg < 11 || avg > 15 {
		t.Fatalf("average proof depth %.2f for 4096 keys", avg)
	}
}
