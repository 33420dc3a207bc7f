package borsh

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrInvalidHex reports a malformed hex string in a JSON or text form.
var ErrInvalidHex = errors.New("invalid hex")

// AppendHex appends "0x" and the lowercase hex of p: the canonical text form
// of byte values in JSON, the conformance vectors and the REST API.
func AppendHex(dst, p []byte) []byte {
	dst = append(dst, '0', 'x')
	return hex.AppendEncode(dst, p)
}

// ParseHex parses "0x" followed by an even number of hex digits.
func ParseHex(text []byte) ([]byte, error) {
	if len(text) < 2 || text[0] != '0' || text[1] != 'x' {
		return nil, fmt.Errorf("borsh: %q: missing 0x prefix: %w", truncate(text), ErrInvalidHex)
	}
	out := make([]byte, hex.DecodedLen(len(text)-2))
	if _, err := hex.Decode(out, text[2:]); err != nil {
		return nil, fmt.Errorf("borsh: %q: %v: %w", truncate(text), err, ErrInvalidHex)
	}
	return out, nil
}

// ParseHexFixed parses "0x" followed by exactly 2*len(dst) hex digits into dst.
func ParseHexFixed(dst []byte, text []byte, name string) error {
	if len(text) != 2+2*len(dst) {
		return fmt.Errorf("borsh: %s: want 0x and %d hex digits, got %d characters: %w", name, 2*len(dst), len(text), ErrInvalidHex)
	}
	b, err := ParseHex(text)
	if err != nil {
		return err
	}
	copy(dst, b)
	return nil
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
