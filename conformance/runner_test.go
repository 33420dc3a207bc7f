package conformance

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/borsh"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

const vectorsDir = "vectors"

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	if !strings.HasPrefix(s, "0x") {
		t.Fatalf("hex %q lacks 0x", s)
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// TestVectors runs every case of every file the manifest lists, and fails
// when a file in the tree is not in the manifest or a case goes unchecked.
func TestVectors(t *testing.T) {
	checked := 0
	for _, n := range runManifest(t, vectorsDir, 2, nil, runners) { // format 2: README.md
		checked += n
	}
	if checked < 200 {
		t.Errorf("only %d cases checked", checked)
	}
	t.Logf("%d cases checked", checked)
}

var runners = map[string]func(*testing.T, vectorFile) int{
	"codec":           runCodec,
	"decode_error":    runDecodeError,
	"keys":            runKeys,
	"signatures":      runSignatures,
	"usernames":       runUsernames,
	"addresses":       runAddresses,
	"account_refs":    runAccountRefs,
	"params":          runParams,
	"leader_schedule": runLeaderSchedule,
	"evidence":        runEvidence,
}

type hasher interface{ Hash() (types.Hash, error) }

type signed interface {
	SigningPayload() ([]byte, error)
	SigningDomain() types.SigningDomain
}

// canonical re-reads JSON into generic values, with null standing for an
// empty list: Go marshals a nil slice as null, the vectors write [].
func canonical(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var norm func(any) any
	norm = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = norm(e)
			}
		case []any:
			if len(x) == 0 {
				return nil
			}
			for i := range x {
				x[i] = norm(x[i])
			}
		}
		return v
	}
	return norm(v)
}

func runCodec(t *testing.T, vf vectorFile) int {
	n := 0
	for _, raw := range vf.Cases {
		var c struct {
			Name  string          `json:"name"`
			Value json.RawMessage `json:"value"`
			Borsh string          `json:"borsh"`
			Hash  string          `json:"hash"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		t.Run(c.Name, func(t *testing.T) {
			want := unhex(t, c.Borsh)
			v, ok := types.New(vf.Type)
			if !ok {
				t.Fatalf("no generated type %s", vf.Type)
			}
			if err := v.UnmarshalBorsh(want); err != nil {
				t.Fatalf("decode: %v", err)
			}
			got, err := v.MarshalBorsh()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("re-encode: %v\n got %x\nwant %x", err, got, want)
			}
			if v.BorshSize() != len(want) {
				t.Errorf("BorshSize %d, encoding %d", v.BorshSize(), len(want))
			}
			js, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := canonical(t, js), canonical(t, c.Value); !reflect.DeepEqual(g, w) {
				t.Errorf("JSON form\n got %s\nwant %s", js, c.Value)
			}
			// And the other way: the JSON value builds the same bytes.
			v2, _ := types.New(vf.Type)
			if err := json.Unmarshal(c.Value, v2); err != nil {
				t.Fatalf("from JSON: %v", err)
			}
			if got2, err := v2.MarshalBorsh(); err != nil || !bytes.Equal(got2, want) {
				t.Errorf("JSON -> Borsh: %v\n got %x\nwant %x", err, got2, want)
			}
			h, isHasher := v.(hasher)
			if isHasher != (c.Hash != "") {
				t.Fatalf("hash presence: type has Hash()=%v, vector hash %q", isHasher, c.Hash)
			}
			if isHasher {
				hv, err := h.Hash()
				if err != nil || hv.String() != c.Hash {
					t.Errorf("hash %v %v, want %s", hv, err, c.Hash)
				}
			}
		})
		n++
	}
	return n
}

func runDecodeError(t *testing.T, vf vectorFile) int {
	n := 0
	for _, raw := range vf.Cases {
		var c struct{ Name, Borsh, Error, Why string }
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		t.Run(c.Name, func(t *testing.T) {
			v, _ := types.New(vf.Type)
			err := v.UnmarshalBorsh(unhex(t, c.Borsh))
			if err == nil {
				t.Fatalf("accepted %s (%s)", c.Borsh, c.Why)
			}
			var be *borsh.Error
			if !errors.As(err, &be) {
				t.Errorf("error %v is not a *borsh.Error", err)
			}
			if k := borsh.Kind(err); k != c.Error {
				t.Errorf("rejected as %q (%v), want %q (%s)", k, err, c.Error, c.Why)
			}
		})
		n++
	}
	return n
}

func runKeys(t *testing.T, vf vectorFile) int {
	for _, raw := range vf.Cases {
		var c struct{ Name, PrivateKey, PublicKey, Address, Checksum, Display string }
		var m map[string]string
		_ = json.Unmarshal(raw, &m)
		c.Name, c.PrivateKey, c.PublicKey, c.Address, c.Checksum, c.Display = m["name"], m["private_key"], m["public_key"], m["address"], m["checksum"], m["display"]
		k, err := crypto.PrivateKeyFromBytes(unhex(t, c.PrivateKey))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		pub := k.PublicKey()
		addr := k.Address()
		if !bytes.Equal(pub[:], unhex(t, c.PublicKey)) || !bytes.Equal(addr[:], unhex(t, c.Address)) {
			t.Errorf("%s: key derivation differs", c.Name)
		}
		if "0x"+crypto.ChecksumHex(addr) != c.Checksum || crypto.FormatAddress(addr) != c.Display {
			t.Errorf("%s: display %s / %s, want %s / %s", c.Name, crypto.ChecksumHex(addr), crypto.FormatAddress(addr), c.Checksum, c.Display)
		}
	}
	return len(vf.Cases)
}

func domainOf(t *testing.T, name string) crypto.Domain {
	d, err := types.ParseSigningDomain(name)
	if err != nil {
		t.Fatal(err)
	}
	return crypto.Domain(d)
}

func chainOf(t *testing.T, s string) uint64 {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func runSignatures(t *testing.T, vf vectorFile) int {
	n := 0
	for _, raw := range vf.Cases {
		var c struct {
			Name, Type, Domain, Signer, Signature, Borsh, Hash string
			ChainID                                            string `json:"chain_id"`
			PrivateKey                                         string `json:"private_key"`
			SigningPayload                                     string `json:"signing_payload"`
			Preimage                                           string `json:"preimage"`
			SigningHash                                        string `json:"signing_hash"`
			MustNotVerify                                      []struct {
				Domain      string `json:"domain"`
				ChainID     string `json:"chain_id"`
				SigningHash string `json:"signing_hash"`
				Recovers    string `json:"recovers"`
			} `json:"must_not_verify"`
			MustReject []struct{ Signature, Error string } `json:"must_reject"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		t.Run(c.Name, func(t *testing.T) {
			v, _ := types.New(c.Type)
			if err := v.UnmarshalBorsh(unhex(t, c.Borsh)); err != nil {
				t.Fatal(err)
			}
			s, ok := v.(signed)
			if !ok {
				t.Fatalf("%s has no signing methods", c.Type)
			}
			if s.SigningDomain().String() != c.Domain {
				t.Errorf("domain %v, want %s", s.SigningDomain(), c.Domain)
			}
			payload, err := s.SigningPayload()
			if err != nil || !bytes.Equal(payload, unhex(t, c.SigningPayload)) {
				t.Fatalf("signing payload %x %v", payload, err)
			}
			d, chain := domainOf(t, c.Domain), chainOf(t, c.ChainID)
			pre, err := crypto.SigningPreimage(d, chain, payload)
			if err != nil || !bytes.Equal(pre, unhex(t, c.Preimage)) {
				t.Fatalf("preimage %x %v", pre, err)
			}
			// The preimage is also the generated SigningPreimage type's encoding.
			sp := types.SigningPreimage{Domain: types.SigningDomain(d), ChainID: chain, Payload: payload}
			if b, err := sp.MarshalBorsh(); err != nil || !bytes.Equal(b, pre) {
				t.Errorf("types.SigningPreimage encodes %x %v", b, err)
			}
			h, err := crypto.SigningHash(d, chain, payload)
			if err != nil || "0x"+hex.EncodeToString(h[:]) != c.SigningHash {
				t.Fatalf("signing hash %x %v", h, err)
			}
			k, err := crypto.PrivateKeyFromBytes(unhex(t, c.PrivateKey))
			if err != nil {
				t.Fatal(err)
			}
			sig, err := crypto.Sign(k, h)
			if err != nil || "0x"+hex.EncodeToString(sig[:]) != c.Signature {
				t.Errorf("signature %x %v, want %s (RFC 6979 makes it deterministic)", sig, err, c.Signature)
			}
			signer, err := crypto.Recover(h, sig)
			if err != nil || "0x"+hex.EncodeToString(signer[:]) != c.Signer {
				t.Errorf("recovered %x %v, want %s", signer, err, c.Signer)
			}
			if hs, ok := v.(hasher); ok {
				hv, _ := hs.Hash()
				if hv.String() != c.Hash {
					t.Errorf("hash %v, want %s", hv, c.Hash)
				}
			}
			for _, w := range c.MustNotVerify {
				wd, wc := domainOf(t, w.Domain), chainOf(t, w.ChainID)
				wh, _ := crypto.SigningHash(wd, wc, payload)
				if "0x"+hex.EncodeToString(wh[:]) != w.SigningHash {
					t.Errorf("%s/%s: signing hash %x, want %s", w.Domain, w.ChainID, wh, w.SigningHash)
				}
				if err := crypto.VerifyDomain(wd, wc, payload, sig, signer); err == nil {
					t.Errorf("%s/%s: signature verifies", w.Domain, w.ChainID)
				}
				got, err := crypto.Recover(wh, sig)
				if w.Recovers == "" {
					if err == nil {
						t.Errorf("%s/%s: recovered %x, vector says recovery fails", w.Domain, w.ChainID, got)
					}
				} else if err != nil || "0x"+hex.EncodeToString(got[:]) != w.Recovers {
					t.Errorf("%s/%s: recovered %x %v, want %s", w.Domain, w.ChainID, got, err, w.Recovers)
				}
			}
			for _, r := range c.MustReject {
				var bad [65]byte
				copy(bad[:], unhex(t, r.Signature))
				_, err := crypto.Recover(h, bad)
				want := map[string]error{"high_s": crypto.ErrHighS, "invalid_recovery_id": crypto.ErrInvalidRecoveryID}[r.Error]
				if want == nil || !errors.Is(err, want) {
					t.Errorf("malleated signature (%s): got %v", r.Error, err)
				}
			}
		})
		n++
	}
	return n
}

func usernameReason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, crypto.ErrUsernameInvalidChar):
		return "invalid_char"
	case errors.Is(err, crypto.ErrUsernameTooShort):
		return "too_short"
	case errors.Is(err, crypto.ErrUsernameTooLong):
		return "too_long"
	case errors.Is(err, crypto.ErrBadChecksum):
		return "bad_checksum"
	case errors.Is(err, crypto.ErrInvalidAddress):
		return "invalid_address"
	}
	return fmt.Sprintf("unmapped error %v", err)
}

func runUsernames(t *testing.T, vf vectorFile) int {
	for _, raw := range vf.Cases {
		var c struct {
			Input string
			Valid bool
			Error string
		}
		_ = json.Unmarshal(raw, &c)
		if got := usernameReason(crypto.ValidateUsername(c.Input)); got != c.Error {
			t.Errorf("username %q: %q, want %q", c.Input, got, c.Error)
		}
	}
	return len(vf.Cases)
}

func runAddresses(t *testing.T, vf vectorFile) int {
	for _, raw := range vf.Cases {
		var c struct{ Input, Address, Error string }
		_ = json.Unmarshal(raw, &c)
		a, err := crypto.ParseAddress(c.Input)
		if got := usernameReason(err); got != c.Error {
			t.Errorf("address %q: %q, want %q", c.Input, got, c.Error)
		}
		if err == nil && "0x"+hex.EncodeToString(a[:]) != c.Address {
			t.Errorf("address %q: %x, want %s", c.Input, a, c.Address)
		}
	}
	return len(vf.Cases)
}

func runAccountRefs(t *testing.T, vf vectorFile) int {
	for _, raw := range vf.Cases {
		var c struct{ Input, Address, Username, Error string }
		_ = json.Unmarshal(raw, &c)
		r, err := crypto.ParseAccountRef(c.Input)
		if got := usernameReason(err); got != c.Error {
			t.Errorf("ref %q: %q, want %q", c.Input, got, c.Error)
			continue
		}
		switch {
		case err != nil:
		case c.Username != "":
			if !r.IsUsername || r.Username != c.Username {
				t.Errorf("ref %q: %+v, want username %s", c.Input, r, c.Username)
			}
		default:
			if r.IsUsername || "0x"+hex.EncodeToString(r.Address[:]) != c.Address {
				t.Errorf("ref %q: %+v, want address %s", c.Input, r, c.Address)
			}
		}
	}
	return len(vf.Cases)
}

func runParams(t *testing.T, vf vectorFile) int {
	for _, raw := range vf.Cases {
		var c struct{ Name, Type, Value string }
		_ = json.Unmarshal(raw, &c)
		got, ok := params.Lookup(c.Name)
		if !ok || got != c.Value {
			t.Errorf("param %s = %q (%v), want %q", c.Name, got, ok, c.Value)
		}
	}
	return len(vf.Cases)
}

// TestRuntimeAgreesWithSpec pins hand-written constants to the spec.
func TestRuntimeAgreesWithSpec(t *testing.T) {
	if crypto.MaxSigningPayload != params.MaxSigningPayloadBytes {
		t.Errorf("crypto.MaxSigningPayload %d, spec %d", crypto.MaxSigningPayload, params.MaxSigningPayloadBytes)
	}
	if crypto.MinUsernameLength != params.MinUsernameBytes || crypto.MaxUsernameLength != params.MaxUsernameBytes {
		t.Error("username limits differ between runtime/crypto and spec")
	}
	if crypto.AddressPrefix != params.AddressDisplayPrefix {
		t.Error("address prefix differs")
	}
	for d := 0; d < 256; d++ {
		if crypto.Domain(d).Valid() != types.SigningDomain(d).Valid() {
			t.Errorf("domain %d: crypto valid=%v, spec valid=%v", d, crypto.Domain(d).Valid(), types.SigningDomain(d).Valid())
		}
	}
}
