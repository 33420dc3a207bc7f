package abi

import (
	"errors"
	"fmt"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/oramanetwork/orama-chain/runtime/borsh"
)

// ErrInvalidCID is wrapped (with ErrMalformed) when bytes are not a binary CID.
var ErrInvalidCID = errors.New("abi: invalid CID")

// AppendEvent appends a ContractEvent encoding.
func AppendEvent(b []byte, topic string, data []byte) []byte {
	b = borsh.AppendU32(b, uint32(len(topic)))
	b = append(b, topic...)
	b = borsh.AppendU32(b, uint32(len(data)))
	return append(b, data...)
}

// DecodeEvent decodes a ContractEvent whose topic is at most maxTopic bytes
// of UTF-8 and whose data is at most maxData bytes.
func DecodeEvent(in []byte, maxTopic, maxData int) (string, []byte, error) {
	r := borsh.NewReader(in)
	topic := r.String(maxTopic, "ContractEvent.topic")
	data := r.Bytes(maxData, "ContractEvent.data")
	if err := r.Finish("ContractEvent"); err != nil {
		return "", nil, malformed("ContractEvent", err)
	}
	if data == nil {
		data = []byte{}
	}
	return topic, data, nil
}

// rawPrefix names what storage.put returns: CIDv1, codec raw, SHA2-256.
var rawPrefix = cid.Prefix{Version: 1, Codec: cid.Raw, MhType: mh.SHA2_256, MhLength: -1}

// RawCID returns the binary CID of data stored as one raw block (CIDv1,
// codec raw, SHA2-256): 0x01 0x55 0x12 0x20 and the digest.
func RawCID(data []byte) []byte {
	c, err := rawPrefix.Sum(data)
	if err != nil {
		// Sum fails only for an unknown hash function; SHA2-256 is built in.
		panic(fmt.Sprintf("abi: CID of raw block: %v", err))
	}
	return c.Bytes()
}

// CheckCID reports whether b is exactly one binary CID (v0 or v1) with a
// multihash whose digest length matches, and returns its canonical bytes
// (equal to b when it is valid).
func CheckCID(b []byte) error {
	c, err := cid.Cast(b)
	if err != nil {
		return fmt.Errorf("%w: %w: %v", ErrMalformed, ErrInvalidCID, err)
	}
	// Cast accepts what it can read; the ABI wants one CID, one encoding.
	if string(c.Bytes()) != string(b) {
		return fmt.Errorf("%w: %w: not in canonical form", ErrMalformed, ErrInvalidCID)
	}
	return nil
}

// FormatCID returns the string form IPFS tools print: base32 for CIDv1,
// base58btc for CIDv0. It is for people and logs; the ABI uses bytes.
func FormatCID(b []byte) (string, error) {
	c, err := cid.Cast(b)
	if err != nil {
		return "", fmt.Errorf("%w: %w: %v", ErrMalformed, ErrInvalidCID, err)
	}
	return c.String(), nil
}
