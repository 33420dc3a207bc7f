// Command oramastate generates the state-transition and SMT conformance
// vectors (conformance/vectors-state/) from the cases in spec/cases/state/:
//
//	go run ./gen/cmd/oramastate -cases spec/cases/state -out conformance/vectors-state
//
// The post-state of each case is computed by the reference executor
// (runtime/exec); see gen/statevectors. Running it twice gives byte-identical
// output, and TestCommittedVectorsUpToDate fails when the committed vectors
// drift from what it writes.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/oramanetwork/orama-chain/gen/statevectors"
)

func main() {
	cases := flag.String("cases", "spec/cases/state", "directory of *.yaml state and SMT cases")
	out := flag.String("out", "conformance/vectors-state", "output directory (every file but README.md is replaced)")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "oramastate: unexpected arguments", flag.Args())
		os.Exit(2)
	}
	if err := statevectors.Generate(*cases, *out); err != nil {
		fmt.Fprintln(os.Stderr, "oramastate:", err)
		os.Exit(1)
	}
}
