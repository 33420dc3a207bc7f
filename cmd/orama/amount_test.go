package main

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
)

func TestUnits(t *testing.T) {
	t.Parallel()
	if unitOrama.Decimals != 6 || unitBTC.Decimals != 8 {
		t.Fatalf("decimals ORAMA %d BTC %d", unitOrama.Decimals, unitBTC.Decimals)
	}
	for _, s := range []string{"ORAMA", "orama", "Orama", "BTC", "btc"} {
		if _, err := parseUnit(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"", "ETH", "rays", "sats", "ORAMA "} {
		if _, err := parseUnit(s); err == nil {
			t.Errorf("asset %q accepted", s)
		}
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	ok := []struct {
		in   string
		u    unit
		want uint64
	}{
		{"0", unitOrama, 0},
		{"0.0", unitOrama, 0},
		{"1", unitOrama, params.RaysPerOrama},
		{"1.5", unitOrama, 1_500_000},
		{"0.000001", unitOrama, 1},
		{"1.000000", unitOrama, 1_000_000},
		{"1.100000", unitOrama, 1_100_000},
		{"007.25", unitOrama, 7_250_000},
		{"210000000", unitOrama, params.SupplyCapRays},
		{"18446744073709.551615", unitOrama, math.MaxUint64},
		{"1", unitBTC, params.SatsPerBTC},
		{"0.00000001", unitBTC, 1},
		{"0.001", unitBTC, 100_000},
		{"21000000", unitBTC, 21_000_000 * params.SatsPerBTC},
		{"184467440737.09551615", unitBTC, math.MaxUint64},
		{"0", unitBase, 0},
		{"18446744073709551615", unitBase, math.MaxUint64},
		{"00000000000000000000000000000000000001", unitBase, 1},
	}
	for _, tc := range ok {
		got, err := parseAmount(tc.in, tc.u)
		if err != nil || got != tc.want {
			t.Errorf("parseAmount(%q, %s) = %d, %v; want %d", tc.in, tc.u.Name, got, err, tc.want)
		}
	}

	bad := []struct {
		in   string
		u    unit
		want string // substring of the error
	}{
		{"", unitOrama, "empty"},
		{"1.", unitOrama, "after the '.'"},
		{".5", unitOrama, "before the '.'"},
		{".", unitOrama, "before the '.'"},
		{"1e3", unitOrama, "plain decimal"},
		{"1E3", unitOrama, "plain decimal"},
		{"1.5e-3", unitOrama, "plain decimal"},
		{"-1", unitOrama, "negative"},
		{"-0", unitOrama, "negative"},
		{"+1", unitOrama, "plain decimal"},
		{"1.0000001", unitOrama, "7 decimal places"},
		{"1.0000000", unitOrama, "7 decimal places"}, // exact, but more places than the unit has
		{"0.000000001", unitBTC, "9 decimal places"},
		{"0.0000001", unitOrama, "smallest amount is 0.000001 ORAMA = 1 ray"},
		{"1.5", unitBase, "whole number"},
		{"1.2.3", unitOrama, "plain decimal"},
		{" 1", unitOrama, "plain decimal"},
		{"1 ", unitOrama, "plain decimal"},
		{"1,000", unitOrama, "plain decimal"},
		{"1_000", unitOrama, "plain decimal"},
		{"0x10", unitOrama, "plain decimal"},
		{"Inf", unitOrama, "plain decimal"},
		{"NaN", unitOrama, "plain decimal"},
		{"١", unitOrama, "plain decimal"}, // a non-ASCII digit
		{"1½", unitOrama, "plain decimal"},
		{"18446744073709.551616", unitOrama, "exceeds"},
		{"18446744073710", unitOrama, "exceeds"},
		{"184467440737.09551616", unitBTC, "exceeds"},
		{"18446744073709551616", unitBase, "exceeds"},
		{"99999999999999999999999999999999999999", unitBase, "exceeds"},
		{strings.Repeat("1", 41), unitBase, "too long"},
	}
	for _, tc := range bad {
		got, err := parseAmount(tc.in, tc.u)
		if err == nil {
			t.Errorf("parseAmount(%q, %s) = %d, want an error", tc.in, tc.u.Name, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseAmount(%q, %s): error %q does not mention %q", tc.in, tc.u.Name, err, tc.want)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	t.Parallel()
	cases := []struct {
		v    uint64
		u    unit
		want string
	}{
		{0, unitOrama, "0"},
		{1, unitOrama, "0.000001"},
		{1_500_000, unitOrama, "1.5"},
		{1_000_000, unitOrama, "1"},
		{10_000_000, unitOrama, "10"},
		{1_234_567, unitOrama, "1.234567"},
		{math.MaxUint64, unitOrama, "18446744073709.551615"},
		{1, unitBTC, "0.00000001"},
		{100_000, unitBTC, "0.001"},
		{math.MaxUint64, unitBTC, "184467440737.09551615"},
		{0, unitBase, "0"},
		{math.MaxUint64, unitBase, "18446744073709551615"},
	}
	for _, tc := range cases {
		if got := formatAmount(tc.v, tc.u); got != tc.want {
			t.Errorf("formatAmount(%d, %s) = %q, want %q", tc.v, tc.u.Name, got, tc.want)
		}
	}
	if got := formatAmountString("1500000", unitOrama); got != "1.5 ORAMA (1500000 rays)" {
		t.Errorf("formatAmountString: %q", got)
	}
	if got := formatAmountString("junk", unitBTC); got != "junk sats" {
		t.Errorf("formatAmountString of junk: %q", got)
	}
}

func TestAmountRoundTrip(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, u := range []unit{unitOrama, unitBTC, unitBase} {
		for i := 0; i < 5000; i++ {
			v := r.Uint64() >> (r.Uint64() % 64)
			s := formatAmount(v, u)
			got, err := parseAmount(s, u)
			if err != nil || got != v {
				t.Fatalf("%s: %d formats as %q, parses as %d, %v", u.Name, v, s, got, err)
			}
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "1.5", "1.", ".5", "1e3", "-1", "18446744073709.551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseAmount(s, unitOrama)
		if err != nil {
			return
		}
		// Whatever parses is digits and one point, and formats back to the
		// same value.
		if back, err := parseAmount(formatAmount(v, unitOrama), unitOrama); err != nil || back != v {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, v, formatAmount(v, unitOrama), back, err)
		}
	})
}

func TestDefaultFeeCap(t *testing.T) {
	t.Parallel()
	cases := []struct{ base, tip, want uint64 }{
		{10, 0, 20},
		{10, 5, 25},
		{1, 0, 2},
		{0, 0, params.MinBaseFee},
		{50, 0, 100},
		{51, 0, params.MaxBaseFee},
		{params.MaxBaseFee, 3, params.MaxBaseFee + 3},
		{math.MaxUint64, 0, params.MaxBaseFee},
	}
	for _, tc := range cases {
		got, err := defaultFeeCap(tc.base, tc.tip)
		if err != nil || got != tc.want {
			t.Errorf("defaultFeeCap(%d, %d) = %d, %v; want %d", tc.base, tc.tip, got, err, tc.want)
		}
	}
	if _, err := defaultFeeCap(10, math.MaxUint64); err == nil {
		t.Error("overflowing tip accepted")
	}
}
