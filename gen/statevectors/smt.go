package statevectors

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"github.com/oramanetwork/orama-chain/gen/outdir"
	"github.com/oramanetwork/orama-chain/runtime/smt"
)

// smtCase is one YAML SMT case: updates applied one per commit, then keys
// (besides every deleted one) to prove absent in the final tree.
type smtCase struct {
	Name   string    `yaml:"name"`
	Doc    string    `yaml:"doc"`
	Steps  []smtStep `yaml:"steps"`
	Absent []string  `yaml:"absent"`
}

// smtStep is either {set: key, value: value} or {delete: key}. Keys and
// values are "0x" + hex or UTF-8 text.
type smtStep struct {
	Set    *string `yaml:"set"`
	Value  string  `yaml:"value"`
	Delete *string `yaml:"delete"`
}

// JSON forms.

type smtStepOut struct {
	Op    string  `json:"op"`
	Key   string  `json:"key"`
	Value *string `json:"value"`
	Root  string  `json:"root"`
}

type smtProofOut struct {
	Key   string  `json:"key"`
	Value *string `json:"value"` // null: a non-existence proof
	Proof string  `json:"proof"`
	Root  string  `json:"root"`
}

type smtMalformedOut struct {
	Name  string  `json:"name"`
	Claim string  `json:"claim"` // "inclusion" or "non_existence"
	Key   string  `json:"key"`
	Value *string `json:"value"` // the claimed value of an inclusion claim
	Proof string  `json:"proof"`
	Root  string  `json:"root"`
	Error string  `json:"error"`
	Why   string  `json:"why"`
}

type smtCaseOut struct {
	Name      string            `json:"name"`
	Doc       string            `json:"doc"`
	Steps     []smtStepOut      `json:"steps"`
	Root      string            `json:"root"`
	Proofs    []smtProofOut     `json:"proofs"`
	Malformed []smtMalformedOut `json:"malformed"`
}

// ProofErrors maps each malformed-proof reason of the vectors to the
// runtime/smt error it must produce. Decoding reasons come first, in the
// order a decoder meets them; then verification reasons.
var ProofErrors = []struct {
	Reason string
	Err    error
}{
	{"truncated", smt.ErrProofTruncated},
	{"too_many_siblings", smt.ErrTooManySiblings},
	{"sibling_count_mismatch", smt.ErrSiblingCountMismatch},
	{"invalid_option_tag", smt.ErrInvalidOptionTag},
	{"trailing_bytes", smt.ErrTrailingBytes},
	{"zero_sibling", smt.ErrZeroSibling},
	{"unexpected_leaf", smt.ErrUnexpectedLeaf},
	{"leaf_is_queried_key", smt.ErrLeafIsQueriedKey},
	{"leaf_not_on_path", smt.ErrLeafNotOnPath},
	{"root_mismatch", smt.ErrRootMismatch},
}

func reasonErr(reason string) error {
	for _, e := range ProofErrors {
		if e.Reason == reason {
			return e.Err
		}
	}
	return nil
}

// CheckProof decodes enc and verifies it for the claim (value nil: key
// absent), returning the first error: what every runner does with a proof.
func CheckProof(root [32]byte, key, value, enc []byte, nonExistence bool) error {
	var p smt.Proof
	if err := p.UnmarshalBinary(enc); err != nil {
		return err
	}
	if nonExistence {
		return smt.VerifyNonExistence(root, key, p)
	}
	return smt.VerifyInclusion(root, key, value, p)
}

func strp(s string) *string { return &s }

func smtVectors(cases []smtCase) ([]smtCaseOut, error) {
	var out []smtCaseOut
	for _, c := range cases {
		o, err := smtVector(c)
		if err != nil {
			return nil, fmt.Errorf("smt case %s: %w", c.Name, err)
		}
		out = append(out, o)
	}
	return out, nil
}

func smtVector(c smtCase) (smtCaseOut, error) {
	o := smtCaseOut{Name: c.Name, Doc: c.Doc, Steps: []smtStepOut{}, Proofs: []smtProofOut{}, Malformed: []smtMalformedOut{}}
	if c.Name == "" || len(c.Steps) == 0 {
		return o, errors.New("needs a name and steps")
	}
	tr, err := smt.Open(smt.NewMemStore(), smt.EmptyRoot)
	if err != nil {
		return o, err
	}
	present := map[string][]byte{} // hex key -> value
	touched := map[string]bool{}   // hex keys ever set or deleted
	roots := [][32]byte{smt.EmptyRoot}
	for i, s := range c.Steps {
		var st smtStepOut
		switch {
		case s.Set != nil && s.Delete == nil:
			k, err := parseBytes(*s.Set)
			if err != nil {
				return o, err
			}
			v, err := parseBytes(s.Value)
			if err != nil {
				return o, err
			}
			if err := tr.Update(k, v); err != nil {
				return o, fmt.Errorf("step %d: %w", i, err)
			}
			present[outdir.Hex(k)] = v
			touched[outdir.Hex(k)] = true
			st = smtStepOut{Op: "set", Key: outdir.Hex(k), Value: strp(outdir.Hex(v))}
		case s.Delete != nil && s.Set == nil && s.Value == "":
			k, err := parseBytes(*s.Delete)
			if err != nil {
				return o, err
			}
			if err := tr.Delete(k); err != nil {
				return o, err
			}
			delete(present, outdir.Hex(k))
			touched[outdir.Hex(k)] = true
			st = smtStepOut{Op: "delete", Key: outdir.Hex(k)}
		default:
			return o, fmt.Errorf("step %d: want {set, value} or {delete}", i)
		}
		root, err := tr.Commit(uint64(i + 1))
		if err != nil {
			return o, err
		}
		st.Root = outdir.Hex(root[:])
		roots = append(roots, root)
		o.Steps = append(o.Steps, st)
	}
	root := tr.Root()
	o.Root = outdir.Hex(root[:])

	// Proofs: every present key, then every absent key (deleted ones and
	// those listed), each group sorted by key bytes.
	absent := map[string]bool{}
	for k := range touched {
		if _, ok := present[k]; !ok {
			absent[k] = true
		}
	}
	for _, a := range c.Absent {
		k, err := parseBytes(a)
		if err != nil {
			return o, err
		}
		if _, ok := present[outdir.Hex(k)]; ok {
			return o, fmt.Errorf("absent key %q is present", a)
		}
		absent[outdir.Hex(k)] = true
	}
	type proved struct {
		key, value []byte
		proof      smt.Proof
		enc        []byte
	}
	prove := func(keys []string, inclusion bool) ([]proved, error) {
		var ps []proved
		for _, kh := range keys {
			k, _ := hex.DecodeString(kh[2:])
			p, err := tr.Prove(k)
			if err != nil {
				return nil, err
			}
			enc, err := p.MarshalBinary()
			if err != nil {
				return nil, err
			}
			var v []byte
			if inclusion {
				v = present[kh]
			}
			if err := CheckProof(root, k, v, enc, !inclusion); err != nil {
				return nil, fmt.Errorf("proof of %s does not verify: %w", kh, err)
			}
			ps = append(ps, proved{key: k, value: v, proof: p, enc: enc})
			po := smtProofOut{Key: kh, Proof: outdir.Hex(enc), Root: o.Root}
			if inclusion {
				po.Value = strp(outdir.Hex(v))
			}
			o.Proofs = append(o.Proofs, po)
		}
		return ps, nil
	}
	inc, err := prove(sortedKeys(present), true)
	if err != nil {
		return o, err
	}
	non, err := prove(sortedSet(absent), false)
	if err != nil {
		return o, err
	}

	// Malformed proofs, derived from the final tree's proofs.
	add := func(m smtMalformedOut, root [32]byte, key, value, enc []byte) error {
		want := reasonErr(m.Error)
		if want == nil {
			return fmt.Errorf("malformed %s: unknown reason %q", m.Name, m.Error)
		}
		got := CheckProof(root, key, value, enc, m.Claim == "non_existence")
		if !errors.Is(got, want) {
			return fmt.Errorf("malformed %s: fails with %v, labelled %s", m.Name, got, m.Error)
		}
		m.Key, m.Proof, m.Root = outdir.Hex(key), outdir.Hex(enc), outdir.Hex(root[:])
		if m.Claim == "inclusion" {
			m.Value = strp(outdir.Hex(value))
		}
		o.Malformed = append(o.Malformed, m)
		return nil
	}
	// The subject of byte-level corruptions: the inclusion proof with the
	// most siblings, else a non-existence proof.
	var subj *proved
	claim := "inclusion"
	for i := range inc {
		if subj == nil || len(inc[i].proof.Siblings) > len(subj.proof.Siblings) {
			subj = &inc[i]
		}
	}
	if subj == nil {
		claim = "non_existence"
		for i := range non {
			if subj == nil || len(non[i].proof.Siblings) > len(subj.proof.Siblings) {
				subj = &non[i]
			}
		}
	}
	if subj == nil {
		return o, nil
	}
	enc, n := subj.enc, len(subj.proof.Siblings)
	tagAt := 36 + 32*n
	mk := func(name, reason, why string) smtMalformedOut {
		return smtMalformedOut{Name: name, Claim: claim, Error: reason, Why: why}
	}
	type mut struct {
		m     smtMalformedOut
		enc   []byte
		value []byte
		key   []byte
		root  [32]byte
	}
	muts := []mut{
		{m: mk("truncated", "truncated", "the last byte of a valid proof is missing"), enc: enc[:len(enc)-1]},
		{m: mk("trailing_bytes", "trailing_bytes", "a zero byte follows a valid proof"), enc: append(bytes.Clone(enc), 0)},
		{m: mk("invalid_option_tag", "invalid_option_tag", "the leaf option tag is 2"), enc: withByte(enc, tagAt, 2)},
		{m: mk("count_above_depth", "too_many_siblings", "the sibling count is 257, above the tree depth, with the bitmap and bytes of a valid proof"),
			enc: withCount(enc, smt.Depth+1)},
		{m: mk("bitmap_bit_added", "sibling_count_mismatch", "one more bitmap bit set than siblings listed; every byte is present"),
			enc: withBitmap(enc, func(b *[32]byte) { setBit(b, firstClear(b)) })},
	}
	if n > 0 {
		muts = append(muts,
			mut{m: mk("bitmap_bit_cleared", "sibling_count_mismatch", "one bitmap bit fewer than siblings listed; every byte is present"),
				enc: withBitmap(enc, func(b *[32]byte) { clearBit(b, lastSet(b)) })},
			mut{m: mk("zero_sibling", "zero_sibling", "a sibling the bitmap marks non-empty is the all-zero (empty) hash"),
				enc: withZeroSibling(enc)},
			mut{m: mk("tampered_sibling", "root_mismatch", "one bit of a sibling flipped"),
				enc: withByte(enc, 36+31, enc[36+31]^1)},
		)
	}
	for i := range muts {
		muts[i].key, muts[i].value, muts[i].root = subj.key, subj.value, root
	}
	if claim == "inclusion" {
		k, v := subj.key, subj.value
		path, vh := smt.Path(k), smt.ValueHash(v)
		withLeaf := append(bytes.Clone(enc[:tagAt]), 1)
		withLeaf = append(append(withLeaf, path[:]...), vh[:]...)
		muts = append(muts,
			mut{m: smtMalformedOut{Name: "wrong_value", Claim: "inclusion", Error: "root_mismatch", Why: "a valid inclusion proof checked against another value"},
				enc: enc, key: k, value: append(bytes.Clone(v), 'x'), root: root},
			mut{m: smtMalformedOut{Name: "inclusion_with_leaf", Claim: "inclusion", Error: "unexpected_leaf", Why: "an inclusion proof that carries a leaf"},
				enc: withLeaf, key: k, value: v, root: root},
			mut{m: smtMalformedOut{Name: "leaf_is_queried_key", Claim: "non_existence", Error: "leaf_is_queried_key",
				Why: "a non-existence proof of a present key whose leaf is that key's own leaf"},
				enc: withLeaf, key: k, root: root},
			mut{m: smtMalformedOut{Name: "inclusion_as_non_existence", Claim: "non_existence", Error: "root_mismatch",
				Why: "a present key's inclusion proof presented as proof of its absence"},
				enc: enc, key: k, root: root},
		)
		// A proof for the wrong root: the newest earlier root it does not
		// also prove against, else the final root with one bit flipped.
		wrong := root
		wrong[31] ^= 1
		for i := len(roots) - 2; i >= 0; i-- {
			if roots[i] != root && errors.Is(CheckProof(roots[i], k, v, enc, false), smt.ErrRootMismatch) {
				wrong = roots[i]
				break
			}
		}
		muts = append(muts, mut{m: smtMalformedOut{Name: "wrong_root", Claim: "inclusion", Error: "root_mismatch",
			Why: "a valid inclusion proof checked against another root (an earlier root of the same tree when one differs)"},
			enc: enc, key: k, value: v, root: wrong})
	}
	// leaf_not_on_path: a non-existence proof whose leaf's path leaves the
	// queried path above the proof's depth. It needs a proof with depth >= 1.
	var base *proved
	for i := range non {
		if len(non[i].proof.Siblings) > 0 {
			base = &non[i]
			break
		}
	}
	if base == nil && claim == "inclusion" && n > 0 {
		base = subj
	}
	if base != nil {
		q := []byte("not-on-path")
		if base != subj {
			q = base.key
		}
		qp := smt.Path(q)
		lp := qp
		lp[0] ^= 0x80 // differs at bit 0
		bad := smt.Proof{Bitmap: base.proof.Bitmap, Siblings: base.proof.Siblings, Leaf: &smt.ProofLeaf{Path: lp, ValueHash: smt.ValueHash([]byte("x"))}}
		benc, err := bad.MarshalBinary()
		if err != nil {
			return o, err
		}
		muts = append(muts, mut{m: smtMalformedOut{Name: "leaf_not_on_path", Claim: "non_existence", Error: "leaf_not_on_path",
			Why: "the proof's leaf path differs from the queried path at bit 0, above the proof's depth"},
			enc: benc, key: q, root: root})
	}
	for _, m := range muts {
		if err := add(m.m, m.root, m.key, m.value, m.enc); err != nil {
			return o, err
		}
	}
	return o, nil
}

func sortedKeys(m map[string][]byte) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks) // hex of bytes: sorts as the bytes do, then by length
	return ks
}

func sortedSet(m map[string]bool) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func withByte(enc []byte, i int, b byte) []byte {
	c := bytes.Clone(enc)
	c[i] = b
	return c
}

func withCount(enc []byte, n uint32) []byte {
	c := bytes.Clone(enc)
	binary.LittleEndian.PutUint32(c[32:36], n)
	return c
}

func withBitmap(enc []byte, f func(*[32]byte)) []byte {
	c := bytes.Clone(enc)
	var b [32]byte
	copy(b[:], c)
	f(&b)
	copy(c, b[:])
	return c
}

func withZeroSibling(enc []byte) []byte {
	c := bytes.Clone(enc)
	clear(c[36 : 36+32])
	return c
}

func setBit(b *[32]byte, i int)   { b[i>>3] |= 0x80 >> uint(i&7) }
func clearBit(b *[32]byte, i int) { b[i>>3] &^= 0x80 >> uint(i&7) }
func isSet(b *[32]byte, i int) bool {
	return b[i>>3]&(0x80>>uint(i&7)) != 0
}

func firstClear(b *[32]byte) int {
	for i := range smt.Depth {
		if !isSet(b, i) {
			return i
		}
	}
	return 0
}

func lastSet(b *[32]byte) int {
	for i := smt.Depth - 1; i >= 0; i-- {
		if isSet(b, i) {
			return i
		}
	}
	return 0
}
