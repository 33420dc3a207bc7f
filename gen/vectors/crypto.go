package vectors

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/oramanetwork/orama-chain/gen/schema"
)

type keyCase struct {
	Name       string `yaml:"name"`
	PrivateKey string `yaml:"private_key"`
	Address    string `yaml:"address"` // expected EIP-55 form; checked when given
}

type signatureCase struct {
	Name       string `yaml:"name"`
	Type       string `yaml:"type"`
	PrivateKey string `yaml:"private_key"`
	ChainID    string `yaml:"chain_id"`
	Value      any    `yaml:"value"`
}

type usernameCase struct {
	Input  string `yaml:"input"`
	Valid  bool   `yaml:"valid"`
	Reason string `yaml:"reason"`
}

type addressCase struct {
	Input    string `yaml:"input"`
	Valid    bool   `yaml:"valid"`
	Address  string `yaml:"address"`  // expected, for valid inputs
	Username string `yaml:"username"` // expected, for @name account refs
	Reason   string `yaml:"reason"`
}

func privateKey(h string) (*big.Int, []byte, error) {
	b, err := parseHexValue(h, "private_key")
	if err != nil {
		return nil, nil, err
	}
	if len(b) != 32 {
		return nil, nil, fmt.Errorf("private key %s: want 32 bytes", h)
	}
	return new(big.Int).SetBytes(b), b, nil
}

func keyVectors(_ *schema.Spec, c cases) (file, error) {
	var out []obj
	for _, k := range c.Keys {
		_, raw, err := privateKey(k.PrivateKey)
		if err != nil {
			return file{}, err
		}
		priv, err := crypto.ToECDSA(raw)
		if err != nil {
			return file{}, fmt.Errorf("key %s: %w", k.Name, err)
		}
		addr := crypto.PubkeyToAddress(priv.PublicKey)
		if k.Address != "" && k.Address != addr.Hex() {
			return file{}, fmt.Errorf("key %s: derives %s, spec says %s", k.Name, addr.Hex(), k.Address)
		}
		out = append(out, obj{
			{"name", k.Name},
			{"private_key", hexOf(raw)},
			{"public_key", hexOf(crypto.FromECDSAPub(&priv.PublicKey))},
			{"address", hexOf(addr[:])},
			{"checksum", addr.Hex()},
			{"display", "orama:" + addr.Hex()[2:]},
		})
	}
	return file{path: "keys.json", v: obj{{"kind", "keys"}, {"cases", out}}, n: len(out)}, nil
}

func signingHash(s *schema.Spec, domain string, chainID string, payload []byte) ([]byte, [32]byte, error) {
	pre, err := encodeValue(s, "SigningPreimage", map[string]any{
		"domain": domain, "chain_id": chainID, "payload": hexOf(payload),
	})
	if err != nil {
		return nil, [32]byte{}, err
	}
	return pre.bytes, sha256.Sum256(pre.bytes), nil
}

var secpN = crypto.S256().Params().N

func recoverAddr(h [32]byte, sig []byte) (string, bool) {
	pub, err := crypto.Ecrecover(h[:], sig)
	if err != nil {
		return "", false
	}
	p, err := crypto.UnmarshalPubkey(pub)
	if err != nil {
		return "", false
	}
	a := crypto.PubkeyToAddress(*p)
	return hexOf(a[:]), true
}

func signatureVectors(s *schema.Spec, c cases) (file, error) {
	var out []obj
	domains := s.Type("SigningDomain").Variants
	for _, sc := range c.Signatures {
		t := s.Type(sc.Type)
		if t == nil || t.Signing == nil {
			return file{}, fmt.Errorf("signature case %s: %q is not a signed type", sc.Name, sc.Type)
		}
		_, raw, err := privateKey(sc.PrivateKey)
		if err != nil {
			return file{}, err
		}
		priv, err := crypto.ToECDSA(raw)
		if err != nil {
			return file{}, err
		}
		signer := crypto.PubkeyToAddress(priv.PublicKey)
		value, _ := sc.Value.(map[string]any)
		unsigned, err := encodeValue(s, t.Name, value)
		if err != nil {
			return file{}, fmt.Errorf("signature case %s: %w", sc.Name, err)
		}
		payload := unsigned.bytes
		if t.Signing.Signature != "" {
			payload = payload[:len(payload)-65]
		}
		preimage, h, err := signingHash(s, t.Signing.Domain, sc.ChainID, payload)
		if err != nil {
			return file{}, err
		}
		sig, err := crypto.Sign(h[:], priv)
		if err != nil {
			return file{}, err
		}
		if got, ok := recoverAddr(h, sig); !ok || got != hexOf(signer[:]) {
			return file{}, fmt.Errorf("signature case %s: does not recover", sc.Name)
		}
		o := obj{
			{"name", sc.Name}, {"type", t.Name}, {"domain", t.Signing.Domain}, {"chain_id", sc.ChainID},
			{"private_key", hexOf(raw)}, {"signer", hexOf(signer[:])},
			{"signing_payload", hexOf(payload)}, {"preimage", hexOf(preimage)}, {"signing_hash", hexOf(h[:])},
			{"signature", hexOf(sig)},
		}
		if t.Signing.Signature != "" {
			signedVal := map[string]any{}
			for k, v := range value {
				signedVal[k] = v
			}
			signedVal[t.Signing.Signature] = hexOf(sig)
			signed, err := encodeValue(s, t.Name, signedVal)
			if err != nil {
				return file{}, err
			}
			o = append(o, kv{"value", signed.json}, kv{"borsh", hexOf(signed.bytes)})
			if t.Hash == "sha256" {
				hh := sha256.Sum256(signed.bytes)
				o = append(o, kv{"hash", hexOf(hh[:])})
			}
		} else {
			o = append(o, kv{"value", unsigned.json}, kv{"borsh", hexOf(unsigned.bytes)})
		}
		// The same signature checked under every other domain and another
		// chain id must not recover the signer.
		var wrong []obj
		others := []struct{ domain, chain string }{}
		for _, d := range domains {
			if d.Name != t.Signing.Domain {
				others = append(others, struct{ domain, chain string }{d.Name, sc.ChainID})
			}
		}
		others = append(others, struct{ domain, chain string }{t.Signing.Domain, otherChain(sc.ChainID)})
		for _, w := range others {
			_, wh, err := signingHash(s, w.domain, w.chain, payload)
			if err != nil {
				return file{}, err
			}
			got, ok := recoverAddr(wh, sig)
			if ok && got == hexOf(signer[:]) {
				return file{}, fmt.Errorf("signature case %s: verifies under %s/%s", sc.Name, w.domain, w.chain)
			}
			wrong = append(wrong, obj{{"domain", w.domain}, {"chain_id", w.chain}, {"signing_hash", hexOf(wh[:])}, {"recovers", got}})
		}
		o = append(o, kv{"must_not_verify", wrong})
		// Malleated forms every verifier must reject outright.
		highS := append([]byte(nil), sig...)
		sv := new(big.Int).SetBytes(sig[32:64])
		new(big.Int).Sub(secpN, sv).FillBytes(highS[32:64])
		highS[64] ^= 1
		v27 := append([]byte(nil), sig...)
		v27[64] += 27
		o = append(o, kv{"must_reject", []obj{
			{{"signature", hexOf(highS)}, {"error", "high_s"}, {"why", "the same signature with S replaced by N-S and V flipped"}},
			{{"signature", hexOf(v27)}, {"error", "invalid_recovery_id"}, {"why", "V in Ethereum's 27/28 form; Orama requires 0 or 1"}},
		}})
		out = append(out, o)
	}
	return file{path: "signatures.json", v: obj{{"kind", "signatures"}, {"cases", out}}, n: len(out)}, nil
}

// otherChain returns a chain id one bit away from dec, always in u64 range.
func otherChain(dec string) string {
	n, _ := new(big.Int).SetString(dec, 10)
	return n.Xor(n, big.NewInt(1)).String()
}

var usernameRE = regexp.MustCompile(`^[a-z0-9_-]*$`)

// usernameReason is the generator's own reading of the username rules:
// length in bytes first (cheap, and it bounds the work), then characters.
func usernameReason(u string) string {
	switch {
	case len(u) < 3:
		return "too_short"
	case len(u) > 32:
		return "too_long"
	case !usernameRE.MatchString(u):
		return "invalid_char"
	}
	return ""
}

func usernameVectors(_ *schema.Spec, c cases) (file, error) {
	var out []obj
	for _, u := range c.Usernames {
		r := usernameReason(u.Input)
		if (r == "") != u.Valid || (!u.Valid && u.Reason != r) {
			return file{}, fmt.Errorf("username %q: spec says valid=%v reason=%q, rules give %q", u.Input, u.Valid, u.Reason, r)
		}
		o := obj{{"input", u.Input}, {"valid", u.Valid}}
		if !u.Valid {
			o = append(o, kv{"error", r})
		}
		out = append(out, o)
	}
	return file{path: "usernames.json", v: obj{{"kind", "usernames"}, {"cases", out}}, n: len(out)}, nil
}

var hex40 = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)

// parseAddress is the generator's own reading of the address forms.
func parseAddress(in string) (string, string) {
	h := in
	switch {
	case strings.HasPrefix(in, "orama:"):
		h = in[len("orama:"):]
	case strings.HasPrefix(in, "0x"):
		h = in[2:]
	}
	if !hex40.MatchString(h) {
		return "", "invalid_address"
	}
	b, _ := hex.DecodeString(h)
	a := common.BytesToAddress(b)
	if h != strings.ToLower(h) && h != strings.ToUpper(h) && "0x"+h != a.Hex() {
		return "", "bad_checksum"
	}
	return hexOf(b), ""
}

func addressVectors(_ *schema.Spec, c cases) (file, error) {
	out, err := refVectors(c.Addresses, false)
	return file{path: "addresses.json", v: obj{{"kind", "addresses"}, {"cases", out}}, n: len(out)}, err
}

func accountRefVectors(_ *schema.Spec, c cases) (file, error) {
	out, err := refVectors(c.AccountRefs, true)
	return file{path: "account_refs.json", v: obj{{"kind", "account_refs"}, {"cases", out}}, n: len(out)}, err
}

func refVectors(list []addressCase, refs bool) ([]obj, error) {
	var out []obj
	for _, a := range list {
		var addr, user, r string
		if refs && strings.HasPrefix(a.Input, "@") {
			user, r = a.Input[1:], usernameReason(a.Input[1:])
			if r != "" {
				user = ""
			}
		} else {
			addr, r = parseAddress(a.Input)
		}
		if (r == "") != a.Valid || (!a.Valid && r != a.Reason) || (a.Valid && a.Address != "" && strings.ToLower(a.Address) != addr) || (a.Valid && a.Username != user) {
			return nil, fmt.Errorf("address %q: spec says valid=%v reason=%q address=%q, rules give %q %q %q", a.Input, a.Valid, a.Reason, a.Address, r, addr, user)
		}
		o := obj{{"input", a.Input}, {"valid", a.Valid}}
		switch {
		case !a.Valid:
			o = append(o, kv{"error", r})
		case user != "":
			o = append(o, kv{"username", user})
		default:
			o = append(o, kv{"address", addr})
		}
		out = append(out, o)
	}
	return out, nil
}
