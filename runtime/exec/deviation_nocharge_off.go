//go:build !conformance_deviation_nocharge

package exec

// deviationNoCharge is false in every real build; see deviation_nocharge.go.
const deviationNoCharge = false
