// Command oramans generates the namespace replay vectors
// (conformance/vectors-ns/) from the logs described in spec/cases/ns/:
//
//	go run ./gen/cmd/oramans -cases spec/cases/ns -out conformance/vectors-ns
//
// The entries are what the reference executor (runtime/ns) records; see
// gen/nsvectors. Running it twice gives byte-identical output.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/oramanetwork/orama-chain/gen/nsvectors"
)

func main() {
	cases := flag.String("cases", "spec/cases/ns", "directory of *.yaml namespace logs (and modules/*.wasm)")
	out := flag.String("out", "conformance/vectors-ns", "output directory (every file but README.md is replaced)")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "oramans: unexpected arguments", flag.Args())
		os.Exit(2)
	}
	if err := nsvectors.Generate(context.Background(), *cases, *out); err != nil {
		fmt.Fprintln(os.Stderr, "oramans:", err)
		os.Exit(1)
	}
}
