package smt

import (
	"encoding/hex"
	"fmt"
	"testing"
)

// Golden vectors, also listed in spec/smt.md. They were cross-checked against
// an independent Python rendering of the spec and against celestiaorg/smt
// (TestCrossCheckCelestia): another implementation must reproduce them.
var vectorRoots = []struct {
	name string
	kv   []string // key, value, key, value...
	root string
}{
	{"empty", nil, "0000000000000000000000000000000000000000000000000000000000000000"},
	{"one key", []string{"a", "1"}, "565388d4bc00257133f799d9366ac97f6e949c18acc53d17457f8859ba0f08d3"},
	{"two keys", []string{"a", "1", "b", "2"}, "70a50295110313dd28320faccbee14d04dc2894e877a2e407115a2f337ed4efa"},
	{"ten keys", tenKeys(), "e1e7f656eed821507c039efd17a5b2798976f19f8199db6e63004d3da584877d"},
}

func tenKeys() []string {
	var kv []string
	for i := range 10 {
		kv = append(kv, fmt.Sprintf("key-%d", i), fmt.Sprintf("value-%d", i))
	}
	return kv
}

// Proofs in the ten-key tree, in the Borsh wire form.
var vectorProofs = []struct {
	name, key, value, enc string // value "" for non-existence
}{
	{"inclusion of key-3", "key-3", "value-3",
		"e800000000000000000000000000000000000000000000000000000000000000" + "04000000" +
			"e15b37daf3379f085479f1d98436eb2fe063d87de9b4c1a81cf075235a034a80" +
			"5dc183ceeea67572ae03d3f8091c1c18662e2210ff3086d7d78020643ed3e640" +
			"07b0271d508bce625bc3dc3549cb9edee6402e96cff7e3e612afc49fd3f18003" +
			"c3ddc4126377de0671c82aa65054a575bfb8d09e1799616c0583172fb88e7855" + "00"},
	{"non-existence of absent-0, ends at another key's leaf", "absent-0", "",
		"e000000000000000000000000000000000000000000000000000000000000000" + "03000000" +
			"c45805390c619266e8932e1d95f10f91a909adabc1c81ef370a3a8b8bd9fa6fc" +
			"fcce63471155e39772f47eb0cee238a337d02c11c43f5e3b2a0cb52bb1c03bb4" +
			"56bf6dd904f2165f75ba296f7ad83f98322c0b6d1a5f42d4fc3b049061bab0f5" + "01" +
			"2ef94a67f93c79a6fe2710bb5f2907658c1f96d8cc6bae6bf8c8e180119897e1" +
			"ae2bd281d98fc06ff6a3dc23c88417bbf9f84f713b2b7eab88309a70242d26ae"},
	{"non-existence of absent-1, ends at an empty subtree", "absent-1", "",
		"c800000000000000000000000000000000000000000000000000000000000000" + "03000000" +
			"c45805390c619266e8932e1d95f10f91a909adabc1c81ef370a3a8b8bd9fa6fc" +
			"376d5dd52b8c39fea43d899bc399ea263af815da920f2a88cd48357ad22b9cb0" +
			"61d77ec3899fb16d89a56a188fdfd2bd9d14ee9c5bbc4da52118c55e193e519a" + "00"},
}

func TestVectors(t *testing.T) {
	for _, v := range vectorRoots {
		tr := mustOpen(t, NewMemStore(), EmptyRoot)
		for i := 0; i < len(v.kv); i += 2 {
			if err := tr.Update([]byte(v.kv[i]), []byte(v.kv[i+1])); err != nil {
				t.Fatal(err)
			}
		}
		root, err := tr.Commit(1)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(root[:]); got != v.root {
			t.Errorf("%s: root %s, want %s", v.name, got, v.root)
		}
	}
	tr, _ := fixture(t, 10)
	root := tr.Root()
	for _, v := range vectorProofs {
		p := mustProve(t, tr, v.key)
		if got := hex.EncodeToString(mustMarshal(t, p)); got != v.enc {
			t.Errorf("%s: proof\n%s, want\n%s", v.name, got, v.enc)
		}
		enc, _ := hex.DecodeString(v.enc)
		var dec Proof
		if err := dec.UnmarshalBinary(enc); err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if v.value != "" {
			err := VerifyInclusion(root, []byte(v.key), []byte(v.value), dec)
			if err != nil {
				t.Errorf("%s: %v", v.name, err)
			}
		} else if err := VerifyNonExistence(root, []byte(v.key), dec); err != nil {
			t.Errorf("%s: %v", v.name, err)
		}
	}
}
