//go:build !conformance_deviation_errcode

package rpc

// deviationNonceGapCode is false in every real build; see
// deviation_errcode.go.
const deviationNonceGapCode = false
