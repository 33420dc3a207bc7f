package vectors

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"sort"
	"strconv"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/oramanetwork/orama-chain/gen/schema"
)

// evidenceCase is one equivocation-evidence case of spec/cases/*.yaml. Keys
// are named by index: key N is the secp256k1 private key N, so every case is
// reproducible from the file alone.
type evidenceCase struct {
	Name       string `yaml:"name"`
	Why        string `yaml:"why"`
	Kind       string `yaml:"kind"` // an EvidenceKind variant
	ChainID    string `yaml:"chain_id"`
	Validators []struct {
		Key   int    `yaml:"key"`
		Power uint64 `yaml:"power"`
	} `yaml:"validators"`
	Validator int             `yaml:"validator"` // the key whose address the evidence names
	View      uint64          `yaml:"view"`
	First     evidenceMessage `yaml:"first"`
	Second    evidenceMessage `yaml:"second"`
	// Order: "canonical" (the default: the bytewise smaller message first,
	// as NewEvidence orders them) or "reversed".
	Order string `yaml:"order"`
	// KindByte, when set, replaces the kind byte of the encoded evidence.
	KindByte *int   `yaml:"kind_byte"`
	Verdict  string `yaml:"verdict"` // "valid" or a reason of spec/consensus.md
}

// evidenceMessage describes one of the two messages field by field. Exactly
// one of Vote, Timeout and Proposal is set; the signer fields (voter,
// sender, envelope sender, block proposer) are filled from key indexes.
type evidenceMessage struct {
	Vote     map[string]any `yaml:"vote"`    // view, height, block_hash
	Timeout  map[string]any `yaml:"timeout"` // view, high_qc_view
	Proposal *struct {
		Header       map[string]any `yaml:"header"`       // BlockHeader fields; proposer is filled in
		Transactions []any          `yaml:"transactions"` // Transaction values of the block's body
		Payload      string         `yaml:"payload"`      // hex: the envelope carries these bytes instead
	} `yaml:"proposal"`
	EnvelopeType string `yaml:"envelope_type"` // the envelope's MessageType (default Proposal)
	As           int    `yaml:"as"`            // the key whose address the message names (default: the evidence's validator)
	Proposer     int    `yaml:"proposer"`      // the key whose address the block names as proposer (default: the evidence's validator)
	Key          int    `yaml:"key"`           // the signing key (default: the evidence's validator)
	Domain       string `yaml:"domain"`        // sign under this domain instead of the type's
	ChainID      string `yaml:"chain_id"`      // sign under this chain id instead of the case's
	// Nonce signs with k = SHA-256("orama/evidence/nonce/" + Nonce) instead
	// of RFC 6979: a second valid signature over the same content.
	Nonce    string `yaml:"nonce"`
	Malleate string `yaml:"malleate"` // high_s or recovery_id_27: a non-canonical form of the signature
	Append   string `yaml:"append"`   // hex appended to the encoding
	// Oversize replaces the message by a length prefix one over
	// MaxEvidenceMessageBytes that ends the evidence: decoders refuse the
	// prefix before reading the bytes (conformance/README.md), so the vector
	// stays small. Only for second.
	Oversize bool `yaml:"oversize"`
}

// testKey returns key i: the private key whose scalar is i.
func testKey(i int) (*ecdsa.PrivateKey, []byte, error) {
	if i <= 0 {
		return nil, nil, fmt.Errorf("key index %d: want 1 or more", i)
	}
	var raw [32]byte
	binary.BigEndian.PutUint64(raw[24:], uint64(i))
	priv, err := crypto.ToECDSA(raw[:])
	if err != nil {
		return nil, nil, fmt.Errorf("key %d: %w", i, err)
	}
	a := crypto.PubkeyToAddress(priv.PublicKey)
	return priv, a[:], nil
}

func keyAddr(i int) ([]byte, error) {
	_, a, err := testKey(i)
	return a, err
}

// evidenceVectors builds every evidence case from its description, encodes
// it with the schema interpreter, signs with go-ethereum, and refuses a case
// whose stated verdict differs from the generator's own reading of the rules
// (evidenceVerdict).
func evidenceVectors(s *schema.Spec, c cases) (file, error) {
	var out []obj
	seen := map[string]bool{}
	for _, ec := range c.Evidence {
		if seen[ec.Name] {
			return file{}, fmt.Errorf("evidence case %q repeated", ec.Name)
		}
		seen[ec.Name] = true
		o, err := evidenceVector(s, ec)
		if err != nil {
			return file{}, fmt.Errorf("evidence case %s: %w", ec.Name, err)
		}
		out = append(out, o)
	}
	return file{path: "evidence.json", v: obj{{"kind", "evidence"}, {"cases", out}}, n: len(out)}, nil
}

func evidenceVector(s *schema.Spec, ec evidenceCase) (obj, error) {
	if ec.Why == "" || ec.Verdict == "" || ec.ChainID == "" {
		return nil, fmt.Errorf("needs why, chain_id and verdict")
	}
	if ec.Verdict != "valid" && !isEvidenceReason(ec.Verdict) {
		return nil, fmt.Errorf("verdict %q is neither valid nor a reason of spec/consensus.md", ec.Verdict)
	}
	if _, err := strconv.ParseUint(ec.ChainID, 10, 64); err != nil {
		return nil, fmt.Errorf("chain_id: %w", err)
	}
	validator, err := keyAddr(ec.Validator)
	if err != nil {
		return nil, fmt.Errorf("validator: %w", err)
	}
	// The validator set, by address.
	type member struct {
		addr  []byte
		power uint64
	}
	var ms []member
	set := map[string]bool{}
	for _, v := range ec.Validators {
		a, err := keyAddr(v.Key)
		if err != nil {
			return nil, err
		}
		if set[hexOf(a)] || v.Power == 0 {
			return nil, fmt.Errorf("validator key %d repeated or without power", v.Key)
		}
		set[hexOf(a)] = true
		ms = append(ms, member{a, v.Power})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no validators")
	}
	sort.Slice(ms, func(i, j int) bool { return bytes.Compare(ms[i].addr, ms[j].addr) < 0 })

	if ec.First.Oversize {
		return nil, fmt.Errorf("first: oversize is only for second, the last field")
	}
	first, err := buildEvidenceMessage(s, ec, ec.First)
	if err != nil {
		return nil, fmt.Errorf("first: %w", err)
	}
	var second []byte
	if !ec.Second.Oversize {
		if second, err = buildEvidenceMessage(s, ec, ec.Second); err != nil {
			return nil, fmt.Errorf("second: %w", err)
		}
		switch ec.Order {
		case "", "canonical":
			if bytes.Compare(first, second) > 0 {
				first, second = second, first
			}
		case "reversed":
			if bytes.Compare(first, second) < 0 {
				first, second = second, first
			}
		default:
			return nil, fmt.Errorf("order %q: want canonical or reversed", ec.Order)
		}
	}
	enc, err := encodeValue(s, "Evidence", map[string]any{
		"kind": ec.Kind, "validator": hexOf(validator), "view": strconv.FormatUint(ec.View, 10),
		"first": hexOf(first), "second": hexOf(second),
	})
	if err != nil {
		return nil, err
	}
	evb, value := enc.bytes, enc.json
	if ec.Second.Oversize {
		// second was encoded empty: its length prefix is the last 4 bytes.
		binary.LittleEndian.PutUint32(evb[len(evb)-4:], uint32(s.Type("Evidence").Field("second").Max+1))
		value = nil
	}
	if ec.KindByte != nil {
		evb[0] = byte(*ec.KindByte)
		value = nil
	}
	if value == nil && decodeStrict(s, "Evidence", evb) == nil {
		return nil, fmt.Errorf("an altered evidence still decodes")
	}

	// The stated verdict must be what the rules give for what was built:
	// two messages that came out identical, a conflict stated for one
	// content, a signature that happens to verify all show up here.
	chain, _ := strconv.ParseUint(ec.ChainID, 10, 64)
	if got := evidenceVerdict(s, set, chain, evb); got != ec.Verdict {
		return nil, fmt.Errorf("stated verdict %s, but the case as built is %s", ec.Verdict, got)
	}

	vals := []obj{}
	for _, m := range ms {
		vals = append(vals, obj{{"address", hexOf(m.addr)}, {"power", strconv.FormatUint(m.power, 10)}})
	}
	return obj{
		{"name", ec.Name}, {"why", ec.Why}, {"chain_id", ec.ChainID}, {"validators", vals},
		{"evidence", hexOf(evb)}, {"value", value}, {"verdict", ec.Verdict},
	}, nil
}

// evidenceReasons are the reason names of spec/consensus.md, "Equivocation
// evidence", in the order the rules are checked.
var evidenceReasons = []string{
	"malformed_evidence", "unknown_validator", "identical_messages", "not_canonical",
	"undecodable_message", "wrong_message_type", "other_validator", "wrong_view",
	"bad_signature", "no_conflict",
}

func isEvidenceReason(r string) bool {
	for _, x := range evidenceReasons {
		if x == r {
			return true
		}
	}
	return false
}

// buildEvidenceMessage encodes and signs one described message.
func buildEvidenceMessage(s *schema.Spec, ec evidenceCase, m evidenceMessage) ([]byte, error) {
	or := func(i int) int {
		if i == 0 {
			return ec.Validator
		}
		return i
	}
	named, err := keyAddr(or(m.As))
	if err != nil {
		return nil, err
	}
	var typeName string
	var value map[string]any
	n := 0
	if m.Vote != nil {
		n++
		typeName, value = "Vote", clone(m.Vote)
		value["voter"] = hexOf(named)
	}
	if m.Timeout != nil {
		n++
		typeName, value = "Timeout", clone(m.Timeout)
		value["sender"] = hexOf(named)
	}
	if m.Proposal != nil {
		n++
		typeName = "Envelope"
		var payload []byte
		if m.Proposal.Payload != "" {
			if payload, err = parseHexValue(m.Proposal.Payload, "payload"); err != nil {
				return nil, err
			}
		} else {
			proposer, err := keyAddr(or(m.Proposer))
			if err != nil {
				return nil, err
			}
			header := clone(m.Proposal.Header)
			header["proposer"] = hexOf(proposer)
			p, err := encodeValue(s, "Proposal", map[string]any{
				"block": map[string]any{"header": header, "transactions": m.Proposal.Transactions},
			})
			if err != nil {
				return nil, err
			}
			payload = p.bytes
		}
		et := m.EnvelopeType
		if et == "" {
			et = "Proposal"
		}
		value = map[string]any{"type": et, "payload": hexOf(payload), "sender": hexOf(named)}
	} else if m.EnvelopeType != "" || m.Proposer != 0 {
		return nil, fmt.Errorf("envelope_type and proposer are for proposals")
	}
	if n != 1 {
		return nil, fmt.Errorf("want exactly one of vote, timeout, proposal")
	}
	t := s.Type(typeName)
	enc, err := encodeValue(s, typeName, value) // the signature field left zero
	if err != nil {
		return nil, err
	}
	b := enc.bytes
	payload := b[:len(b)-65]
	domain := t.Signing.Domain
	if m.Domain != "" {
		domain = m.Domain
	}
	chain := ec.ChainID
	if m.ChainID != "" {
		chain = m.ChainID
	}
	_, h, err := signingHash(s, domain, chain, payload)
	if err != nil {
		return nil, err
	}
	priv, _, err := testKey(or(m.Key))
	if err != nil {
		return nil, err
	}
	var sig []byte
	if m.Nonce != "" {
		sig, err = signWithNonce(h, priv, m.Nonce)
	} else {
		sig, err = crypto.Sign(h[:], priv)
	}
	if err != nil {
		return nil, err
	}
	switch m.Malleate {
	case "":
	case "high_s":
		sv := new(big.Int).SetBytes(sig[32:64])
		new(big.Int).Sub(secpN, sv).FillBytes(sig[32:64])
		sig[64] ^= 1
	case "recovery_id_27":
		sig[64] += 27
	default:
		return nil, fmt.Errorf("malleate %q: want high_s or recovery_id_27", m.Malleate)
	}
	copy(b[len(b)-65:], sig)
	if m.Append != "" {
		extra, err := parseHexValue(m.Append, "append")
		if err != nil {
			return nil, err
		}
		b = append(b, extra...)
	}
	return b, nil
}

func clone(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// signWithNonce is ECDSA over secp256k1 with a chosen nonce k, normalised
// to low S like every Orama signature: a second valid signature over a hash
// that RFC 6979 would always sign the same way.
func signWithNonce(h [32]byte, priv *ecdsa.PrivateKey, label string) ([]byte, error) {
	curve := crypto.S256()
	kh := sha256.Sum256([]byte("orama/evidence/nonce/" + label))
	k := new(big.Int).Mod(new(big.Int).SetBytes(kh[:]), secpN)
	if k.Sign() == 0 {
		return nil, fmt.Errorf("nonce %q: k = 0", label)
	}
	rx, ry := curve.ScalarBaseMult(k.FillBytes(make([]byte, 32)))
	if rx.Cmp(secpN) >= 0 {
		return nil, fmt.Errorf("nonce %q: R.x not below N", label)
	}
	r := new(big.Int).Set(rx)
	z := new(big.Int).SetBytes(h[:])
	sv := new(big.Int).Mul(r, priv.D)
	sv.Add(sv, z)
	sv.Mul(sv, new(big.Int).ModInverse(k, secpN))
	sv.Mod(sv, secpN)
	if r.Sign() == 0 || sv.Sign() == 0 {
		return nil, fmt.Errorf("nonce %q: degenerate signature", label)
	}
	v := byte(ry.Bit(0))
	if sv.Cmp(new(big.Int).Rsh(secpN, 1)) > 0 {
		sv.Sub(secpN, sv)
		v ^= 1
	}
	sig := make([]byte, 65)
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:64])
	sig[64] = v
	want := crypto.PubkeyToAddress(priv.PublicKey)
	if got, ok := recoverAddr(h, sig); !ok || got != hexOf(want[:]) {
		return nil, fmt.Errorf("nonce %q: the signature does not recover its signer", label)
	}
	return sig, nil
}

// --- the generator's own reading of the verification rules ---

// fieldSlices splits b, which must decode strictly as typeName, into the
// encodings of its fields.
func fieldSlices(s *schema.Spec, typeName string, b []byte) map[string][]byte {
	d := &decoder{b: b}
	out := map[string][]byte{}
	for _, f := range s.Type(typeName).Fields {
		start := d.off
		if err := d.ref(f, f.Type); err != nil {
			panic(fmt.Sprintf("fieldSlices %s: %v", typeName, err)) // callers decode strictly first
		}
		out[f.Name] = b[start:d.off]
	}
	return out
}

func variantValue(s *schema.Spec, enum, name string) byte {
	for _, v := range s.Type(enum).Variants {
		if v.Name == name {
			return byte(v.Value)
		}
	}
	panic("no variant " + enum + "." + name)
}

// evidenceVerdict computes "valid" or the first reason that evb (an
// encoded Evidence) breaks, from spec/consensus.md alone: the set holds the
// validators' addresses, chain the verifier's chain id.
func evidenceVerdict(s *schema.Spec, set map[string]bool, chain uint64, evb []byte) string {
	if decodeStrict(s, "Evidence", evb) != nil {
		return "malformed_evidence"
	}
	ev := fieldSlices(s, "Evidence", evb)
	validator := ev["validator"]
	view := ev["view"]
	first, second := ev["first"][4:], ev["second"][4:]
	if !set[hexOf(validator)] {
		return "unknown_validator"
	}
	switch bytes.Compare(first, second) {
	case 0:
		return "identical_messages"
	case 1:
		return "not_canonical"
	}
	var typeName string
	switch ev["kind"][0] {
	case variantValue(s, "EvidenceKind", "DoubleVote"):
		typeName = "Vote"
	case variantValue(s, "EvidenceKind", "DoubleTimeout"):
		typeName = "Timeout"
	case variantValue(s, "EvidenceKind", "DoubleProposal"):
		typeName = "Envelope"
	}
	var contents [2][]byte
	for i, msg := range [][]byte{first, second} {
		content, reason := checkEvidenceMessage(s, typeName, msg, validator, view, chain)
		if reason != "" {
			return reason
		}
		contents[i] = content
	}
	if bytes.Equal(contents[0], contents[1]) {
		return "no_conflict"
	}
	return "valid"
}

// checkEvidenceMessage applies the message rules to msg and returns what
// must differ between the two messages (a vote's height and block_hash, a
// timeout's high_qc_view, a proposal's header hash), or the reason.
func checkEvidenceMessage(s *schema.Spec, typeName string, msg, validator, view []byte, chain uint64) ([]byte, string) {
	if decodeStrict(s, typeName, msg) != nil {
		return nil, "undecodable_message"
	}
	f := fieldSlices(s, typeName, msg)
	var signer, msgView, content []byte
	switch typeName {
	case "Vote":
		signer, msgView, content = f["voter"], f["view"], append(bytes.Clone(f["height"]), f["block_hash"]...)
	case "Timeout":
		signer, msgView, content = f["sender"], f["view"], f["high_qc_view"]
	case "Envelope":
		if f["type"][0] != variantValue(s, "MessageType", "Proposal") {
			return nil, "wrong_message_type"
		}
		payload := f["payload"][4:]
		if decodeStrict(s, "Proposal", payload) != nil {
			return nil, "undecodable_message"
		}
		header := fieldSlices(s, "Block", fieldSlices(s, "Proposal", payload)["block"])["header"]
		hf := fieldSlices(s, "BlockHeader", header)
		if !bytes.Equal(hf["proposer"], validator) {
			return nil, "other_validator"
		}
		sum := sha256.Sum256(header)
		signer, msgView, content = f["sender"], hf["view"], sum[:]
	}
	if !bytes.Equal(signer, validator) {
		return nil, "other_validator"
	}
	if !bytes.Equal(msgView, view) {
		return nil, "wrong_view"
	}
	sig := msg[len(msg)-65:]
	_, h, err := signingHash(s, s.Type(typeName).Signing.Domain, strconv.FormatUint(chain, 10), msg[:len(msg)-65])
	if err != nil {
		return nil, "bad_signature"
	}
	if got, ok := recoverCanonical(h, sig); !ok || got != hexOf(validator) {
		return nil, "bad_signature"
	}
	return content, ""
}

// recoverCanonical is recoverAddr for canonical signatures only
// (DECISIONS.md D4): V 0 or 1, R and S in [1, N-1], S at most N/2.
func recoverCanonical(h [32]byte, sig []byte) (string, bool) {
	r, sv := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if sig[64] > 1 || r.Sign() == 0 || r.Cmp(secpN) >= 0 || sv.Sign() == 0 || sv.Cmp(new(big.Int).Rsh(secpN, 1)) > 0 {
		return "", false
	}
	return recoverAddr(h, sig)
}
