//go:build !conformance_deviation_basefee

package txrules

// deviationBaseFeeRoundUp is false in every real build; see
// deviation_basefee.go.
const deviationBaseFeeRoundUp = false
