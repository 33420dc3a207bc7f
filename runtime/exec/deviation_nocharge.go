//go:build conformance_deviation_nocharge

package exec

// deviationNoCharge is a negative control of the black-box conformance
// suite (conformance/suite, DECISIONS.md D22): built with the tag
// conformance_deviation_nocharge, a failed transaction's fee is given back
// to its sender, and the suite must then fail naming spec/state.md "Fee,
// nonce, then the type". Never set in a node anyone runs.
const deviationNoCharge = true
