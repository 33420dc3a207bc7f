package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/oramanetwork/orama-chain/generated/api"
)

// apiSpec is the REST API document every response is validated against:
// generated/api/openapi.yaml (spec/openapi.yaml with the protocol types'
// schemas), as embedded in generated/api, so that the suite binary needs no
// file (TestEmbeddedSpecIsTheFile keeps the two the same).
type apiSpec struct {
	doc *openapi3.T
	// ops are the operations by operationId, in the document's path order.
	ops   map[string]*operation
	order []string
	// errorSchema is components.schemas.Error, for answers no operation
	// declares (an unknown route, a method a path does not take).
	errorSchema *openapi3.Schema
	// codes is the enum of Error.code; codeStatus the statuses its table
	// allows each code.
	codes      []string
	codeStatus map[string][]int
}

type operation struct {
	id, method, path string
	route            *routers.Route
}

// loadSpec loads and validates the embedded document.
func loadSpec() (*apiSpec, error) {
	doc, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi document is invalid: %w", err)
	}
	s := &apiSpec{doc: doc, ops: map[string]*operation{}, codeStatus: map[string][]int{}}
	paths := doc.Paths.InMatchingOrder()
	slices.Sort(paths)
	for _, p := range paths {
		item := doc.Paths.Value(p)
		methods := make([]string, 0, 2)
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		slices.Sort(methods)
		for _, m := range methods {
			op := item.GetOperation(m)
			if op.OperationID == "" {
				return nil, fmt.Errorf("openapi document: %s %s has no operationId", m, p)
			}
			// oapi-codegen embeds the document with operationIds capitalised
			// for Go; the suite names operations as spec/openapi.yaml does.
			op.OperationID = strings.ToLower(op.OperationID[:1]) + op.OperationID[1:]
			s.ops[op.OperationID] = &operation{id: op.OperationID, method: m, path: p,
				route: &routers.Route{Spec: doc, Path: p, PathItem: item, Method: m, Operation: op}}
			s.order = append(s.order, op.OperationID)
		}
	}
	ref := doc.Components.Schemas["Error"]
	if ref == nil || ref.Value == nil {
		return nil, errors.New("openapi document: no Error schema")
	}
	s.errorSchema = ref.Value
	code := propertyPath(ref.Value, "error", "code")
	if code == nil || len(code.Enum) == 0 {
		return nil, errors.New("openapi document: Error.error.code has no enum")
	}
	for _, e := range code.Enum {
		c, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("openapi document: error code %v is not a string", e)
		}
		s.codes = append(s.codes, c)
	}
	s.codeStatus, err = parseCodeTable(code.Description)
	if err != nil {
		return nil, err
	}
	for _, c := range s.codes {
		if len(s.codeStatus[c]) == 0 {
			return nil, fmt.Errorf("openapi document: error code %s has no row in the code table", c)
		}
	}
	return s, nil
}

func propertyPath(s *openapi3.Schema, names ...string) *openapi3.Schema {
	for _, n := range names {
		p := s.Properties[n]
		if p == nil || p.Value == nil {
			return nil
		}
		s = p.Value
	}
	return s
}

// parseCodeTable reads the "| code | status | meaning |" table of
// Error.code's description: which HTTP statuses each code goes with.
func parseCodeTable(desc string) (map[string][]int, error) {
	out := map[string][]int{}
	for _, line := range strings.Split(desc, "\n") {
		cells := strings.Split(strings.TrimSpace(line), "|")
		if len(cells) < 4 {
			continue
		}
		code, statuses := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])
		if code == "code" || strings.HasPrefix(code, "-") {
			continue
		}
		for _, f := range strings.Split(statuses, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 100 || n > 599 {
				return nil, fmt.Errorf("openapi document: error code table row %q: bad status %q", code, f)
			}
			out[code] = append(out[code], n)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("openapi document: Error.code's description has no code table")
	}
	return out, nil
}

// validate checks one answer against the document: against op's declared
// responses when op is known, otherwise (op nil) as an Error body. Every
// error body must also carry a status the code table allows for its code.
// It returns the error code of an error body ("" otherwise).
func (s *apiSpec) validate(ctx context.Context, op *operation, req *http.Request, status int, header http.Header, body []byte) (string, error) {
	var code string
	if status >= 400 {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			return "", fmt.Errorf("status %d with a body that is not the Error object: %v", status, err)
		}
		code = e.Error.Code
		if allowed := s.codeStatus[code]; len(allowed) > 0 && !slices.Contains(allowed, status) {
			return code, fmt.Errorf("error code %s with status %d; the code table allows %v", code, status, allowed)
		}
	}
	if op == nil {
		if status < 400 {
			return "", fmt.Errorf("status %d for a request no operation takes", status)
		}
		if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			return code, fmt.Errorf("error answer with Content-Type %q, not application/json", ct)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return code, err
		}
		if err := s.errorSchema.VisitJSON(v); err != nil {
			return code, fmt.Errorf("not an Error object: %w", err)
		}
		return code, nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: op.route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return code, err
	}
	return code, nil
}
