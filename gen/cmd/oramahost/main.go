// Command oramahost generates the contract host-function layer from
// spec/hostfuncs.yaml (see gen/hostgen):
//
//	go run ./gen/cmd/oramahost -spec spec -go-out generated/host \
//		-doc-out docs/contracts/host-functions.md \
//		-as-out sdk/as/assembly/generated/host.ts -gosdk-out sdk/go
//
// `make generate` runs it; running it twice gives byte-identical output.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/oramanetwork/orama-chain/gen/hostgen"
)

func main() {
	var o hostgen.Config
	flag.StringVar(&o.SpecDir, "spec", "spec", "spec directory")
	flag.StringVar(&o.GoOut, "go-out", "", "directory of the Go host package, e.g. generated/host (empty: skip)")
	flag.StringVar(&o.DocOut, "doc-out", "", "the reference page, e.g. docs/contracts/host-functions.md (empty: skip)")
	flag.StringVar(&o.ASOut, "as-out", "", "the AssemblyScript declarations, e.g. sdk/as/assembly/generated/host.ts (empty: skip)")
	flag.StringVar(&o.GoSDKOut, "gosdk-out", "", "directory of the Go guest package, e.g. sdk/go (empty: skip)")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "oramahost: unexpected arguments", flag.Args())
		os.Exit(2)
	}
	if err := hostgen.Generate(o); err != nil {
		fmt.Fprintln(os.Stderr, "oramahost:", err)
		os.Exit(1)
	}
}
