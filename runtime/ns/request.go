package ns

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/vm/meter"
)

// Refusals of a request before it is ordered (namespaces.md 3.2): nothing
// is logged and nothing changes. Each is a typed error the API maps to its
// code.
var (
	ErrInvalidRequest   = errors.New("invalid_request")
	ErrInvalidSignature = errors.New("invalid_signature")
	ErrWrongNamespace   = errors.New("invalid_namespace")
	ErrNonceTooLow      = errors.New("nonce_too_low")
	ErrNonceGap         = errors.New("nonce_gap")
	ErrNotAuthority     = errors.New("not_authority")
)

// Refusal is a request refused before ordering: Err is one of the sentinels
// above, Msg says what exactly.
type Refusal struct {
	Err error
	Msg string
}

func (r *Refusal) Error() string { return r.Err.Error() + ": " + r.Msg }
func (r *Refusal) Unwrap() error { return r.Err }

func refuse(err error, format string, a ...any) error {
	return &Refusal{Err: err, Msg: fmt.Sprintf(format, a...)}
}

// DecodeSubmission decodes a posted submission strictly.
func DecodeSubmission(b []byte) (*types.NamespaceSubmission, error) {
	var s types.NamespaceSubmission
	if err := s.UnmarshalBorsh(b); err != nil {
		return nil, refuse(ErrInvalidRequest, "submission does not decode: %v", err)
	}
	return &s, nil
}

// CheckSubmission checks everything about a submission that does not depend
// on the namespace's state: the namespace, the payload's strict decoding and
// limits, a Deploy's module against its code hash, the deposit authority,
// and the signature for the chain id. It returns the decoded payload.
func CheckSubmission(sub *types.NamespaceSubmission, namespace string, chainID uint64, authority types.Address) (any, error) {
	req := &sub.Request
	if req.Namespace != namespace {
		return nil, refuse(ErrWrongNamespace, "request is for %q, not %q", req.Namespace, namespace)
	}
	if !req.Kind.Valid() {
		return nil, refuse(ErrInvalidRequest, "unknown kind %d", req.Kind)
	}
	p := req.Kind.NewPayload()
	if err := p.UnmarshalBorsh(req.Payload); err != nil {
		return nil, refuse(ErrInvalidRequest, "%s payload does not decode: %v", req.Kind, err)
	}
	if req.Kind != types.NamespaceRequestKindDeploy && len(sub.Module) != 0 {
		return nil, refuse(ErrInvalidRequest, "a %s carries no module", req.Kind)
	}
	checkGas := func(g uint64) error {
		if g == 0 || g > params.MaxNamespaceCallGas || g > meter.MaxGas {
			return refuse(ErrInvalidRequest, "gas_limit %d is not in 1..%d", g, params.MaxNamespaceCallGas)
		}
		return nil
	}
	switch v := p.(type) {
	case *types.NsDeploy:
		if len(sub.Module) == 0 {
			return nil, refuse(ErrInvalidRequest, "a Deploy carries its module")
		}
		if types.Hash(sha256.Sum256(sub.Module)) != v.CodeHash {
			return nil, refuse(ErrInvalidRequest, "module's SHA-256 is not code_hash")
		}
		if err := checkFunction(v.Init, true); err != nil {
			return nil, err
		}
		if err := checkGas(v.GasLimit); err != nil {
			return nil, err
		}
	case *types.NsCall:
		if err := checkFunction(v.Function, false); err != nil {
			return nil, err
		}
		if err := checkGas(v.GasLimit); err != nil {
			return nil, err
		}
	case *types.NsWithdraw:
		if v.Amount == 0 || !v.Asset.Valid() {
			return nil, refuse(ErrInvalidRequest, "withdraw of %d %s", v.Amount, v.Asset)
		}
	case *types.NsDeposit:
		if v.Amount == 0 || !v.Asset.Valid() {
			return nil, refuse(ErrInvalidRequest, "deposit of %d %s", v.Amount, v.Asset)
		}
		if req.Signer != authority {
			return nil, refuse(ErrNotAuthority, "deposits are signed by the deposit authority %x", authority)
		}
	}
	payload, err := req.SigningPayload()
	if err != nil {
		return nil, refuse(ErrInvalidRequest, "%v", err)
	}
	if err := crypto.VerifyDomain(crypto.DomainNamespaceRequest, chainID, payload, req.Signature, req.Signer); err != nil {
		return nil, refuse(ErrInvalidSignature, "%v", err)
	}
	return p, nil
}

func checkFunction(fn string, mayBeEmpty bool) error {
	if fn == "" && mayBeEmpty {
		return nil
	}
	if fn == "" || strings.HasPrefix(fn, meter.ReservedPrefix) {
		return refuse(ErrInvalidRequest, "function %q is not callable", fn)
	}
	return nil
}

// SignRequest fills in req's signature by k (for clients and tests).
func SignRequest(req *types.NamespaceRequest, k *crypto.PrivateKey, chainID uint64) error {
	req.Signer = k.Address()
	payload, err := req.SigningPayload()
	if err != nil {
		return err
	}
	sig, err := crypto.SignDomain(k, crypto.DomainNamespaceRequest, chainID, payload)
	if err != nil {
		return err
	}
	req.Signature = sig
	return nil
}

// NewSubmission builds and signs a submission of the given payload.
func NewSubmission(namespace string, k *crypto.PrivateKey, chainID, nonce uint64, payload any, module []byte) (*types.NamespaceSubmission, error) {
	var kind types.NamespaceRequestKind
	var enc []byte
	var err error
	switch p := payload.(type) {
	case *types.NsDeploy:
		kind = types.NamespaceRequestKindDeploy
		p.CodeHash = sha256.Sum256(module)
		enc, err = p.MarshalBorsh()
	case *types.NsCall:
		kind = types.NamespaceRequestKindCall
		enc, err = p.MarshalBorsh()
	case *types.NsWithdraw:
		kind = types.NamespaceRequestKindWithdraw
		enc, err = p.MarshalBorsh()
	case *types.NsDeposit:
		kind = types.NamespaceRequestKindDeposit
		enc, err = p.MarshalBorsh()
	default:
		return nil, fmt.Errorf("ns: %T is not a request payload", payload)
	}
	if err != nil {
		return nil, err
	}
	sub := &types.NamespaceSubmission{Request: types.NamespaceRequest{Namespace: namespace, Nonce: nonce, Kind: kind, Payload: enc}, Module: module}
	if err := SignRequest(&sub.Request, k, chainID); err != nil {
		return nil, err
	}
	return sub, nil
}

// CallID is a request's id: SHA-256(Borsh(request)).
func CallID(req *types.NamespaceRequest) (types.Hash, error) { return req.Hash() }
