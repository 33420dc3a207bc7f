package crypto

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// The test vectors from EIP-55.
var eip55Vectors = []string{
	"5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
	"fB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
	"dbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
	"D1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
}

// flipFirstLetterCase breaks an EIP-55 checksum while keeping the case mixed.
func flipFirstLetterCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'f':
			b[i] = c - 32
			return string(b)
		case 'A' <= c && c <= 'F':
			b[i] = c + 32
			return string(b)
		}
	}
	return s
}

func TestEIP55Vectors(t *testing.T) {
	for _, v := range eip55Vectors {
		lower, err := ParseAddress(strings.ToLower(v))
		if err != nil {
			t.Fatalf("lowercase %s: %v", v, err)
		}
		if got := ChecksumHex(lower); got != v {
			t.Errorf("ChecksumHex = %s, want %s", got, v)
		}
		if got := FormatAddress(lower); got != "orama:"+v {
			t.Errorf("FormatAddress = %s, want orama:%s", got, v)
		}
		for _, s := range []string{v, "0x" + v, "orama:" + v, strings.ToUpper(v), "0x" + strings.ToUpper(v), "orama:" + strings.ToLower(v)} {
			a, err := ParseAddress(s)
			if err != nil {
				t.Errorf("ParseAddress(%s): %v", s, err)
				continue
			}
			if a != lower {
				t.Errorf("ParseAddress(%s) = %x, want %x", s, a, lower)
			}
		}
		for _, bad := range []string{flipFirstLetterCase(v), "0x" + flipFirstLetterCase(v), "orama:" + flipFirstLetterCase(v)} {
			_, err := ParseAddress(bad)
			wantErr(t, err, ErrBadChecksum)
		}
	}
}

func TestChecksumHexMatchesGoEthereum(t *testing.T) {
	var a [20]byte
	for i := 0; i < 200; i++ {
		h := Keccak256([]byte{byte(i)})
		copy(a[:], h[:20])
		if got, want := "0x"+ChecksumHex(a), common.Address(a).Hex(); got != want {
			t.Fatalf("ChecksumHex(%x) = %s, go-ethereum %s", a, got, want)
		}
	}
	// All-digit and all-zero addresses have no letters to checksum.
	if got := ChecksumHex([20]byte{}); got != strings.Repeat("0", 40) {
		t.Errorf("zero address = %s", got)
	}
}

func TestParseAddressRejects(t *testing.T) {
	const v = "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
	lower := strings.ToLower(v)
	cases := []string{
		"",
		"0x",
		"orama:",
		"orama",
		lower[:39],
		lower + "0",
		"0x" + lower[:38],
		"0X" + lower,
		"0X" + v,
		"ORAMA:" + lower,
		"Orama:" + lower,
		"orama:0x" + lower,
		"0xorama:" + lower,
		" " + lower,
		lower + " ",
		"\t0x" + lower,
		"orama:" + lower + "\n",
		"orama: " + lower[:39],
		"g" + lower[1:],
		lower[:20] + "-" + lower[21:],
		lower[:38] + "é", // 2 bytes, so the length is right
		"0x" + lower[:39] + "\x00",
		"@" + lower[:39],
	}
	for _, s := range cases {
		a, err := ParseAddress(s)
		if err == nil {
			t.Errorf("ParseAddress(%q) = %x, want error", s, a)
			continue
		}
		wantErr(t, err, ErrInvalidAddress)
		if a != ([20]byte{}) {
			t.Errorf("ParseAddress(%q): non-zero address on error", s)
		}
	}
}

func TestParseAddressErrorIsBounded(t *testing.T) {
	_, err := ParseAddress(strings.Repeat("a", 1<<20))
	wantErr(t, err, ErrInvalidAddress)
	if n := len(err.Error()); n > 200 {
		t.Fatalf("error message is %d bytes", n)
	}
}

func TestFormatKnownAddress(t *testing.T) {
	k := mustKey(t, knownKeys[0].priv)
	if got := FormatAddress(k.Address()); got != "orama:7E5F4552091A69125d5DfCb7b8C2659029395Bdf" {
		t.Fatalf("FormatAddress = %s", got)
	}
}
