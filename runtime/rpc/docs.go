package rpc

import (
	"bytes"
	"fmt"
	"html/template"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/oramanetwork/orama-chain/generated/api"
)

// The spec is served from the copy generated/api embeds, never read from
// spec/ at run time: the binary is all a node needs.

// specYAML renders the embedded spec as YAML. The embedded form is JSON,
// which is YAML too: it is decoded as a YAML tree, which keeps every value
// exactly, and re-encoded in block style.
func specYAML() ([]byte, error) {
	raw, err := api.GetSpecJSON()
	if err != nil {
		return nil, fmt.Errorf("rpc: embedded spec: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("rpc: embedded spec: %w", err)
	}
	restyle(&root)
	var buf bytes.Buffer
	buf.WriteString("# The Orama node REST API (spec/openapi.yaml), as embedded in this node.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("rpc: encode spec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// keyOrder puts the keys people look for first; the rest stay in the
// embedded (alphabetical) order.
var keyOrder = []string{
	"openapi", "info", "title", "version", "servers", "tags", "paths",
	"name", "in", "operationId", "summary", "description", "required", "type",
	"parameters", "requestBody", "responses", "components",
}

func keyRank(k string) int {
	if i := slices.Index(keyOrder, k); i >= 0 {
		return i
	}
	return len(keyOrder)
}

// restyle drops JSON's flow style and quoting (the encoder quotes a string
// wherever YAML would otherwise read it as something else) and orders
// mapping keys.
func restyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.MappingNode {
		type pair struct{ k, v *yaml.Node }
		pairs := make([]pair, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			pairs = append(pairs, pair{n.Content[i], n.Content[i+1]})
		}
		slices.SortStableFunc(pairs, func(a, b pair) int { return keyRank(a.k.Value) - keyRank(b.k.Value) })
		n.Content = n.Content[:0]
		for _, p := range pairs {
			n.Content = append(n.Content, p.k, p.v)
		}
	}
	for _, c := range n.Content {
		restyle(c)
	}
}

// docsPage renders a self-contained HTML reference from the spec:
// operations with their parameters, bodies and responses, then the schemas.
// It uses no scripts and no external resources, so it works offline.
func docsPage() ([]byte, error) {
	doc, err := api.GetSwagger()
	if err != nil {
		return nil, fmt.Errorf("rpc: load spec: %w", err)
	}
	var data docsData
	if doc.Info != nil {
		data.Title, data.Version, data.Description = doc.Info.Title, doc.Info.Version, doc.Info.Description
	}
	// Operations in the spec's tag order, then by path.
	tagRank := map[string]int{}
	for i, t := range doc.Tags {
		tagRank[t.Name] = i
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			o := docOp{Method: method, Path: path, ID: op.OperationID, Summary: op.Summary, Description: op.Description}
			if len(op.Tags) > 0 {
				o.Tag = op.Tags[0]
			}
			for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range ps {
					if p.Value == nil {
						continue
					}
					o.Params = append(o.Params, docParam{
						Name: p.Value.Name, In: p.Value.In, Required: p.Value.Required,
						Schema: schemaHTML(p.Value.Schema), Description: p.Value.Description,
					})
				}
			}
			if rb := op.RequestBody; rb != nil && rb.Value != nil {
				for _, ct := range slices.Sorted(maps.Keys(rb.Value.Content)) {
					o.Body = append(o.Body, docMedia{Type: ct, Schema: schemaHTML(rb.Value.Content[ct].Schema)})
				}
			}
			if op.Responses != nil {
				codes := slices.Sorted(maps.Keys(op.Responses.Map()))
				for _, code := range codes {
					rr := op.Responses.Value(code)
					if rr == nil || rr.Value == nil {
						continue
					}
					resp := docResponse{Code: code}
					if rr.Value.Description != nil {
						resp.Description = *rr.Value.Description
					}
					for _, ct := range slices.Sorted(maps.Keys(rr.Value.Content)) {
						resp.Media = append(resp.Media, docMedia{Type: ct, Schema: schemaHTML(rr.Value.Content[ct].Schema)})
					}
					o.Responses = append(o.Responses, resp)
				}
			}
			data.Ops = append(data.Ops, o)
		}
	}
	slices.SortStableFunc(data.Ops, func(a, b docOp) int {
		if d := tagRank[a.Tag] - tagRank[b.Tag]; d != 0 {
			return d
		}
		return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
	})
	if doc.Components != nil {
		for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
			ref := doc.Components.Schemas[name]
			if ref == nil || ref.Value == nil {
				continue
			}
			data.Schemas = append(data.Schemas, schemaDoc(name, ref.Value))
		}
	}
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("rpc: render docs: %w", err)
	}
	return buf.Bytes(), nil
}

type docsData struct {
	Title, Version, Description string
	Ops                         []docOp
	Schemas                     []docSchema
}

type docOp struct {
	Method, Path, ID, Summary, Description, Tag string
	Params                                      []docParam
	Body                                        []docMedia
	Responses                                   []docResponse
}

type docParam struct {
	Name, In    string
	Required    bool
	Schema      template.HTML
	Description string
}

type docMedia struct {
	Type   string
	Schema template.HTML
}

type docResponse struct {
	Code, Description string
	Media             []docMedia
}

type docSchema struct {
	Name        string
	Summary     template.HTML
	Description string
	Props       []docProp
}

type docProp struct {
	Name        string
	Required    bool
	Schema      template.HTML
	Description string
}

func schemaDoc(name string, s *openapi3.Schema) docSchema {
	d := docSchema{Name: name, Description: s.Description, Summary: schemaHTML(&openapi3.SchemaRef{Value: s})}
	for _, p := range slices.Sorted(maps.Keys(s.Properties)) {
		ref := s.Properties[p]
		desc := ""
		if ref.Ref == "" && ref.Value != nil {
			desc = ref.Value.Description // a named schema's own section describes it
		}
		d.Props = append(d.Props, docProp{
			Name: p, Required: slices.Contains(s.Required, p), Schema: schemaHTML(ref), Description: desc,
		})
	}
	return d
}

// schemaHTML is a one-line description of a schema: a link for a named
// schema, else its type and constraints. Everything from the spec is
// escaped here.
func schemaHTML(ref *openapi3.SchemaRef) template.HTML {
	if ref == nil {
		return ""
	}
	if ref.Ref != "" {
		name := ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
		esc := template.HTMLEscapeString(name)
		return template.HTML(`<a href="#schema-` + esc + `">` + esc + `</a>`)
	}
	s := ref.Value
	if s == nil {
		return ""
	}
	if len(s.AllOf) == 1 && s.Type == nil {
		return schemaHTML(s.AllOf[0])
	}
	var b strings.Builder
	typ := "any"
	if s.Type != nil && len(s.Type.Slice()) > 0 {
		typ = strings.Join(s.Type.Slice(), " | ")
	}
	if typ == "array" && s.Items != nil {
		b.WriteString("array of ")
		b.WriteString(string(schemaHTML(s.Items)))
	} else {
		b.WriteString(template.HTMLEscapeString(typ))
	}
	var notes []string
	if s.Format != "" {
		notes = append(notes, "format "+s.Format)
	}
	if len(s.Enum) > 0 {
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = fmt.Sprint(v)
		}
		notes = append(notes, "one of "+strings.Join(vals, ", "))
	}
	if s.Pattern != "" {
		notes = append(notes, "pattern "+s.Pattern)
	}
	if s.Min != nil {
		notes = append(notes, fmt.Sprintf("minimum %v", *s.Min))
	}
	if s.Max != nil {
		notes = append(notes, fmt.Sprintf("maximum %v", *s.Max))
	}
	if s.MinLength != 0 {
		notes = append(notes, fmt.Sprintf("min length %d", s.MinLength))
	}
	if s.MaxLength != nil {
		notes = append(notes, fmt.Sprintf("max length %d", *s.MaxLength))
	}
	if s.Default != nil {
		notes = append(notes, fmt.Sprintf("default %v", s.Default))
	}
	if s.Nullable {
		notes = append(notes, "nullable")
	}
	if len(notes) > 0 {
		b.WriteString(` <span class="c">(`)
		b.WriteString(template.HTMLEscapeString(strings.Join(notes, "; ")))
		b.WriteString(`)</span>`)
	}
	if typ == "object" && len(s.Properties) > 0 {
		b.WriteString(`<ul class="props">`)
		for _, p := range slices.Sorted(maps.Keys(s.Properties)) {
			b.WriteString("<li><code>")
			b.WriteString(template.HTMLEscapeString(p))
			b.WriteString("</code>")
			if slices.Contains(s.Required, p) {
				b.WriteString(` <span class="req">required</span>`)
			}
			b.WriteString(": ")
			b.WriteString(string(schemaHTML(s.Properties[p])))
			b.WriteString("</li>")
		}
		b.WriteString("</ul>")
	}
	return template.HTML(b.String())
}

var docsTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{
	"lower": strings.ToLower,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} {{.Version}}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;background:#fff}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
h1{margin:.2rem 0}h2{margin-top:2.5rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
code,.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.desc{white-space:pre-line;color:#3a434d}
.op{border:1px solid #d0d7de;border-radius:6px;margin:1rem 0;padding:.8rem 1rem}
.op h3{margin:0;font-size:1.05rem}
.m{display:inline-block;min-width:3.5rem;text-align:center;border-radius:4px;color:#fff;font-size:.8rem;padding:.1rem .4rem;margin-right:.5rem}
.m-get{background:#1f6feb}.m-post{background:#1a7f37}.m-put{background:#9a6700}.m-delete{background:#cf222e}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;vertical-align:top;border-top:1px solid #eaeef2;padding:.3rem .5rem}
th{font-size:.8rem;color:#57606a;font-weight:600}
.c{color:#57606a}.req{color:#cf222e;font-size:.8rem}
ul.props{margin:.2rem 0 .2rem 1rem;padding:0}
nav ul{columns:2;padding-left:1rem}
</style>
</head>
<body><main>
<h1>{{.Title}}</h1>
<p class="c">Version {{.Version}} &middot; <a href="/v1/openapi.yaml">openapi.yaml</a></p>
<div class="desc">{{.Description}}</div>
<nav><h2>Operations</h2><ul>
{{range .Ops}}<li><a href="#op-{{.ID}}"><code>{{.Method}} {{.Path}}</code></a> {{.Summary}}</li>
{{end}}</ul></nav>
{{range .Ops}}
<section class="op" id="op-{{.ID}}">
<h3><span class="m m-{{lower .Method}}">{{.Method}}</span><span class="path">{{.Path}}</span></h3>
<p>{{.Summary}} <span class="c">({{.ID}})</span></p>
{{with .Description}}<div class="desc">{{.}}</div>{{end}}
{{with .Params}}<table><tr><th>Parameter</th><th>In</th><th>Schema</th><th>Description</th></tr>
{{range .}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.In}}</td><td>{{.Schema}}</td><td class="desc">{{.Description}}</td></tr>
{{end}}</table>{{end}}
{{with .Body}}<p><b>Request body</b></p><table>{{range .}}<tr><td><code>{{.Type}}</code></td><td>{{.Schema}}</td></tr>{{end}}</table>{{end}}
<p><b>Responses</b></p><table><tr><th>Status</th><th>Description</th><th>Body</th></tr>
{{range .Responses}}<tr><td><code>{{.Code}}</code></td><td class="desc">{{.Description}}</td><td>{{range .Media}}<code>{{.Type}}</code> {{.Schema}}<br>{{end}}</td></tr>
{{end}}</table>
</section>
{{end}}
<h2>Schemas</h2>
{{range .Schemas}}
<section class="op" id="schema-{{.Name}}">
<h3>{{.Name}}</h3>
{{if not .Props}}<p>{{.Summary}}</p>{{end}}
{{with .Description}}<div class="desc">{{.}}</div>{{end}}
{{with .Props}}<table><tr><th>Property</th><th>Schema</th><th>Description</th></tr>
{{range .}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.Schema}}</td><td class="desc">{{.Description}}</td></tr>
{{end}}</table>{{end}}
</section>
{{end}}
</main></body>
</html>
`))
