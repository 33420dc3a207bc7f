// Package vectors is the conformance-vector target of the generator. From
// the spec and the cases listed in spec/cases/ it writes JSON vectors under
// conformance/vectors/ (format in conformance/README.md): codec values with
// their Borsh bytes and hashes, byte strings every decoder must reject, keys
// and addresses, signatures with their preimages, usernames and address
// forms, leader schedules, and equivocation evidence with its verdicts.
// Nothing in the vectors is typed by hand.
//
// It computes everything independently of the code under test: Borsh with
// its own schema interpreter (interp.go), keys and signatures directly with
// go-ethereum. It must never import generated/ or runtime/.
package vectors

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/oramanetwork/orama-chain/gen/schema"
)

// FormatVersion changes when the vector layout changes incompatibly.
// 2: leader_schedule history blocks carry proposer, qc_view and
// timeout_view, and failed leaders are passed over (DECISIONS.md D26).
const FormatVersion = 2

// cases is the YAML form of spec/cases/*.yaml; every file may hold any part.
type cases struct {
	Codec       []codecCase     `yaml:"codec"`
	Negative    []negativeCase  `yaml:"negative"`
	Keys        []keyCase       `yaml:"keys"`
	Signatures  []signatureCase `yaml:"signatures"`
	Usernames   []usernameCase  `yaml:"usernames"`
	Addresses   []addressCase   `yaml:"addresses"`
	AccountRefs []addressCase   `yaml:"account_refs"`
	// LeaderSchedule: spec/cases/leader_schedule.yaml.
	LeaderSchedule []leaderCase `yaml:"leader_schedule"`
	// Evidence: spec/cases/evidence.yaml.
	Evidence []evidenceCase `yaml:"evidence"`
}

type codecCase struct {
	Name  string `yaml:"name"`
	Type  string `yaml:"type"`
	Value any    `yaml:"value"`
}

type negativeCase struct {
	Name   string `yaml:"name"`
	Type   string `yaml:"type"`
	Hex    string `yaml:"hex"`
	Error  string `yaml:"error"`
	Why    string `yaml:"why"`
	Base   string `yaml:"base"`   // optional: a codec case name whose bytes are the start
	Append string `yaml:"append"` // hex appended to Base
}

type file struct {
	path string
	v    any
	n    int
}

// Generate writes every vector file under out, replacing its old content.
func Generate(s *schema.Spec, specDir, out string) error {
	var c cases
	paths, _ := filepath.Glob(filepath.Join(specDir, "cases", "*.yaml"))
	sort.Strings(paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var one cases
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&one); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		c.Codec = append(c.Codec, one.Codec...)
		c.Negative = append(c.Negative, one.Negative...)
		c.Keys = append(c.Keys, one.Keys...)
		c.Signatures = append(c.Signatures, one.Signatures...)
		c.Usernames = append(c.Usernames, one.Usernames...)
		c.Addresses = append(c.Addresses, one.Addresses...)
		c.AccountRefs = append(c.AccountRefs, one.AccountRefs...)
		c.LeaderSchedule = append(c.LeaderSchedule, one.LeaderSchedule...)
		c.Evidence = append(c.Evidence, one.Evidence...)
	}
	var files []file
	codecFiles, negFiles, err := codecVectors(s, c)
	if err != nil {
		return err
	}
	files = append(files, codecFiles...)
	files = append(files, negFiles...)
	for _, step := range []func(*schema.Spec, cases) (file, error){keyVectors, signatureVectors, usernameVectors, addressVectors, accountRefVectors, paramVectors, leaderVectors, evidenceVectors} {
		f, err := step(s, c)
		if err != nil {
			return err
		}
		files = append(files, f)
	}

	if err := os.RemoveAll(out); err != nil {
		return err
	}
	var manifest []obj
	for _, f := range files {
		data, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
		p := filepath.Join(out, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, append(data, '\n'), 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256(append(data, '\n'))
		manifest = append(manifest, obj{{"path", f.path}, {"cases", f.n}, {"sha256", hexOf(sum[:])}})
	}
	m := obj{
		{"format_version", FormatVersion},
		{"generator", "gen/cmd/oramagen (make generate)"},
		{"files", manifest},
	}
	data, _ := json.MarshalIndent(m, "", "  ")
	return os.WriteFile(filepath.Join(out, "manifest.json"), append(data, '\n'), 0o644)
}

// --- codec and decode-error vectors ---

func codecVectors(s *schema.Spec, c cases) ([]file, []file, error) {
	explicit := map[string][]codecCase{}
	for _, cc := range c.Codec {
		if s.Type(cc.Type) == nil {
			return nil, nil, fmt.Errorf("codec case %s: unknown type %q", cc.Name, cc.Type)
		}
		explicit[cc.Type] = append(explicit[cc.Type], cc)
	}
	negExplicit := map[string][]negativeCase{}
	for _, nc := range c.Negative {
		negExplicit[nc.Type] = append(negExplicit[nc.Type], nc)
	}
	var codecs, negs []file
	for _, t := range s.Types() {
		all := []codecCase{{Name: "zero", Type: t.Name}, {Name: "sample", Type: t.Name, Value: sample(s, t)}}
		all = append(all, explicit[t.Name]...)
		var out []obj
		byName := map[string]*encoded{}
		for _, cc := range all {
			if byName[cc.Name] != nil {
				return nil, nil, fmt.Errorf("codec %s: case %q repeated", t.Name, cc.Name)
			}
			enc, err := encodeValue(s, t.Name, cc.Value)
			if err != nil {
				return nil, nil, fmt.Errorf("codec case %s/%s: %w", t.Name, cc.Name, err)
			}
			if err := decodeStrict(s, t.Name, enc.bytes); err != nil {
				return nil, nil, fmt.Errorf("codec case %s/%s: own decoder rejects it: %v", t.Name, cc.Name, err)
			}
			byName[cc.Name] = enc
			o := obj{{"name", cc.Name}, {"value", enc.json}, {"borsh", hexOf(enc.bytes)}}
			if t.Hash == "sha256" {
				h := sha256.Sum256(enc.bytes)
				o = append(o, kv{"hash", hexOf(h[:])})
			}
			out = append(out, o)
		}
		codecs = append(codecs, file{
			path: "codec/" + t.Name + ".json",
			v:    obj{{"kind", "codec"}, {"type", t.Name}, {"cases", out}},
			n:    len(out),
		})

		negs1, err := negativeVectors(s, t, byName["sample"], byName, negExplicit[t.Name])
		if err != nil {
			return nil, nil, err
		}
		negs = append(negs, file{
			path: "decode_errors/" + t.Name + ".json",
			v:    obj{{"kind", "decode_error"}, {"type", t.Name}, {"cases", negs1}},
			n:    len(negs1),
		})
	}
	return codecs, negs, nil
}

// negativeVectors derives byte strings every decoder must reject by
// corrupting one element of the sample encoding, plus the listed cases.
func negativeVectors(s *schema.Spec, t *schema.Type, sm *encoded, byName map[string]*encoded, listed []negativeCase) ([]obj, error) {
	type neg struct {
		name, why string
		b         []byte
	}
	var list []neg
	mut := func(off int, f func(b []byte)) []byte {
		b := bytes.Clone(sm.bytes)
		f(b[off:])
		return b
	}
	list = append(list, neg{"trailing_byte", "one byte after a complete value", append(bytes.Clone(sm.bytes), 0)})
	if len(sm.bytes) > 0 {
		list = append(list, neg{"truncated", "the last byte is missing", sm.bytes[:len(sm.bytes)-1]})
	}
	list = append(list, neg{"empty", "no bytes at all", []byte{}})
	m := sm.marks
	if m.boolean >= 0 {
		list = append(list, neg{"bool_2", "a bool byte of 2", mut(m.boolean, func(b []byte) { b[0] = 2 })})
	}
	if m.option >= 0 {
		list = append(list, neg{"option_tag_2", "an option tag of 2", mut(m.option, func(b []byte) { b[0] = 2 })})
	}
	if m.enum >= 0 {
		list = append(list, neg{"enum_255", "an enum byte no variant has", mut(m.enum, func(b []byte) { b[0] = 255 })})
	}
	if m.length >= 0 {
		list = append(list, neg{"length_over_limit", fmt.Sprintf("a length prefix of %d, one over the limit", m.lengthMax+1),
			mut(m.length, func(b []byte) { binary.LittleEndian.PutUint32(b, uint32(m.lengthMax+1)) })})
		list = append(list, neg{"length_u32_max", "a length prefix of 2^32-1",
			mut(m.length, func(b []byte) { binary.LittleEndian.PutUint32(b, 0xffffffff) })})
	}
	if m.str >= 0 {
		list = append(list, neg{"invalid_utf8", "a string whose first byte is 0xff",
			mut(m.str+4, func(b []byte) { b[0] = 0xff })})
	}
	if t.Kind == schema.Enum {
		list = list[:0]
		list = append(list, neg{"enum_255", "no variant has value 255", []byte{255}}, neg{"empty", "no bytes at all", []byte{}},
			neg{"trailing_byte", "one byte after a complete value", append(bytes.Clone(sm.bytes), 0)})
	}
	var out []obj
	seen := map[string]bool{}
	emit := func(name, why, want string, b []byte) error {
		if seen[name] {
			return fmt.Errorf("decode_errors %s: case %q repeated", t.Name, name)
		}
		seen[name] = true
		got := reason(decodeStrict(s, t.Name, b))
		if got == "" {
			return fmt.Errorf("decode_errors %s/%s: own decoder accepts it", t.Name, name)
		}
		if want != "" && got != want {
			return fmt.Errorf("decode_errors %s/%s: listed as %s, own decoder says %s", t.Name, name, want, got)
		}
		out = append(out, obj{{"name", name}, {"borsh", hexOf(b)}, {"error", got}, {"why", why}})
		return nil
	}
	for _, n := range list {
		if err := emit(n.name, n.why, "", n.b); err != nil {
			return nil, err
		}
	}
	for _, nc := range listed {
		var b []byte
		var err error
		if nc.Base != "" {
			base := byName[nc.Base]
			if base == nil {
				return nil, fmt.Errorf("negative case %s: no codec case %q for %s", nc.Name, nc.Base, t.Name)
			}
			extra, err := parseHexValue(nc.Append, nc.Name)
			if err != nil {
				return nil, err
			}
			b = append(bytes.Clone(base.bytes), extra...)
		} else if b, err = parseHexValue(nc.Hex, nc.Name); err != nil {
			return nil, err
		}
		if nc.Why == "" || nc.Error == "" {
			return nil, fmt.Errorf("negative case %s: needs error and why", nc.Name)
		}
		if err := emit(nc.Name, nc.Why, nc.Error, b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// --- samples ---

// stream is a deterministic byte source: SHA-256 in counter mode over a
// label, so samples are the same on every run and in every language.
type stream struct {
	seed  []byte
	ctr   uint64
	avail []byte
}

func newStream(label string) *stream { return &stream{seed: []byte(label)} }

func (st *stream) bytes(n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		if len(st.avail) == 0 {
			h := sha256.New()
			h.Write(st.seed)
			h.Write(binary.LittleEndian.AppendUint64(nil, st.ctr))
			st.ctr++
			st.avail = h.Sum(nil)
		}
		k := min(n-len(out), len(st.avail))
		out = append(out, st.avail[:k]...)
		st.avail = st.avail[k:]
	}
	return out
}

func (st *stream) u64() uint64 { return binary.LittleEndian.Uint64(st.bytes(8)) }

// sample builds a value of t with every field non-empty: vectors of two
// elements, options present, strings and bytes of a few bytes, integers over
// their whole range (64-bit values above 2^53 catch JavaScript number bugs).
func sample(s *schema.Spec, t *schema.Type) any {
	return sampleType(s, t, newStream("orama/sample/"+t.Name))
}

func sampleType(s *schema.Spec, t *schema.Type, st *stream) any {
	switch t.Kind {
	case schema.Fixed:
		return hexOf(st.bytes(t.Size))
	case schema.Enum:
		return t.Variants[int(st.u64()%uint64(len(t.Variants)))].Name
	}
	m := map[string]any{}
	for _, f := range t.Fields {
		m[f.Name] = sampleRef(s, f, f.Type, st)
	}
	return m
}

func sampleRef(s *schema.Spec, f *schema.Field, r *schema.Ref, st *stream) any {
	switch r.Kind {
	case schema.Named:
		return sampleType(s, r.Named, st)
	case schema.Option:
		return sampleRef(s, f, r.Elem, st)
	case schema.Vec:
		n := min(2, f.Max)
		var list []any
		for i := 0; i < n; i++ {
			list = append(list, sampleRef(s, f, r.Elem, st))
		}
		return list
	}
	switch r.Prim {
	case "u8":
		return int(st.u64() % 256)
	case "u16":
		return int(st.u64() % 65536)
	case "u32":
		return int(st.u64() % (1 << 32))
	case "u64":
		return fmt.Sprint(st.u64())
	case "bool":
		return true
	case "string":
		n := 1 + int(st.u64()%uint64(min(f.Max, 12)))
		var b strings.Builder
		for _, c := range st.bytes(n) {
			b.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789_-"[int(c)%38])
		}
		return b.String()
	case "bytes":
		n := 1 + int(st.u64()%uint64(min(f.Max, 24)))
		return hexOf(st.bytes(n))
	}
	return nil
}

// --- params ---

func paramVectors(s *schema.Spec, _ cases) (file, error) {
	var out []obj
	for _, c := range s.Constants {
		out = append(out, obj{{"name", c.Name}, {"type", c.Type}, {"value", c.Value}})
	}
	return file{path: "params.json", v: obj{{"kind", "params"}, {"cases", out}}, n: len(out)}, nil
}
