package vectors

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// caseFile is one spec/cases/abi/*.yaml file.
type caseFile struct {
	Cases []caseSpec `yaml:"cases"`
}

// caseSpec is one case as written by hand: the call, its inputs and state,
// and the kind of outcome it must have (the generator computes the rest and
// refuses a case whose outcome is of another kind).
type caseSpec struct {
	Name     string           `yaml:"name"`
	Doc      string           `yaml:"doc"`
	Call     string           `yaml:"call"`
	Context  *contextSpec     `yaml:"context"`
	Setup    setupSpec        `yaml:"setup"`
	Inputs   map[string]input `yaml:"inputs"`
	Args     map[string]any   `yaml:"args"`
	Alloc    string           `yaml:"alloc"`
	Expect   expectSpec       `yaml:"expect"`
	CheckSQL []string         `yaml:"check_sql"`
}

type contextSpec struct {
	Contract       string `yaml:"contract"`
	Caller         string `yaml:"caller"`
	BlockHeight    uint64 `yaml:"block_height"`
	BlockTimestamp uint64 `yaml:"block_timestamp"`
	OramaValue     uint64 `yaml:"orama_value"`
	BTCValue       uint64 `yaml:"btc_value"`
	Input          *input `yaml:"input"`
}

type setupSpec struct {
	SQL      []string     `yaml:"sql"`
	Cache    []cacheSpec  `yaml:"cache"`
	Storage  []input      `yaml:"storage"`
	State    []stateSpec  `yaml:"state"`
	Balances []balanceSet `yaml:"balances"`
}

// stateSpec is a contract state entry; Contract defaults to the case's
// contract.
type stateSpec struct {
	Contract string `yaml:"contract"`
	Key      input  `yaml:"key"`
	Value    input  `yaml:"value"`
}

type cacheSpec struct {
	Key     input  `yaml:"key"`
	Value   input  `yaml:"value"`
	Expires uint64 `yaml:"expires"`
}

type balanceSet struct {
	Address string `yaml:"address"`
	Orama   uint64 `yaml:"orama"`
	BTC     uint64 `yaml:"btc"`
}

// expectSpec is the outcome's kind: exactly one of Trap, Status (status
// functions and database results), Result (present or absent) or Value
// (u64 and bool results), or none for functions without a result.
type expectSpec struct {
	Trap   string  `yaml:"trap"`
	Status string  `yaml:"status"`
	Result string  `yaml:"result"`
	Value  *uint64 `yaml:"value"`
}

// input is one input value; exactly one field is set.
type input struct {
	Text        *string     `yaml:"text"`
	Hex         *string     `yaml:"hex"`
	Fill        *fillSpec   `yaml:"fill"`
	SQLParams   []valueSpec `yaml:"sql_params"`
	Event       *eventSpec  `yaml:"event"`
	CIDOf       *input      `yaml:"cid_of"`
	AddressOf   *string     `yaml:"address_of"`
	SignatureBy *sigSpec    `yaml:"signature_by"`
	U32         *uint32     `yaml:"u32"`
	U64         *uint64     `yaml:"u64"`
	Concat      []input     `yaml:"concat"`
}

type fillSpec struct {
	Byte byte `yaml:"byte"`
	Len  int  `yaml:"len"`
}

type valueSpec struct {
	Null bool     `yaml:"null"`
	Int  *int64   `yaml:"int"`
	Real *float64 `yaml:"real"`
	Text *string  `yaml:"text"`
	Blob *string  `yaml:"blob"`
}

type eventSpec struct {
	Topic input `yaml:"topic"`
	Data  input `yaml:"data"`
}

// sigSpec signs SHA-256 of another input with a private key (hex); HighS
// and V malleate the result into forms verifiers must reject.
type sigSpec struct {
	Key   string `yaml:"key"`
	Msg   input  `yaml:"msg"`
	HighS bool   `yaml:"high_s"`
	V     *byte  `yaml:"v"`
}

func parseHex(s string) ([]byte, error) {
	return hex.DecodeString(strings.TrimPrefix(s, "0x"))
}

// bytes evaluates an input to bytes.
func (in input) bytes() ([]byte, error) {
	set := 0
	for _, b := range []bool{in.Text != nil, in.Hex != nil, in.Fill != nil, in.SQLParams != nil, in.Event != nil,
		in.CIDOf != nil, in.AddressOf != nil, in.SignatureBy != nil, in.U32 != nil, in.U64 != nil, in.Concat != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return nil, fmt.Errorf("an input sets exactly one form, this one %d", set)
	}
	switch {
	case in.Text != nil:
		return []byte(*in.Text), nil
	case in.Hex != nil:
		return parseHex(*in.Hex)
	case in.Fill != nil:
		return []byte(strings.Repeat(string([]byte{in.Fill.Byte}), in.Fill.Len)), nil
	case in.SQLParams != nil:
		var vs []abi.Value
		for _, v := range in.SQLParams {
			val, err := v.value()
			if err != nil {
				return nil, err
			}
			vs = append(vs, val)
		}
		return abi.AppendParams(nil, vs), nil
	case in.Event != nil:
		topic, err := in.Event.Topic.bytes()
		if err != nil {
			return nil, err
		}
		data, err := in.Event.Data.bytes()
		if err != nil {
			return nil, err
		}
		return abi.AppendEvent(nil, string(topic), data), nil
	case in.CIDOf != nil:
		data, err := in.CIDOf.bytes()
		if err != nil {
			return nil, err
		}
		return abi.RawCID(data), nil
	case in.AddressOf != nil:
		k, err := key(*in.AddressOf)
		if err != nil {
			return nil, err
		}
		a := k.Address()
		return a[:], nil
	case in.SignatureBy != nil:
		return in.SignatureBy.sign()
	case in.Concat != nil:
		var out []byte
		for _, p := range in.Concat {
			b, err := p.bytes()
			if err != nil {
				return nil, err
			}
			out = append(out, b...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("input %+v is a number, not bytes", in)
}

func (v valueSpec) value() (abi.Value, error) {
	switch {
	case v.Null:
		return abi.Null(), nil
	case v.Int != nil:
		return abi.Integer(*v.Int), nil
	case v.Real != nil:
		return abi.Real(*v.Real), nil
	case v.Text != nil:
		return abi.Text(*v.Text), nil
	case v.Blob != nil:
		b, err := parseHex(*v.Blob)
		return abi.Blob(b), err
	}
	return abi.Value{}, fmt.Errorf("a SQL value sets null, int, real, text or blob")
}

func key(h string) (*crypto.PrivateKey, error) {
	b, err := parseHex(h)
	if err != nil {
		return nil, err
	}
	return crypto.PrivateKeyFromBytes(b)
}

// secp256k1 group order, for the high-S malleation.
var curveN, _ = new(big.Int).SetString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16)

func (s sigSpec) sign() ([]byte, error) {
	k, err := key(s.Key)
	if err != nil {
		return nil, err
	}
	msg, err := s.Msg.bytes()
	if err != nil {
		return nil, err
	}
	sig, err := crypto.Sign(k, crypto.SHA256(msg))
	if err != nil {
		return nil, err
	}
	if s.HighS {
		sv := new(big.Int).SetBytes(sig[32:64])
		new(big.Int).Sub(curveN, sv).FillBytes(sig[32:64])
		sig[64] ^= 1
	}
	if s.V != nil {
		sig[64] = *s.V
	}
	return sig[:], nil
}

// address parses a 20-byte hex address.
func address(h string) (types.Address, error) {
	var a types.Address
	b, err := parseHex(h)
	if err != nil {
		return a, err
	}
	if len(b) != len(a) {
		return a, fmt.Errorf("address %q is not 20 bytes", h)
	}
	copy(a[:], b)
	return a, nil
}

// arg resolves a raw argument override: a number, or "end-K" for the
// memory size minus K.
func arg(v any, memSize uint64) (uint64, error) {
	switch x := v.(type) {
	case int:
		if x < 0 {
			return 0, fmt.Errorf("negative argument %d", x)
		}
		return uint64(x), nil
	case string:
		if k, ok := strings.CutPrefix(x, "end-"); ok {
			var n uint64
			if _, err := fmt.Sscan(k, &n); err != nil || n > memSize {
				return 0, fmt.Errorf("bad argument %q", x)
			}
			return memSize - n, nil
		}
		if x == "max" {
			return math.MaxUint32, nil
		}
	}
	return 0, fmt.Errorf("argument %v is neither a number nor end-K", v)
}
