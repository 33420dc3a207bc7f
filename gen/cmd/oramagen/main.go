// Command oramagen generates generated/ and conformance/vectors/ from spec/.
// `make generate` runs it; running it twice gives byte-identical output.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/oramanetwork/orama-chain/gen"
	"github.com/oramanetwork/orama-chain/gen/js"
	"github.com/oramanetwork/orama-chain/gen/schema"
)

func main() {
	var o gen.Options
	flag.StringVar(&o.SpecDir, "spec", "spec", "spec directory")
	flag.StringVar(&o.GoOut, "go-out", "generated", "directory for generated Go packages")
	flag.StringVar(&o.VectorsOut, "vectors-out", "conformance/vectors", "directory for conformance vectors (empty: skip)")
	jsOut := flag.String("js-out", "", "directory for the JavaScript Borsh schemas, e.g. generated/js (empty: skip)")
	flag.Parse()
	if err := gen.Run(o); err != nil {
		fmt.Fprintln(os.Stderr, "oramagen:", err)
		os.Exit(1)
	}
	if *jsOut != "" {
		s, err := schema.Load(o.SpecDir)
		if err == nil {
			err = js.Generate(s, *jsOut)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "oramagen: js target:", err)
			os.Exit(1)
		}
	}
}
