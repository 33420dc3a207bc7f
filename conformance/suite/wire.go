package suite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// The REST API shows protocol values in the spec's JSON form (spec/README.md
// "The REST API's JSON forms"), which is the canonical form of the
// generated types except that addresses read "orama:" + EIP-55. fromAPI
// turns an API value into the protocol type, so the suite can encode it
// with Borsh and hash it as the spec says.

// fromAPI decodes the API JSON of a protocol value into out (a pointer to
// a generated type): every "orama:" address becomes the canonical "0x" +
// lowercase hex, properties the API adds (hash, borsh, ...) are ignored.
func fromAPI(apiValue any, out any) error {
	b, err := json.Marshal(apiValue)
	if err != nil {
		return err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	v, err = canonicalAddresses(v)
	if err != nil {
		return err
	}
	if b, err = json.Marshal(v); err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func canonicalAddresses(v any) (any, error) {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "orama:") {
			a, err := crypto.ParseAddress(x)
			if err != nil {
				return nil, fmt.Errorf("address %q: %w", x, err)
			}
			return "0x" + hex.EncodeToString(a[:]), nil
		}
		return x, nil
	case []any:
		for i := range x {
			var err error
			if x[i], err = canonicalAddresses(x[i]); err != nil {
				return nil, err
			}
		}
		return x, nil
	case map[string]any:
		for k := range x {
			var err error
			if x[k], err = canonicalAddresses(x[k]); err != nil {
				return nil, err
			}
		}
		return x, nil
	}
	return v, nil
}

// parseHex decodes "0x" + hex.
func parseHex(s string) ([]byte, error) {
	raw, ok := strings.CutPrefix(s, "0x")
	if !ok {
		return nil, fmt.Errorf("%q does not start with 0x", s)
	}
	return hex.DecodeString(raw)
}

func parseHash(s string) (types.Hash, error) {
	var h types.Hash
	b, err := parseHex(s)
	if err != nil {
		return h, err
	}
	if len(b) != len(h) {
		return h, fmt.Errorf("%q is not 32 bytes", s)
	}
	copy(h[:], b)
	return h, nil
}

func hashHex(h types.Hash) string { return "0x" + hex.EncodeToString(h[:]) }

// headerFromAPI returns the header an API header shows: decoded from its
// `borsh` and required to equal its JSON fields, with its hash.
func headerFromAPI(apiHeader any) (types.BlockHeader, types.Hash, error) {
	var hd types.BlockHeader
	var withBorsh struct {
		Borsh *string `json:"borsh"`
	}
	b, err := json.Marshal(apiHeader)
	if err != nil {
		return hd, types.Hash{}, err
	}
	if err := json.Unmarshal(b, &withBorsh); err != nil {
		return hd, types.Hash{}, err
	}
	var fields types.BlockHeader
	if err := fromAPI(apiHeader, &fields); err != nil {
		return hd, types.Hash{}, fmt.Errorf("header fields: %w", err)
	}
	if withBorsh.Borsh == nil {
		return hd, types.Hash{}, fmt.Errorf("header of height %d has no borsh", fields.Height)
	}
	enc, err := parseHex(*withBorsh.Borsh)
	if err != nil {
		return hd, types.Hash{}, fmt.Errorf("header borsh: %w", err)
	}
	if err := hd.UnmarshalBorsh(enc); err != nil {
		return hd, types.Hash{}, fmt.Errorf("header borsh of height %d does not decode: %w", fields.Height, err)
	}
	if !equalHeaders(&hd, &fields) {
		return hd, types.Hash{}, fmt.Errorf("header of height %d: the JSON fields are not the borsh encoding's", fields.Height)
	}
	return hd, sha256.Sum256(enc), nil
}

// equalHeaders compares two headers, an empty and a nil vote list being
// the same value.
func equalHeaders(a, b *types.BlockHeader) bool {
	x, errA := a.MarshalBorsh()
	y, errB := b.MarshalBorsh()
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

// txFromAPI returns the transaction an API transaction shows and checks its
// hash: SHA-256 of its Borsh encoding (DECISIONS.md D5).
func txFromAPI(apiTx any) (types.Transaction, types.Hash, error) {
	var tx types.Transaction
	if err := fromAPI(apiTx, &tx); err != nil {
		return tx, types.Hash{}, err
	}
	h, err := tx.Hash()
	if err != nil {
		return tx, types.Hash{}, err
	}
	var shown struct {
		Hash string `json:"hash"`
	}
	b, _ := json.Marshal(apiTx)
	json.Unmarshal(b, &shown)
	if shown.Hash != hashHex(h) {
		return tx, h, fmt.Errorf("transaction shown with hash %s; SHA-256 of its encoding is %s", shown.Hash, hashHex(h))
	}
	return tx, h, nil
}

// receiptFromAPI returns the receipt an API receipt shows.
func receiptFromAPI(apiReceipt any) (types.Receipt, error) {
	var r types.Receipt
	err := fromAPI(apiReceipt, &r)
	return r, err
}

// deepEqual compares protocol values by their Borsh encodings when they
// have one, else structurally.
func deepEqual(a, b any) bool {
	type enc interface{ MarshalBorsh() ([]byte, error) }
	if x, ok := a.(enc); ok {
		if y, ok := b.(enc); ok {
			xb, e1 := x.MarshalBorsh()
			yb, e2 := y.MarshalBorsh()
			return e1 == nil && e2 == nil && bytes.Equal(xb, yb)
		}
	}
	return reflect.DeepEqual(a, b)
}
