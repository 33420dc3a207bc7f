package crypto

import "fmt"

// AddressPrefix is the prefix of the human-readable address form.
const AddressPrefix = "orama:"

const hexDigits = "0123456789abcdef"

// ChecksumHex returns the 40-character EIP-55 mixed-case hex encoding of a,
// without a 0x prefix. The letter case carries a checksum, so a mistyped
// address is caught before funds are sent to it.
func ChecksumHex(a [AddressLength]byte) string {
	var buf [2 * AddressLength]byte
	for i, b := range a {
		buf[2*i] = hexDigits[b>>4]
		buf[2*i+1] = hexDigits[b&0x0f]
	}
	h := Keccak256(buf[:])
	for i, c := range buf {
		if c < 'a' {
			continue // a digit has no case
		}
		nibble := h[i/2]
		if i%2 == 0 {
			nibble >>= 4
		}
		if nibble&0x0f >= 8 {
			buf[i] = c - ('a' - 'A')
		}
	}
	return string(buf[:])
}

// FormatAddress returns the display form "orama:" + ChecksumHex(a).
func FormatAddress(a [AddressLength]byte) string {
	return AddressPrefix + ChecksumHex(a)
}

// ParseAddress parses an address in any of these forms:
//
//	orama:<40 hex>
//	0x<40 hex>
//	<40 hex>
//
// Prefixes are case-sensitive: "ORAMA:" and "0X" are rejected so that each
// address has few spellings and none of them are surprising. The hex digits
// may be all lower case or all upper case, which carry no checksum, or mixed
// case, which must match EIP-55 exactly or ErrBadChecksum is returned.
// Anything else, including surrounding whitespace, is ErrInvalidAddress.
func ParseAddress(s string) ([AddressLength]byte, error) {
	var a [AddressLength]byte
	h := s
	switch {
	case len(h) >= len(AddressPrefix) && h[:len(AddressPrefix)] == AddressPrefix:
		h = h[len(AddressPrefix):]
	case len(h) >= 2 && h[:2] == "0x":
		h = h[2:]
	}
	if len(h) != 2*AddressLength {
		return a, fmt.Errorf("crypto: parse address %.50q: want 40 hex digits: %w", s, ErrInvalidAddress)
	}
	var lower, upper bool
	for i := 0; i < len(h); i++ {
		c := h[i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
			lower = true
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
			upper = true
		default:
			return [AddressLength]byte{}, fmt.Errorf("crypto: parse address %q: non-hex byte 0x%02x at position %d: %w",
				s, c, i, ErrInvalidAddress)
		}
		if i%2 == 0 {
			a[i/2] = v << 4
		} else {
			a[i/2] |= v
		}
	}
	if lower && upper && h != ChecksumHex(a) {
		return [AddressLength]byte{}, fmt.Errorf("crypto: parse address %q: %w", s, ErrBadChecksum)
	}
	return a, nil
}
