package consensus

import (
	"errors"
	"fmt"
	"math/bits"
	"sort"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
)

// Member is one validator with its Effective Power.
type Member struct {
	Address types.Address
	Power   uint64
}

// ValidatorSet is an immutable set of validators sorted by address.
type ValidatorSet struct {
	members []Member
	index   map[types.Address]int
	total   uint64
}

// Errors returned by NewValidatorSet.
var (
	ErrEmptySet         = errors.New("consensus: empty validator set")
	ErrDuplicateMember  = errors.New("consensus: duplicate validator")
	ErrZeroPower        = errors.New("consensus: validator with zero power")
	ErrPowerOverflow    = errors.New("consensus: total power overflows uint64")
	ErrUnknownValidator = errors.New("consensus: unknown validator")
)

// EffectivePower returns the Effective Power of v as far as the chain can
// compute it before performance scores exist (C = 0): stake, times
// params.TrustedOSMultiplierPermille/1000 (1.5) for an attested trusted OS,
// rounded down.
func EffectivePower(v types.Validator) (uint64, error) {
	if !v.TrustedOS {
		return v.Stake, nil
	}
	hi, lo := bits.Mul64(v.Stake, params.TrustedOSMultiplierPermille)
	if hi >= 1000 {
		return 0, ErrPowerOverflow // the quotient would not fit in 64 bits
	}
	p, _ := bits.Div64(hi, lo, 1000)
	return p, nil
}

// NewValidatorSetFromValidators builds a set using EffectivePower.
func NewValidatorSetFromValidators(vs []types.Validator) (*ValidatorSet, error) {
	ms := make([]Member, len(vs))
	for i, v := range vs {
		p, err := EffectivePower(v)
		if err != nil {
			return nil, err
		}
		ms[i] = Member{Address: v.Address, Power: p}
	}
	return NewValidatorSet(ms)
}

// NewValidatorSet validates and sorts members.
func NewValidatorSet(ms []Member) (*ValidatorSet, error) {
	if len(ms) == 0 {
		return nil, ErrEmptySet
	}
	s := &ValidatorSet{members: append([]Member(nil), ms...), index: make(map[types.Address]int, len(ms))}
	sort.Slice(s.members, func(i, j int) bool {
		return addrLess(s.members[i].Address, s.members[j].Address)
	})
	for i, m := range s.members {
		if m.Power == 0 {
			return nil, fmt.Errorf("%w: %x", ErrZeroPower, m.Address)
		}
		if _, dup := s.index[m.Address]; dup {
			return nil, fmt.Errorf("%w: %x", ErrDuplicateMember, m.Address)
		}
		s.index[m.Address] = i
		var carry uint64
		s.total, carry = bits.Add64(s.total, m.Power, 0)
		if carry != 0 {
			return nil, ErrPowerOverflow
		}
	}
	return s, nil
}

// Members returns the members sorted by address. The slice must not be modified.
func (s *ValidatorSet) Members() []Member { return s.members }

// TotalPower is the sum of all members' power.
func (s *ValidatorSet) TotalPower() uint64 { return s.total }

// Power returns a member's power and whether it is a member.
func (s *ValidatorSet) Power(a types.Address) (uint64, bool) {
	i, ok := s.index[a]
	if !ok {
		return 0, false
	}
	return s.members[i].Power, true
}

// IsQuorum reports whether power is more than 2/3 of the total:
// power*3 > total*2, computed in 128 bits so it cannot overflow.
func (s *ValidatorSet) IsQuorum(power uint64) bool { return IsQuorum(power, s.total) }

// IsQuorum reports whether power*3 > total*2 exactly (exactly 2/3 is not a
// quorum).
func IsQuorum(power, total uint64) bool {
	ph, pl := bits.Mul64(power, 3)
	th, tl := bits.Mul64(total, 2)
	return ph > th || (ph == th && pl > tl)
}

// ExceedsFaulty reports whether power*3 > total: more than a third of the
// power, so at least one honest validator among them whatever the
// faulty third does.
func (s *ValidatorSet) ExceedsFaulty(power uint64) bool {
	ph, pl := bits.Mul64(power, 3)
	return ph > 0 || pl > s.total
}

func addrLess(a, b types.Address) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
