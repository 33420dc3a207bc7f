// Package orama is the Go library for Orama contracts, built with
// GOOS=wasip1 GOARCH=wasm -buildmode=c-shared and exporting entry points with
// //go:wasmexport. It declares every host function of spec/hostfuncs.yaml
// (host_wasip1.go, generated), exports the allocator the host writes results
// through (orama_alloc), and adds what contracts need around them: SQL
// values, parameters and rows (Exec, Query, QueryRow), events (EmitEvent),
// status errors and the spec's limits.
//
//	//go:wasmexport increment
//	func increment() int32 {
//		if _, err := orama.Exec("UPDATE counter SET n = n + 1"); err != nil {
//			orama.LogError(err.Error())
//			return 1
//		}
//		return 0
//	}
//
// The encoders and decoders (sql.go, event.go) build for every GOOS so they
// can be tested natively; everything that calls the host needs wasip1. The
// package uses the standard library only, so contracts stay small, and
// nothing in it reads the clock or randomness: WASI's are the VM's
// deterministic ones, but a contract needs neither.
package orama

// itoa formats v in decimal without strconv (kept out of contracts that do
// not need it).
func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}
