package crypto

import "fmt"

// Username length limits, in bytes. Valid usernames are ASCII, so bytes
// and characters coincide.
const (
	MinUsernameLength = 3
	MaxUsernameLength = 32
)

// UsernamePrefix marks a username in an account reference ("@alex").
const UsernamePrefix = "@"

// ValidateUsername reports whether s matches [a-z0-9_-]{3,32}. Usernames are
// permanent and resolved by exact bytes, so only one spelling of a name is
// allowed: no upper case, no Unicode look-alikes. Length is checked first,
// which also bounds the size of the error message.
func ValidateUsername(s string) error {
	if len(s) < MinUsernameLength {
		return fmt.Errorf("crypto: username %q is %d bytes, min %d: %w",
			s, len(s), MinUsernameLength, ErrUsernameTooShort)
	}
	if len(s) > MaxUsernameLength {
		return fmt.Errorf("crypto: username is %d bytes, max %d: %w",
			len(s), MaxUsernameLength, ErrUsernameTooLong)
	}
	for i := 0; i < len(s); i++ {
		if !isUsernameByte(s[i]) {
			return fmt.Errorf("crypto: username %q: byte 0x%02x at position %d not in [a-z0-9_-]: %w",
				s, s[i], i, ErrUsernameInvalidChar)
		}
	}
	return nil
}

func isUsernameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// FormatUsername returns the display form "@" + name. It does not validate
// name.
func FormatUsername(name string) string {
	return UsernamePrefix + name
}

// AccountRef is a user-supplied reference to an account: either an address
// or a username still to be resolved against chain state.
type AccountRef struct {
	Address    [AddressLength]byte // set when IsUsername is false
	Username   string              // without the '@'; set when IsUsername is true
	IsUsername bool
}

// String returns the canonical display form: "@name" or "orama:<checksum hex>".
func (r AccountRef) String() string {
	if r.IsUsername {
		return FormatUsername(r.Username)
	}
	return FormatAddress(r.Address)
}

// ParseAccountRef parses "@name" as a username and anything else with
// ParseAddress. The '@' is required: a bare "alex" is not a username,
// which keeps usernames and hex addresses from ever being confused.
func ParseAccountRef(s string) (AccountRef, error) {
	if len(s) > 0 && s[0] == UsernamePrefix[0] {
		name := s[1:]
		if err := ValidateUsername(name); err != nil {
			return AccountRef{}, err
		}
		return AccountRef{Username: name, IsUsername: true}, nil
	}
	a, err := ParseAddress(s)
	if err != nil {
		return AccountRef{}, err
	}
	return AccountRef{Address: a}, nil
}
