package crypto

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateUsername(t *testing.T) {
	cases := []struct {
		name string
		want error
	}{
		{"abc", nil},
		{strings.Repeat("a", 32), nil},
		{"alex", nil},
		{"a_b-c", nil},
		{"___", nil},
		{"---", nil},
		{"007", nil},
		{"z9_-", nil},
		{"", ErrUsernameTooShort},
		{"a", ErrUsernameTooShort},
		{"ab", ErrUsernameTooShort},
		{strings.Repeat("a", 33), ErrUsernameTooLong},
		{strings.Repeat("a", 1000), ErrUsernameTooLong},
		{"Alex", ErrUsernameInvalidChar},
		{"alEx", ErrUsernameInvalidChar},
		{"al ex", ErrUsernameInvalidChar},
		{" alex", ErrUsernameInvalidChar},
		{"alex ", ErrUsernameInvalidChar},
		{"al.ex", ErrUsernameInvalidChar},
		{"@alex", ErrUsernameInvalidChar},
		{"alex!", ErrUsernameInvalidChar},
		{"al/ex", ErrUsernameInvalidChar},
		{"alé", ErrUsernameInvalidChar},  // é is two bytes: 4 bytes total
		{"аlex", ErrUsernameInvalidChar}, // Cyrillic а
		{"al\x00ex", ErrUsernameInvalidChar},
		{"é", ErrUsernameTooShort},
	}
	for _, tc := range cases {
		err := ValidateUsername(tc.name)
		if tc.want == nil {
			if err != nil {
				t.Errorf("ValidateUsername(%q) = %v, want nil", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("ValidateUsername(%q) = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestValidateUsernameErrorPosition(t *testing.T) {
	err := ValidateUsername("al.ex")
	if err == nil || !strings.Contains(err.Error(), "position 2") || !strings.Contains(err.Error(), "0x2e") {
		t.Fatalf("error %q does not name byte 0x2e at position 2", err)
	}
	err = ValidateUsername("abcé")
	if err == nil || !strings.Contains(err.Error(), "position 3") {
		t.Fatalf("error %q does not name position 3", err)
	}
}

func TestFormatUsername(t *testing.T) {
	if got := FormatUsername("alex"); got != "@alex" {
		t.Fatalf("FormatUsername = %q", got)
	}
}

func TestParseAccountRef(t *testing.T) {
	const checksummed = "7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
	key1 := mustKey(t, knownKeys[0].priv).Address()
	cases := []struct {
		in      string
		want    AccountRef
		wantErr error
	}{
		{in: "@alex", want: AccountRef{Username: "alex", IsUsername: true}},
		{in: "@abc", want: AccountRef{Username: "abc", IsUsername: true}},
		{in: "@" + strings.Repeat("x", 32), want: AccountRef{Username: strings.Repeat("x", 32), IsUsername: true}},
		{in: "orama:" + checksummed, want: AccountRef{Address: key1}},
		{in: "0x" + checksummed, want: AccountRef{Address: key1}},
		{in: strings.ToLower(checksummed), want: AccountRef{Address: key1}},
		{in: "@ab", wantErr: ErrUsernameTooShort},
		{in: "@", wantErr: ErrUsernameTooShort},
		{in: "@" + strings.Repeat("x", 33), wantErr: ErrUsernameTooLong},
		{in: "@Alex", wantErr: ErrUsernameInvalidChar},
		{in: "@@alex", wantErr: ErrUsernameInvalidChar},
		{in: "@al.ex", wantErr: ErrUsernameInvalidChar},
		{in: "alex", wantErr: ErrInvalidAddress}, // no '@': not a username
		{in: "", wantErr: ErrInvalidAddress},
		{in: " @alex", wantErr: ErrInvalidAddress},
		{in: "orama:@alex", wantErr: ErrInvalidAddress},
		{in: "orama:" + flipFirstLetterCase(checksummed), wantErr: ErrBadChecksum},
	}
	for _, tc := range cases {
		got, err := ParseAccountRef(tc.in)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("ParseAccountRef(%q) err = %v, want %v", tc.in, err, tc.wantErr)
			}
			if got != (AccountRef{}) {
				t.Errorf("ParseAccountRef(%q) = %+v on error", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseAccountRef(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseAccountRef(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestAccountRefString(t *testing.T) {
	if got := (AccountRef{Username: "alex", IsUsername: true}).String(); got != "@alex" {
		t.Errorf("String() = %q", got)
	}
	key1 := mustKey(t, knownKeys[0].priv).Address()
	if got := (AccountRef{Address: key1}).String(); got != "orama:7E5F4552091A69125d5DfCb7b8C2659029395Bdf" {
		t.Errorf("String() = %q", got)
	}
}
