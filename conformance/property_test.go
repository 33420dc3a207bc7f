package conformance

// Property tests of the generated Borsh codecs (generated/types), driven by the
// spec: one reflective value generator walks spec/*.yaml (gen/schema) to build
// random valid values of every spec type, and two properties are checked for
// every name types.Names() lists:
//
//   A. round trip: decode(encode(x)) == x, re-encoding gives the same bytes,
//      BorshSize() == len(encoding), AppendBorsh appends exactly the encoding,
//      decoding into a reused (dirty) value gives x too, and the decoder is
//      strict about a missing last byte and a trailing byte.
//   B. oracle: the generated encoding equals the reflection encoding of
//      github.com/near/borsh-go v0.3.1, and borsh-go decodes it back to x for
//      the types it can decode faithfully (see borshGoDecodeExcluded).
//
// The seed is random per run and printed on failure; set ORAMA_PROP_SEED to
// replay one.

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"
	borshgo "github.com/near/borsh-go"

	"github.com/oramanetwork/orama-chain/gen/schema"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/borsh"
)

// propMinTests is the number of random values each property checks per type.
const propMinTests = 500

// borshGoDecodeExcluded lists the types whose borsh-go DECODING is not compared
// exactly with the original value (their borsh-go ENCODING still is, like every
// type's). borsh-go v0.3.1 decodes an option's None tag (0) as a non-nil
// pointer to a zero value instead of a nil pointer (deserialize, case
// reflect.Ptr: `if valid == 0 { p := reflect.New(t.Elem()); return
// p.Interface(), nil }`), so every type holding an option anywhere inside it
// decodes wrongly whenever that option is None:
//
//   - BlockHeader: timeout_cert is option<TimeoutCert>
//   - Block:         header is a BlockHeader
//   - SafetyRecord:  last_timeout is option<Timeout>
//   - Proposal:      block is a Block
//   - NewView:       last_tc is option<TimeoutCert>
//   - CommitProof:   child is a BlockHeader
//   - SyncResponse:  proof is option<CommitProof>
//   - BlockResponse: block is option<Block>
//   - SMTProof:      leaf is option<SMTProofLeaf>
//   - CacheWrite:    value is option<CacheValue>
//   - WriteSet:      supply is option<NsSupply>
//   - NsOutcome:     contract is option<Address>
//   - TxLogEntry:    outcome is an NsOutcome
//
// TestBorshGoDecodeExclusions checks that this list is exactly the set of
// types the schema gives an option somewhere (so it must be updated with the
// spec), and that borsh-go really does misdecode each of them (so the list is
// shrunk if borsh-go is fixed). For these types the oracle still decodes with
// borsh-go and compares modulo that one rewrite (None read as &zero value).
//
// No other borsh-go limitation affects the spec's types for valid values: it
// has no length limits, UTF-8 checks, enum variant checks or trailing-byte
// check, but those only matter for invalid input, which the oracle never feeds
// it.
var borshGoDecodeExcluded = []string{"BlockHeader", "Block", "SafetyRecord", "Proposal", "NewView", "CommitProof", "SyncResponse", "BlockResponse",
	"CacheWrite", "WriteSet", "NsOutcome", "TxLogEntry", "SMTProof"}

// --- spec loading ---

var (
	propSpecOnce sync.Once
	propSpecVal  *schema.Spec
	propSpecErr  error
)

func propSpec(t testing.TB) *schema.Spec {
	t.Helper()
	propSpecOnce.Do(func() { propSpecVal, propSpecErr = schema.Load("../spec") })
	if propSpecErr != nil {
		t.Fatalf("load spec: %v", propSpecErr)
	}
	return propSpecVal
}

// propSeed returns ORAMA_PROP_SEED when set, else a time-based seed.
func propSeed(t testing.TB) int64 {
	t.Helper()
	if s := os.Getenv("ORAMA_PROP_SEED"); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("ORAMA_PROP_SEED=%q: %v", s, err)
		}
		return seed
	}
	return time.Now().UnixNano()
}

// --- the schema-driven generator ---

// exactMaxLimit: strings and bytes whose Max is at most this are sometimes
// generated at exactly Max bytes; larger limits stay at <= 64 bytes so the
// properties stay fast.
const exactMaxLimit = 1024

// propGen returns a generator of random valid values of the spec type name,
// as the borsh.Codec types.New returns (a pointer to the generated Go type).
// The value is filled by reflection guided by the schema: the Go type gives
// the shape, the schema gives limits and enum variants.
func propGen(spec *schema.Spec, name string) gopter.Gen {
	t := spec.Type(name)
	return func(p *gopter.GenParameters) *gopter.GenResult {
		v, ok := types.New(name)
		if !ok || t == nil {
			panic(fmt.Sprintf("type %s: types.New ok=%v, in spec=%v", name, ok, t != nil))
		}
		propFillNamed(p.Rng, t, reflect.ValueOf(v).Elem())
		return gopter.NewGenResult(v, gopter.NoShrinker)
	}
}

func propFillNamed(rng *rand.Rand, t *schema.Type, v reflect.Value) {
	switch t.Kind {
	case schema.Fixed:
		if v.Kind() != reflect.Array || v.Len() != t.Size {
			panic(fmt.Sprintf("%s: Go type %s is not [%d]byte", t.Name, v.Type(), t.Size))
		}
		b := make([]byte, t.Size)
		switch rng.Intn(10) {
		case 0: // all zero
		case 1:
			for i := range b {
				b[i] = 0xff
			}
		default:
			rng.Read(b)
		}
		reflect.Copy(v, reflect.ValueOf(b))
	case schema.Enum:
		v.SetUint(uint64(t.Variants[rng.Intn(len(t.Variants))].Value))
	case schema.Struct:
		for _, f := range t.Fields {
			fv := v.FieldByName(schema.GoName(f.Name))
			if !fv.IsValid() {
				panic(fmt.Sprintf("%s.%s: Go field %s missing", t.Name, f.Name, schema.GoName(f.Name)))
			}
			propFillRef(rng, f.Type, f.Max, fv)
		}
	}
}

func propFillRef(rng *rand.Rand, r *schema.Ref, max int, v reflect.Value) {
	switch r.Kind {
	case schema.Prim:
		switch r.Prim {
		case "u8", "u16", "u32", "u64":
			v.SetUint(propUint(rng, propIntBits(r.Prim)))
		case "bool":
			v.SetBool(rng.Intn(2) == 1)
		case "string":
			v.SetString(propString(rng, propLen(rng, max)))
		case "bytes":
			n := propLen(rng, max)
			if n == 0 && rng.Intn(2) == 0 {
				v.Set(reflect.Zero(v.Type())) // nil and empty must encode alike
				return
			}
			b := make([]byte, n)
			rng.Read(b)
			v.Set(reflect.ValueOf(b).Convert(v.Type()))
		default:
			panic("unknown primitive " + r.Prim)
		}
	case schema.Named:
		propFillNamed(rng, r.Named, v)
	case schema.Vec:
		n := rng.Intn(min(max, 4) + 1)
		if n == 0 && rng.Intn(2) == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			propFillRef(rng, r.Elem, 0, s.Index(i))
		}
		v.Set(s)
	case schema.Option:
		if rng.Intn(2) == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		p := reflect.New(v.Type().Elem())
		propFillRef(rng, r.Elem, 0, p.Elem())
		v.Set(p)
	}
}

func propIntBits(prim string) int {
	switch prim {
	case "u8":
		return 8
	case "u16":
		return 16
	case "u32":
		return 32
	}
	return 64
}

// propUint returns an integer over the whole range of an unsigned type of the
// given width, biased toward 0, the maximum, small values and (for u64) the
// neighbourhood of 2^53, where JSON numbers stop being exact.
func propUint(rng *rand.Rand, bits int) uint64 {
	hi := uint64(math.MaxUint64) >> (64 - bits)
	switch k := rng.Intn(20); {
	case k < 2:
		return 0
	case k < 4:
		return hi
	case k < 5:
		return hi - uint64(rng.Intn(3))
	case k < 7 && bits == 64:
		return 1<<53 - 2 + uint64(rng.Intn(5)) // 2^53-2 .. 2^53+2
	case k < 9:
		return uint64(rng.Intn(256)) & hi
	}
	return rng.Uint64() & hi
}

// propLen returns a random byte length within max: 0 sometimes, exactly max
// sometimes when max is small, and otherwise at most min(max, 64).
func propLen(rng *rand.Rand, max int) int {
	switch k := rng.Intn(10); {
	case k == 0:
		return 0
	case k == 1 && max <= exactMaxLimit:
		return max
	}
	return rng.Intn(min(max, 64) + 1)
}

// propString returns valid UTF-8 of exactly n bytes mixing 1- to 4-byte runes
// (never surrogates); it falls back to shorter runes near the end.
func propString(rng *rand.Rand, n int) string {
	b := make([]byte, 0, n)
	for len(b) < n {
		left := n - len(b)
		var r rune
		switch k := rng.Intn(8); {
		case k < 4 || left < 2:
			r = rune(rng.Intn(0x80))
		case k < 5 || left < 3:
			r = rune(0x80 + rng.Intn(0x800-0x80))
		case k < 7 || left < 4:
			r = rune(0x800 + rng.Intn(0x10000-0x800-0x800)) // skip D800-DFFF
			if r >= 0xD800 {
				r += 0x800
			}
		default:
			r = rune(0x10000 + rng.Intn(0x110000-0x10000))
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// --- comparing values ---

// propDiff compares two values of the same generated type and describes the
// first difference, or returns "". Nil and empty slices are equal (decoding
// returns nil for empty bytes and vectors). With noneAsZero, a nil pointer in
// want equals a non-nil pointer to a zero value in got: the one rewrite
// borsh-go's decoder makes (see borshGoDecodeExcluded).
func propDiff(want, got reflect.Value, path string, noneAsZero bool) string {
	if want.Type() != got.Type() {
		return fmt.Sprintf("%s: type %s vs %s", path, want.Type(), got.Type())
	}
	switch want.Kind() {
	case reflect.Pointer:
		switch {
		case want.IsNil() && got.IsNil():
			return ""
		case want.IsNil() && noneAsZero && got.Elem().IsZero():
			return ""
		case want.IsNil() || got.IsNil():
			return fmt.Sprintf("%s: want nil=%v, got nil=%v", path, want.IsNil(), got.IsNil())
		}
		return propDiff(want.Elem(), got.Elem(), path, noneAsZero)
	case reflect.Slice:
		if want.Len() != got.Len() {
			return fmt.Sprintf("%s: want len %d, got len %d", path, want.Len(), got.Len())
		}
		if want.Type().Elem().Kind() == reflect.Uint8 {
			if !bytes.Equal(want.Bytes(), got.Bytes()) {
				return fmt.Sprintf("%s: want %x, got %x", path, want.Bytes(), got.Bytes())
			}
			return ""
		}
		for i := range want.Len() {
			if d := propDiff(want.Index(i), got.Index(i), fmt.Sprintf("%s[%d]", path, i), noneAsZero); d != "" {
				return d
			}
		}
		return ""
	case reflect.Struct:
		for i := range want.NumField() {
			if d := propDiff(want.Field(i), got.Field(i), path+"."+want.Type().Field(i).Name, noneAsZero); d != "" {
				return d
			}
		}
		return ""
	}
	if !want.Equal(got) {
		return fmt.Sprintf("%s: want %v, got %v", path, want, got)
	}
	return ""
}

func propNewLike(v borsh.Codec) borsh.Codec {
	return reflect.New(reflect.TypeOf(v).Elem()).Interface().(borsh.Codec)
}

// --- the properties ---

// propTamper, when set, changes the encoding between encoder and decoder (or
// oracle): the negative controls use it to show the properties can fail.
type propTamper func(enc []byte)

// propCheckRoundTrip is property A for one value. dirty is another random
// value of the same type that is decoded over.
func propCheckRoundTrip(name string, v, dirty borsh.Codec, tamper propTamper) string {
	enc, err := v.MarshalBorsh()
	if err != nil {
		return "encode: " + err.Error()
	}
	if n := v.BorshSize(); n != len(enc) {
		return fmt.Sprintf("BorshSize %d, encoding has %d bytes", n, len(enc))
	}
	prefix := []byte{0xde, 0xad}
	app, err := v.AppendBorsh(prefix)
	if err != nil {
		return "AppendBorsh: " + err.Error()
	}
	if !bytes.Equal(app[:2], []byte{0xde, 0xad}) || !bytes.Equal(app[2:], enc) {
		return fmt.Sprintf("AppendBorsh onto a prefix gave %x, want dead%x", app, enc)
	}
	wire := slices.Clone(enc)
	if tamper != nil {
		tamper(wire)
	}
	got := propNewLike(v)
	if err := got.UnmarshalBorsh(wire); err != nil {
		return fmt.Sprintf("decode %x: %v", wire, err)
	}
	if d := propDiff(reflect.ValueOf(v).Elem(), reflect.ValueOf(got).Elem(), name, false); d != "" {
		return "decode(encode(x)) != x: " + d
	}
	enc2, err := got.MarshalBorsh()
	if err != nil {
		return "re-encode: " + err.Error()
	}
	if !bytes.Equal(enc, enc2) {
		return fmt.Sprintf("re-encoding differs:\n first  %x\n second %x", enc, enc2)
	}
	if err := dirty.UnmarshalBorsh(wire); err != nil {
		return fmt.Sprintf("decode into a used value: %v", err)
	}
	if d := propDiff(reflect.ValueOf(v).Elem(), reflect.ValueOf(dirty).Elem(), name, false); d != "" {
		return "decoding into a used value left stale data: " + d
	}
	if err := propNewLike(v).UnmarshalBorsh(wire[:len(wire)-1]); !errors.Is(err, borsh.ErrUnexpectedEOF) {
		return fmt.Sprintf("decoding without the last byte: got %v, want unexpected EOF", err)
	}
	if err := propNewLike(v).UnmarshalBorsh(append(slices.Clone(wire), 0)); !errors.Is(err, borsh.ErrTrailingBytes) {
		return fmt.Sprintf("decoding with a trailing byte: got %v, want trailing bytes", err)
	}
	return ""
}

// propCheckOracle is property B for one value: borsh-go's encoding of the
// same Go value must equal the generated one, and borsh-go must decode the
// generated encoding back to the value (exactly, or modulo None-as-zero for
// the excluded types). It reports which decode comparison it made.
func propCheckOracle(name string, v borsh.Codec, exact bool, tamper propTamper) string {
	enc, err := v.MarshalBorsh()
	if err != nil {
		return "encode: " + err.Error()
	}
	if tamper != nil {
		tamper(enc)
	}
	want, err := borshgo.Serialize(reflect.ValueOf(v).Elem().Interface())
	if err != nil {
		return "borsh-go encode: " + err.Error()
	}
	if !bytes.Equal(enc, want) {
		return fmt.Sprintf("generated encoding differs from borsh-go:\n generated %x\n borsh-go  %x", enc, want)
	}
	p := reflect.New(reflect.TypeOf(v).Elem())
	if err := borshgo.Deserialize(p.Interface(), enc); err != nil {
		return "borsh-go decode: " + err.Error()
	}
	if d := propDiff(reflect.ValueOf(v).Elem(), p.Elem(), name, !exact); d != "" {
		return "borsh-go decode differs: " + d
	}
	return ""
}

// propCounts records, per type, how many values each check passed; it is how
// the tests prove that no type was silently skipped.
type propCounts struct {
	mu            sync.Mutex
	roundTrip     map[string]int // property A passed
	oracleEncode  map[string]int // property B passed
	decodeExact   map[string]int // ... with an exact borsh-go decode comparison
	decodeLenient map[string]int // ... comparing modulo None-as-zero (excluded types)
}

func newPropCounts() *propCounts {
	return &propCounts{roundTrip: map[string]int{}, oracleEncode: map[string]int{}, decodeExact: map[string]int{}, decodeLenient: map[string]int{}}
}

func (c *propCounts) add(m map[string]int, name string) {
	c.mu.Lock()
	m[name]++
	c.mu.Unlock()
}

type propKind int

const (
	propRoundTrip propKind = iota
	propOracle
)

// propRun checks one property for every name in types.Names() with minTests
// values each, and reports whether all passed plus gopter's report.
func propRun(t *testing.T, kind propKind, minTests int, counts *propCounts) (bool, string) {
	t.Helper()
	spec := propSpec(t)
	seed := propSeed(t)
	params := gopter.DefaultTestParametersWithSeed(seed)
	params.MinSuccessfulTests = minTests
	params.MaxShrinkCount = 0
	properties := gopter.NewProperties(params)
	excluded := map[string]bool{}
	for _, n := range borshGoDecodeExcluded {
		excluded[n] = true
	}
	for _, name := range types.Names() {
		g := propGen(spec, name)
		switch kind {
		case propRoundTrip:
			properties.Property(name+" round trip", prop.ForAll(func(v, dirty borsh.Codec) string {
				if msg := propCheckRoundTrip(name, v, dirty, nil); msg != "" {
					return msg
				}
				counts.add(counts.roundTrip, name)
				return ""
			}, g, g))
		case propOracle:
			exact := !excluded[name]
			properties.Property(name+" borsh-go oracle", prop.ForAll(func(v borsh.Codec) string {
				if msg := propCheckOracle(name, v, exact, nil); msg != "" {
					return msg
				}
				counts.add(counts.oracleEncode, name)
				if exact {
					counts.add(counts.decodeExact, name)
				} else {
					counts.add(counts.decodeLenient, name)
				}
				return ""
			}, g))
		}
	}
	var report bytes.Buffer
	ok := properties.Run(gopter.NewFormatedReporter(false, 160, &report))
	return ok, fmt.Sprintf("seed %d (replay with ORAMA_PROP_SEED=%d):\n%s", seed, seed, report.String())
}

// propRequireCoverage fails unless every name passed at least n values in m.
func propRequireCoverage(t *testing.T, what string, m map[string]int, names []string, n int) {
	t.Helper()
	for _, name := range names {
		if m[name] < n {
			t.Errorf("%s: type %s checked %d times, want at least %d", what, name, m[name], n)
		}
	}
}

// TestPropertyRoundTrip is property A for every type.
func TestPropertyRoundTrip(t *testing.T) {
	counts := newPropCounts()
	ok, report := propRun(t, propRoundTrip, propMinTests, counts)
	if !ok {
		t.Fatalf("round-trip property failed, %s", report)
	}
	propRequireCoverage(t, "round trip", counts.roundTrip, types.Names(), propMinTests)
}

// TestPropertyBorshGoOracle is property B for every type.
func TestPropertyBorshGoOracle(t *testing.T) {
	counts := newPropCounts()
	ok, report := propRun(t, propOracle, propMinTests, counts)
	if !ok {
		t.Fatalf("borsh-go oracle property failed, %s", report)
	}
	propRequireCoverage(t, "borsh-go encode", counts.oracleEncode, types.Names(), propMinTests)
}

// TestPropertiesExerciseEveryType fails when a type is silently skipped: every
// name types.Names() lists must be a spec type and pass both properties, the
// borsh-go decode comparison must be exact for every type but the excluded
// ones, and those must still be decoded (modulo None-as-zero).
func TestPropertiesExerciseEveryType(t *testing.T) {
	spec := propSpec(t)
	var specNames []string
	for _, ty := range spec.Types() {
		specNames = append(specNames, ty.Name)
	}
	names := types.Names()
	if !slices.Equal(names, specNames) {
		t.Fatalf("types.Names() differs from the spec's types:\n names %v\n spec  %v", names, specNames)
	}
	const n = 10
	counts := newPropCounts()
	for _, kind := range []propKind{propRoundTrip, propOracle} {
		if ok, report := propRun(t, kind, n, counts); !ok {
			t.Fatalf("property %d failed, %s", kind, report)
		}
	}
	propRequireCoverage(t, "round trip", counts.roundTrip, names, n)
	propRequireCoverage(t, "borsh-go encode", counts.oracleEncode, names, n)
	var exact, lenient []string
	for _, name := range names {
		if slices.Contains(borshGoDecodeExcluded, name) {
			lenient = append(lenient, name)
		} else {
			exact = append(exact, name)
		}
	}
	propRequireCoverage(t, "borsh-go exact decode", counts.decodeExact, exact, n)
	propRequireCoverage(t, "borsh-go decode modulo None", counts.decodeLenient, lenient, n)
	for _, name := range lenient {
		if counts.decodeExact[name] != 0 {
			t.Errorf("excluded type %s was compared exactly", name)
		}
	}
	if len(counts.roundTrip) != len(names) || len(counts.oracleEncode) != len(names) {
		t.Errorf("properties ran for %d and %d types, want %d", len(counts.roundTrip), len(counts.oracleEncode), len(names))
	}
}

// --- borsh-go's known limitation ---

// propHasOption reports whether values of the type hold an option anywhere.
func propHasOption(t *schema.Type, seen map[*schema.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	for _, f := range t.Fields {
		for r := f.Type; r != nil; r = r.Elem {
			if r.Kind == schema.Option {
				return true
			}
			if r.Kind == schema.Named && propHasOption(r.Named, seen) {
				return true
			}
		}
	}
	return false
}

// TestBorshGoDecodeExclusions checks that borshGoDecodeExcluded is exactly the
// types the schema gives an option, and that borsh-go really misdecodes each
// of them when the options are None (so the exclusion is necessary).
func TestBorshGoDecodeExclusions(t *testing.T) {
	spec := propSpec(t)
	var implied []string
	for _, ty := range spec.Types() {
		if propHasOption(ty, map[*schema.Type]bool{}) {
			implied = append(implied, ty.Name)
		}
	}
	if !slices.Equal(implied, borshGoDecodeExcluded) {
		t.Fatalf("borshGoDecodeExcluded = %v, the schema implies %v (types holding an option, in spec order)", borshGoDecodeExcluded, implied)
	}
	for _, name := range borshGoDecodeExcluded {
		v, _ := types.New(name) // zero value: every option is None
		enc, err := v.MarshalBorsh()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := reflect.New(reflect.TypeOf(v).Elem())
		if err := borshgo.Deserialize(p.Interface(), enc); err != nil {
			t.Fatalf("%s: borsh-go decode: %v", name, err)
		}
		d := propDiff(reflect.ValueOf(v).Elem(), p.Elem(), name, false)
		if d == "" {
			t.Errorf("%s: borsh-go decoded its None options faithfully; drop it from borshGoDecodeExcluded", name)
			continue
		}
		if !strings.Contains(d, "want nil=true, got nil=false") {
			t.Errorf("%s: borsh-go misdecodes it in an unexpected way: %s", name, d)
		}
		if d := propDiff(reflect.ValueOf(v).Elem(), p.Elem(), name, true); d != "" {
			t.Errorf("%s: borsh-go differs beyond None-as-zero: %s", name, d)
		}
	}
}

// --- negative controls ---

// TestPropertiesNegativeControl shows the properties can fail: flipping bits
// of one byte of every encoding between encoder and decoder (or oracle) must
// make both properties fail for every type. A strict, canonical codec decodes
// the changed bytes to an error or to a different value, never to x.
func TestPropertiesNegativeControl(t *testing.T) {
	flip := func(rng *rand.Rand) propTamper {
		pos, mask := rng.Int(), byte(1+rng.Intn(255))
		return func(enc []byte) { enc[pos%len(enc)] ^= mask }
	}
	for _, kind := range []propKind{propRoundTrip, propOracle} {
		for _, name := range types.Names() {
			t.Run(fmt.Sprintf("%d/%s", kind, name), func(t *testing.T) {
				counts := newPropCounts()
				ok, report := propRunOne(t, kind, name, counts, flip)
				if ok {
					t.Errorf("property passed with corrupted encodings; it cannot detect errors. %s", report)
				}
				if counts.roundTrip[name]+counts.oracleEncode[name] != 0 {
					t.Errorf("a corrupted encoding passed the check")
				}
			})
		}
	}
}

// propRunOne is propRun restricted to one type.
func propRunOne(t *testing.T, kind propKind, name string, counts *propCounts, tamper func(*rand.Rand) propTamper) (bool, string) {
	t.Helper()
	spec := propSpec(t)
	seed := propSeed(t)
	params := gopter.DefaultTestParametersWithSeed(seed)
	params.MinSuccessfulTests = 20
	params.MaxShrinkCount = 0
	rng := rand.New(rand.NewSource(seed))
	properties := gopter.NewProperties(params)
	g := propGen(spec, name)
	exact := !slices.Contains(borshGoDecodeExcluded, name)
	properties.Property(name, prop.ForAll(func(v, dirty borsh.Codec) string {
		var msg string
		if kind == propRoundTrip {
			msg = propCheckRoundTrip(name, v, dirty, tamper(rng))
		} else {
			msg = propCheckOracle(name, v, exact, tamper(rng))
		}
		if msg == "" {
			counts.add(counts.roundTrip, name)
		}
		return msg
	}, g, g))
	var report bytes.Buffer
	ok := properties.Run(gopter.NewFormatedReporter(false, 160, &report))
	return ok, fmt.Sprintf("seed %d:\n%s", seed, report.String())
}

// TestPropertyCorruptedEncoding: a changed byte is either rejected by the
// strict decoder or decodes to a different value whose encoding is exactly
// the changed bytes (decoding accepts canonical encodings only).
func TestPropertyCorruptedEncoding(t *testing.T) {
	spec := propSpec(t)
	seed := propSeed(t)
	params := gopter.DefaultTestParametersWithSeed(seed)
	params.MinSuccessfulTests = 100
	params.MaxShrinkCount = 0
	properties := gopter.NewProperties(params)
	for _, name := range types.Names() {
		g := propGen(spec, name)
		properties.Property(name, prop.ForAll(func(v borsh.Codec, pos int, mask uint8) string {
			enc, err := v.MarshalBorsh()
			if err != nil {
				return "encode: " + err.Error()
			}
			bad := slices.Clone(enc)
			bad[pos%len(bad)] ^= mask | 1
			got := propNewLike(v)
			if err := got.UnmarshalBorsh(bad); err != nil {
				if borsh.Kind(err) == "" {
					return fmt.Sprintf("decode %x: error %v wraps no sentinel", bad, err)
				}
				return ""
			}
			if propDiff(reflect.ValueOf(v).Elem(), reflect.ValueOf(got).Elem(), name, false) == "" {
				return fmt.Sprintf("%x and %x decode to the same value", enc, bad)
			}
			re, err := got.MarshalBorsh()
			if err != nil {
				return fmt.Sprintf("decoded %x but cannot re-encode it: %v", bad, err)
			}
			if !bytes.Equal(re, bad) {
				return fmt.Sprintf("decoded %x, re-encoded as %x", bad, re)
			}
			return ""
		}, g, propGenInt(), propGenByte()))
	}
	var report bytes.Buffer
	if !properties.Run(gopter.NewFormatedReporter(false, 160, &report)) {
		t.Fatalf("seed %d (replay with ORAMA_PROP_SEED=%d):\n%s", seed, seed, report.String())
	}
}

func propGenInt() gopter.Gen {
	return func(p *gopter.GenParameters) *gopter.GenResult {
		return gopter.NewGenResult(p.Rng.Intn(math.MaxInt32), gopter.NoShrinker)
	}
}

func propGenByte() gopter.Gen {
	return func(p *gopter.GenParameters) *gopter.GenResult {
		return gopter.NewGenResult(uint8(p.Rng.Intn(256)), gopter.NoShrinker)
	}
}

// --- the generator checks itself ---

// propInspect walks a generated value with the schema, returns the first
// violation of the spec's rules, and records which edge cases it met.
func propInspect(t *schema.Type, v reflect.Value, seen map[string]bool) string {
	switch t.Kind {
	case schema.Fixed:
		b := make([]byte, v.Len())
		reflect.Copy(reflect.ValueOf(b), v)
		if bytes.Count(b, []byte{0}) == len(b) {
			seen["fixed all zero"] = true
		}
		if bytes.Count(b, []byte{0xff}) == len(b) {
			seen["fixed all 0xff"] = true
		}
	case schema.Enum:
		for _, vr := range t.Variants {
			if uint64(vr.Value) == v.Uint() {
				seen[fmt.Sprintf("enum %s.%s", t.Name, vr.Name)] = true
				return ""
			}
		}
		return fmt.Sprintf("%s: %d is no variant", t.Name, v.Uint())
	case schema.Struct:
		for _, f := range t.Fields {
			if msg := propInspectRef(f.Type, f.Max, v.FieldByName(schema.GoName(f.Name)), seen); msg != "" {
				return t.Name + "." + f.Name + ": " + msg
			}
		}
	}
	return ""
}

func propInspectRef(r *schema.Ref, max int, v reflect.Value, seen map[string]bool) string {
	switch r.Kind {
	case schema.Prim:
		switch r.Prim {
		case "string":
			s := v.String()
			if len(s) > max || !utf8.ValidString(s) {
				return fmt.Sprintf("string of %d bytes (max %d), valid UTF-8 %v", len(s), max, utf8.ValidString(s))
			}
			for _, c := range s {
				seen[fmt.Sprintf("%d-byte rune", utf8.RuneLen(c))] = true
			}
			seen["string empty"] = seen["string empty"] || len(s) == 0
			seen["string exactly max"] = seen["string exactly max"] || len(s) == max
		case "bytes":
			if v.Len() > max {
				return fmt.Sprintf("%d bytes, max %d", v.Len(), max)
			}
			seen["bytes nil"] = seen["bytes nil"] || v.IsNil()
			seen["bytes empty non-nil"] = seen["bytes empty non-nil"] || (!v.IsNil() && v.Len() == 0)
			seen["bytes exactly max"] = seen["bytes exactly max"] || v.Len() == max
		case "bool":
			seen[fmt.Sprintf("bool %v", v.Bool())] = true
		default:
			x, bits := v.Uint(), propIntBits(r.Prim)
			hi := uint64(math.MaxUint64) >> (64 - bits)
			switch {
			case x == 0:
				seen[r.Prim+" zero"] = true
			case x == hi:
				seen[r.Prim+" max"] = true
			case bits == 64 && x >= 1<<53-2 && x <= 1<<53+2:
				seen["u64 near 2^53"] = true
			case bits == 64 && x > 1<<53:
				seen["u64 above 2^53"] = true
			}
		}
	case schema.Named:
		return propInspect(r.Named, v, seen)
	case schema.Vec:
		if v.Len() > max || v.Len() > 4 {
			return fmt.Sprintf("vector of %d, max %d", v.Len(), max)
		}
		seen[fmt.Sprintf("vec len %d", v.Len())] = true
		seen["vec nil"] = seen["vec nil"] || v.IsNil()
		for i := range v.Len() {
			if msg := propInspectRef(r.Elem, 0, v.Index(i), seen); msg != "" {
				return fmt.Sprintf("[%d]: %s", i, msg)
			}
		}
	case schema.Option:
		if v.IsNil() {
			seen["option none"] = true
			return ""
		}
		seen["option some"] = true
		return propInspectRef(r.Elem, 0, v.Elem(), seen)
	}
	return ""
}

// TestPropertyGeneratorRespectsSchema checks the generator itself: values stay
// within the spec's limits and enum variants, the Go types have exactly the
// schema's fields, and the edge cases the properties rely on do occur.
func TestPropertyGeneratorRespectsSchema(t *testing.T) {
	spec := propSpec(t)
	seed := propSeed(t)
	params := gopter.DefaultGenParameters()
	params.Rng = rand.New(rand.NewSource(seed))
	seen := map[string]bool{}
	for _, ty := range spec.Types() {
		v, ok := types.New(ty.Name)
		if !ok {
			t.Fatalf("types.New(%q) failed", ty.Name)
		}
		if rt := reflect.TypeOf(v).Elem(); rt.Name() != ty.Name {
			t.Errorf("types.New(%q) returned a %s", ty.Name, rt)
		} else if ty.Kind == schema.Struct && rt.NumField() != len(ty.Fields) {
			t.Errorf("%s: Go struct has %d fields, the spec %d", ty.Name, rt.NumField(), len(ty.Fields))
		}
		g := propGen(spec, ty.Name)
		for range 200 {
			val, ok := g(params).Retrieve()
			if !ok {
				t.Fatalf("%s: generator gave no value", ty.Name)
			}
			if msg := propInspect(ty, reflect.ValueOf(val).Elem(), seen); msg != "" {
				t.Fatalf("seed %d: generated an invalid value: %s", seed, msg)
			}
		}
	}
	for _, ty := range spec.Types() {
		if ty.Kind == schema.Enum {
			for _, vr := range ty.Variants {
				if k := fmt.Sprintf("enum %s.%s", ty.Name, vr.Name); !seen[k] {
					t.Errorf("seed %d: never generated %s", seed, k)
				}
			}
		}
	}
	for _, k := range []string{
		"fixed all zero", "fixed all 0xff", "1-byte rune", "2-byte rune", "3-byte rune", "4-byte rune",
		"string empty", "string exactly max", "bytes nil", "bytes empty non-nil", "bytes exactly max",
		"bool true", "bool false", "u64 zero", "u64 max", "u64 near 2^53", "u64 above 2^53", "u32 zero", "u32 max",
		"vec len 0", "vec len 4", "vec nil", "option none", "option some",
	} {
		if !seen[k] {
			t.Errorf("seed %d: never generated %s", seed, k)
		}
	}
}

// TestPropertyEncoderRejectsInvalid: the encoder refuses every value the
// strict decoder would refuse, so nothing written can fail to read back. For
// each direct field of each struct, a random valid value is made invalid in
// that one field: a string, bytes or vector one over its max, a string that
// is not UTF-8, an enum value no variant has.
func TestPropertyEncoderRejectsInvalid(t *testing.T) {
	spec := propSpec(t)
	seed := propSeed(t)
	params := gopter.DefaultGenParameters()
	params.Rng = rand.New(rand.NewSource(seed))
	checked := 0
	for _, ty := range spec.Types() {
		for _, f := range ty.Fields {
			type breaker struct {
				what string
				want error
				set  func(fv reflect.Value)
			}
			var breakers []breaker
			r := f.Type
			switch {
			case r.Kind == schema.Prim && r.Prim == "string":
				breakers = append(breakers,
					breaker{"over max", borsh.ErrLengthLimit, func(fv reflect.Value) { fv.SetString(strings.Repeat("a", f.Max+1)) }},
					breaker{"not UTF-8", borsh.ErrInvalidUTF8, func(fv reflect.Value) { fv.SetString("\xff") }})
			case r.Kind == schema.Prim && r.Prim == "bytes":
				breakers = append(breakers, breaker{"over max", borsh.ErrLengthLimit, func(fv reflect.Value) {
					fv.Set(reflect.ValueOf(make([]byte, f.Max+1)).Convert(fv.Type()))
				}})
			case r.Kind == schema.Vec && f.Max <= 4096:
				breakers = append(breakers, breaker{"over max", borsh.ErrLengthLimit, func(fv reflect.Value) {
					fv.Set(reflect.MakeSlice(fv.Type(), f.Max+1, f.Max+1))
				}})
			case r.Kind == schema.Named && r.Named.Kind == schema.Enum:
				valid := map[uint64]bool{}
				for _, vr := range r.Named.Variants {
					valid[uint64(vr.Value)] = true
				}
				bad := uint64(0)
				for valid[bad] {
					bad++
				}
				breakers = append(breakers, breaker{fmt.Sprintf("variant %d", bad), borsh.ErrUnknownVariant, func(fv reflect.Value) { fv.SetUint(bad) }})
			}
			for _, b := range breakers {
				val, _ := propGen(spec, ty.Name)(params).Retrieve()
				v := val.(borsh.Codec)
				b.set(reflect.ValueOf(v).Elem().FieldByName(schema.GoName(f.Name)))
				if _, err := v.MarshalBorsh(); !errors.Is(err, b.want) {
					t.Errorf("seed %d: %s.%s %s: MarshalBorsh error %v, want %v", seed, ty.Name, f.Name, b.what, err, b.want)
				}
				if _, err := v.AppendBorsh(nil); !errors.Is(err, b.want) {
					t.Errorf("seed %d: %s.%s %s: AppendBorsh error %v, want %v", seed, ty.Name, f.Name, b.what, err, b.want)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no field checked")
	}
}
