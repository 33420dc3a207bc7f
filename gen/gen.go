// Package gen runs every generator target over one spec directory. Its
// subpackages are the targets: golang (generated/ Go code), vectors
// (conformance/vectors/), js (the JavaScript Borsh schemas in
// generated/js/) and openapi (the REST document and the conversions to its
// Go types in generated/api/). The model they share is gen/schema.
package gen

import (
	"fmt"
	"path/filepath"

	"github.com/oramanetwork/orama-chain/gen/golang"
	"github.com/oramanetwork/orama-chain/gen/js"
	"github.com/oramanetwork/orama-chain/gen/openapi"
	"github.com/oramanetwork/orama-chain/gen/schema"
	"github.com/oramanetwork/orama-chain/gen/vectors"
)

// Options names the inputs and outputs of one run.
type Options struct {
	SpecDir    string
	GoOut      string
	VectorsOut string
	JSOut      string
	// OpenAPIIn is the hand-written API document (default
	// SpecDir/openapi.yaml); APIOut receives openapi.yaml and convert.go,
	// which oapi-codegen's api.go then joins (`make generate`).
	OpenAPIIn string
	APIOut    string
}

// Run loads the spec and writes every target.
func Run(o Options) error {
	s, err := schema.Load(o.SpecDir)
	if err != nil {
		return err
	}
	if o.GoOut != "" {
		if err := golang.Generate(s, o.GoOut); err != nil {
			return fmt.Errorf("go target: %w", err)
		}
	}
	if o.VectorsOut != "" {
		if err := vectors.Generate(s, o.SpecDir, o.VectorsOut); err != nil {
			return fmt.Errorf("vectors target: %w", err)
		}
	}
	if o.JSOut != "" {
		if err := js.Generate(s, o.JSOut); err != nil {
			return fmt.Errorf("js target: %w", err)
		}
	}
	if o.APIOut != "" {
		in := o.OpenAPIIn
		if in == "" {
			in = filepath.Join(o.SpecDir, "openapi.yaml")
		}
		if err := openapi.Generate(s, in, o.APIOut); err != nil {
			return fmt.Errorf("openapi target: %w", err)
		}
	}
	return nil
}
