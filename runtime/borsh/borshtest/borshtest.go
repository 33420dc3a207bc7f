// Package borshtest holds the fuzz property every generated decoder is held
// to. generated/types/fuzz_test.go (generated) calls it once per spec type.
//
// It is test support: the node must never import it.
package borshtest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/runtime/borsh"
)

// Fuzz seeds f with the "borsh" bytes of every case in the given vector
// files, then checks on arbitrary input that decoding never panics, that a
// rejection is a typed *borsh.Error, and that whatever is accepted re-encodes
// to exactly the input: Borsh has one encoding per value and strict decoding
// keeps it that way, so any difference is a decoder bug.
func Fuzz(f *testing.F, newValue func() borsh.Codec, seedFiles ...string) {
	f.Helper()
	seeds := 0
	for _, p := range seedFiles {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatalf("seed file: %v", err)
		}
		var vf struct {
			Cases []struct {
				Borsh string `json:"borsh"`
			} `json:"cases"`
		}
		if err := json.Unmarshal(data, &vf); err != nil {
			f.Fatalf("seed file %s: %v", p, err)
		}
		for _, c := range vf.Cases {
			b, err := hex.DecodeString(strings.TrimPrefix(c.Borsh, "0x"))
			if err != nil {
				f.Fatalf("seed file %s: %v", p, err)
			}
			f.Add(b)
			seeds++
		}
	}
	if seeds == 0 {
		f.Fatal("no seeds: the vectors are missing")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := newValue()
		if err := v.UnmarshalBorsh(data); err != nil {
			if borsh.Kind(err) == "" {
				t.Fatalf("rejection is not typed: %v", err)
			}
			return
		}
		out, err := v.MarshalBorsh()
		if err != nil {
			t.Fatalf("accepted input does not re-encode: %v", err)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("accepted input re-encodes differently:\n in %x\nout %x", data, out)
		}
		if n := v.BorshSize(); n != len(data) {
			t.Fatalf("BorshSize %d, input %d bytes", n, len(data))
		}
	})
}
