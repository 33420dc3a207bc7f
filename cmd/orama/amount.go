package main

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// unit is an asset as users write it: whole units with a fixed number of
// decimal places, each step of the last place one base unit.
type unit struct {
	Name     string // ORAMA, BTC
	Base     string // rays, sats
	Decimals int
	Asset    types.Asset
}

var (
	unitOrama = unit{Name: "ORAMA", Base: "rays", Decimals: decimalsOf(params.RaysPerOrama), Asset: types.AssetOrama}
	unitBTC   = unit{Name: "BTC", Base: "sats", Decimals: decimalsOf(params.SatsPerBTC), Asset: types.AssetBTC}
	// unitBase is a bare integer of base units: fees and gas prices.
	unitBase = unit{Name: "rays", Base: "rays", Decimals: 0, Asset: types.AssetOrama}
)

// decimalsOf returns n for perUnit = 10^n.
func decimalsOf(perUnit uint64) int {
	n := 0
	for ; perUnit > 1; perUnit /= 10 {
		if perUnit%10 != 0 {
			panic(fmt.Sprintf("units per whole %d is not a power of ten", perUnit))
		}
		n++
	}
	return n
}

// parseUnit returns the unit of an --asset value: ORAMA or BTC, in any case
// ("Orama" is the API's spelling).
func parseUnit(s string) (unit, error) {
	switch strings.ToUpper(s) {
	case "ORAMA":
		return unitOrama, nil
	case "BTC":
		return unitBTC, nil
	}
	return unit{}, fmt.Errorf("asset %q: want ORAMA or BTC", s)
}

// unitOf returns the unit of an asset as the API names it: BTC, or ORAMA
// for anything else.
func unitOf(a api.Asset) unit {
	if a == api.BTC {
		return unitBTC
	}
	return unitOrama
}

// maxAmountLen bounds the input so that errors stay short; the largest u64
// amount has 21 characters.
const maxAmountLen = 40

// parseAmount converts an exact decimal such as "1.5" into base units (1.5
// ORAMA = 1,500,000 rays). Only digits with at most one '.' between digits
// are accepted: no sign, exponent, spaces or separators, no "1." or ".5",
// and no more decimal places than the unit has: an amount is never rounded.
func parseAmount(s string, u unit) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("amount is empty")
	}
	if len(s) > maxAmountLen {
		return 0, fmt.Errorf("amount %.20q...: too long", s)
	}
	if s[0] == '-' {
		return 0, fmt.Errorf("amount %q: negative amounts are not allowed", s)
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("amount %q: write a plain decimal such as 1.5 (digits and one '.', no sign, exponent, spaces or separators)", s)
	}
	if whole == "" {
		return 0, fmt.Errorf("amount %q: write a digit before the '.' (0%s)", s, s)
	}
	if hasPoint && frac == "" {
		return 0, fmt.Errorf("amount %q: write digits after the '.' or leave it out", s)
	}
	if hasPoint && u.Decimals == 0 {
		return 0, fmt.Errorf("amount %q: must be a whole number of %s", s, u.Base)
	}
	if len(frac) > u.Decimals {
		return 0, fmt.Errorf("amount %q has %d decimal places; %s allows at most %d (the smallest amount is %s %s = 1 %s) and amounts are never rounded",
			s, len(frac), u.Name, u.Decimals, formatAmount(1, u), u.Name, strings.TrimSuffix(u.Base, "s"))
	}
	digits := whole + frac + strings.Repeat("0", u.Decimals-len(frac))
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return 0, fmt.Errorf("amount %q: not a decimal number", s)
	}
	if !v.IsUint64() {
		return 0, fmt.Errorf("amount %q exceeds the largest amount, %s %s", s, formatAmount(^uint64(0), u), u.Name)
	}
	return v.Uint64(), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatAmount writes base units as an exact decimal of whole units with no
// trailing zeros: 1500000 rays is "1.5", 1 sat is "0.00000001".
func formatAmount(v uint64, u unit) string {
	s := fmt.Sprintf("%0*d", u.Decimals+1, v)
	if u.Decimals == 0 {
		return s
	}
	whole, frac := s[:len(s)-u.Decimals], strings.TrimRight(s[len(s)-u.Decimals:], "0")
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

// formatAmountString formats an API decimal u64 string in unit u, with the
// base units alongside: "1.5 ORAMA (1500000 rays)". A malformed value is
// shown as it came.
func formatAmountString(s string, u unit) string {
	v, err := parseAmount(s, unitBase)
	if err != nil {
		return s + " " + u.Base
	}
	return fmt.Sprintf("%s %s (%d %s)", formatAmount(v, u), u.Name, v, u.Base)
}
