package smt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzProofDecode: decoding never panics, and whatever decodes re-encodes to
// the same bytes (the encoding is canonical).
func FuzzProofDecode(f *testing.F) {
	tr, _ := fixture(f, 10)
	for _, k := range []string{"key-3", "key-7", absentKey(f, tr, true), absentKey(f, tr, false)} {
		f.Add(mustMarshal(f, mustProve(f, tr, k)))
	}
	f.Add(make([]byte, proofFixedSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Proof
		if err := p.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("error %v does not wrap ErrInvalidProof", err)
			}
			return
		}
		out, err := p.MarshalBinary()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("decoded proof re-encodes to %x, %v; input %x", out, err, b)
		}
	})
}

// FuzzVerify: verification of arbitrary proof bytes, keys and values never
// panics, and never accepts a false statement about the fixture tree.
func FuzzVerify(f *testing.F) {
	tr, m := fixture(f, 16)
	root := tr.Root()
	for _, k := range []string{"key-3", "key-11", absentKey(f, tr, true), absentKey(f, tr, false)} {
		f.Add(mustMarshal(f, mustProve(f, tr, k)), []byte(k), m[k])
	}
	f.Fuzz(func(t *testing.T, enc, key, value []byte) {
		var p Proof
		if err := p.UnmarshalBinary(enc); err != nil {
			return
		}
		want, present := m[string(key)]
		if err := VerifyInclusion(root, key, value, p); err == nil && (!present || !bytes.Equal(value, want)) {
			t.Fatalf("accepted %q = %q, tree has %q (present %v)", key, value, want, present)
		}
		if err := VerifyNonExistence(root, key, p); err == nil && present {
			t.Fatalf("accepted absence of present key %q", key)
		}
	})
}

// FuzzDecodePage: a stored page, however damaged, decodes to an error
// wrapping ErrCorruptNode or to a page that encodes back to the same body.
// Pages are read from the node's own store, but a damaged disk must not
// crash the node.
func FuzzDecodePage(f *testing.F) {
	tr, _ := fixture(f, 24)
	enc, err := tr.load(&tr.root.hash)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc, uint8(0))
	f.Add([]byte{tagPage, 1, 0x0d}, uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, base uint8) {
		depth := int(base%(Depth/pageLevels)) * pageLevels
		var pg page
		if err := decodePage(&pg, b, depth, true); err != nil {
			if !errors.Is(err, ErrCorruptNode) {
				t.Fatalf("error %v does not wrap ErrCorruptNode", err)
			}
			return
		}
		root := ref{kind: kindInternal, node: &pg.inMemory()[0]}
		out, err := appendBody(nil, &root, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, n := binary.Uvarint(b[1:])
		if !bytes.Equal(out, b[1+n:]) {
			t.Fatalf("page body re-encodes to %x, stored %x", out, b[1+n:])
		}
	})
}
