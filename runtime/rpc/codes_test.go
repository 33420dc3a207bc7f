package rpc

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestErrorCodesMatchSpec: the Code constants of errors.go, the enum of the
// spec's Error.code (which clients generate their code types from) and the
// codes the response checker accepts are one set. A code added on either
// side only fails here.
func TestErrorCodesMatchSpec(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var inGo []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s is not a string literal", name.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				inGo = append(inGo, v)
			}
		}
	}

	doc, err := specDoc()
	if err != nil {
		t.Fatal(err)
	}
	code := doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value
	var inSpec []string
	for _, e := range code.Enum {
		s, ok := e.(string)
		if !ok {
			t.Fatalf("enum value %v is not a string", e)
		}
		inSpec = append(inSpec, s)
	}

	slices.Sort(inGo)
	slices.Sort(inSpec)
	checked := slices.Sorted(slices.Values(knownCodes))
	if len(inGo) == 0 || len(slices.Compact(slices.Clone(inGo))) != len(inGo) {
		t.Fatalf("errors.go codes %v: none, or repeated", inGo)
	}
	if !slices.Equal(inGo, inSpec) {
		t.Errorf("errors.go codes %v\nspec enum         %v", inGo, inSpec)
	}
	if !slices.Equal(inGo, checked) {
		t.Errorf("errors.go codes %v\nknownCodes        %v", inGo, checked)
	}
	// The enum is enforced: a response with any other code breaks the spec.
	if err := code.VisitJSON("no_such_code"); err == nil {
		t.Error("the spec accepts an unlisted code")
	}
}
