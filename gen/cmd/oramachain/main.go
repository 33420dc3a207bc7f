// Command oramachain generates the blockchain fixtures
// (conformance/vectors-chain/) from the cases in spec/cases/chain/:
//
//	go run ./gen/cmd/oramachain -cases spec/cases/chain -out conformance/vectors-chain
//
// Blocks are executed by the reference executor (runtime/exec) and signed
// with the well-known test keys, and every chain file is imported through
// the node's import path before it is written; see gen/chainvectors.
// Running it twice gives byte-identical output.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/oramanetwork/orama-chain/gen/chainvectors"
)

func main() {
	cases := flag.String("cases", "spec/cases/chain", "directory of keys.yaml and one *.yaml per fixture")
	out := flag.String("out", "conformance/vectors-chain", "output directory (every file but README.md is replaced)")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "oramachain: unexpected arguments", flag.Args())
		os.Exit(2)
	}
	if err := chainvectors.Generate(*cases, *out); err != nil {
		fmt.Fprintln(os.Stderr, "oramachain:", err)
		os.Exit(1)
	}
}
