package statevectors

import (
	"errors"
	"fmt"

	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// baseFeeCase is one NextBaseFee input and the result the case expects
// (spec/state.md "The base fee"). The generator fails when the reference
// formula disagrees, so a case states its number instead of copying it.
type baseFeeCase struct {
	Name          string `yaml:"name"`
	Doc           string `yaml:"doc"`
	ParentBaseFee uint64 `yaml:"parent_base_fee"`
	ParentGasUsed uint64 `yaml:"parent_gas_used"`
	Next          uint64 `yaml:"next"`
}

type baseFeeOut struct {
	Name          string `json:"name"`
	Doc           string `json:"doc"`
	ParentBaseFee string `json:"parent_base_fee"`
	ParentGasUsed string `json:"parent_gas_used"`
	NextBaseFee   string `json:"next_base_fee"`
}

func baseFeeVectors(cases []baseFeeCase) ([]baseFeeOut, error) {
	out := make([]baseFeeOut, 0, len(cases))
	for _, c := range cases {
		if c.Name == "" {
			return nil, errors.New("base_fee case without a name")
		}
		if got := txrules.NextBaseFee(c.ParentBaseFee, c.ParentGasUsed); got != c.Next {
			return nil, fmt.Errorf("base_fee case %s: NextBaseFee(%d, %d) = %d, the case expects %d",
				c.Name, c.ParentBaseFee, c.ParentGasUsed, got, c.Next)
		}
		out = append(out, baseFeeOut{
			Name: c.Name, Doc: c.Doc,
			ParentBaseFee: u64(c.ParentBaseFee), ParentGasUsed: u64(c.ParentGasUsed), NextBaseFee: u64(c.Next),
		})
	}
	return out, nil
}
