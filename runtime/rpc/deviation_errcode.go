//go:build conformance_deviation_errcode

package rpc

// deviationNonceGapCode is a negative control of the black-box conformance
// suite (conformance/suite, DECISIONS.md D22): built with the tag
// conformance_deviation_errcode, a nonce too far ahead is answered
// nonce_too_low instead of nonce_gap, and the suite must then fail naming
// that code. Never set in a node anyone runs.
const deviationNonceGapCode = true
