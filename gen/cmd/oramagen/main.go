// Command oramagen generates generated/ and conformance/vectors/ from spec/.
// `make generate` runs it; running it twice gives byte-identical output.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/oramanetwork/orama-chain/gen"
)

func main() {
	var o gen.Options
	flag.StringVar(&o.SpecDir, "spec", "spec", "spec directory")
	flag.StringVar(&o.GoOut, "go-out", "generated", "directory for generated Go packages")
	flag.StringVar(&o.VectorsOut, "vectors-out", "conformance/vectors", "directory for conformance vectors (empty: skip)")
	flag.StringVar(&o.JSOut, "js-out", "", "directory for the JavaScript Borsh schemas, e.g. generated/js (empty: skip)")
	flag.StringVar(&o.OpenAPIIn, "openapi", "", "the hand-written API document (default: <spec>/openapi.yaml)")
	flag.StringVar(&o.APIOut, "api-out", "", "directory for the merged API document and its Go conversions, e.g. generated/api (empty: skip)")
	flag.Parse()
	if err := gen.Run(o); err != nil {
		fmt.Fprintln(os.Stderr, "oramagen:", err)
		os.Exit(1)
	}
}
