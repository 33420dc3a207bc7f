// Command oramaabi generates the ABI conformance vectors
// (conformance/vectors-abi/) from the cases in spec/cases/abi/:
//
//	go run ./gen/cmd/oramaabi -spec spec -cases spec/cases/abi -out conformance/vectors-abi
//
// It runs after oramahost (`make generate`): the expected outcomes come from
// the reference implementations (runtime/host), which use generated/host.
// Running it twice gives byte-identical output.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/oramanetwork/orama-chain/gen/hostgen/vectors"
)

func main() {
	spec := flag.String("spec", "spec", "spec directory (hostfuncs.yaml, params.yaml)")
	cases := flag.String("cases", "spec/cases/abi", "directory of *.yaml ABI cases")
	out := flag.String("out", "conformance/vectors-abi", "output directory (every .json file is replaced)")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "oramaabi: unexpected arguments", flag.Args())
		os.Exit(2)
	}
	if err := vectors.Generate(*spec, *cases, *out); err != nil {
		fmt.Fprintln(os.Stderr, "oramaabi:", err)
		os.Exit(1)
	}
}
