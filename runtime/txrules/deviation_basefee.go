//go:build conformance_deviation_basefee

package txrules

// deviationBaseFeeRoundUp is a negative control of the black-box
// conformance suite (conformance/suite, DECISIONS.md D22): built with the
// tag conformance_deviation_basefee, NextBaseFee rounds its step up instead
// of down, and the suite must then fail naming spec/state.md "The base
// fee". Never set in a node anyone runs.
const deviationBaseFeeRoundUp = true
