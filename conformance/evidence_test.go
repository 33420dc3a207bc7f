package conformance

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/borsh"
	"github.com/oramanetwork/orama-chain/runtime/consensus"
)

// evidenceCase is one case of evidence.json (conformance/README.md).
type evidenceCase struct {
	Name       string `json:"name"`
	Why        string `json:"why"`
	ChainID    string `json:"chain_id"`
	Validators []struct {
		Address string `json:"address"`
		Power   string `json:"power"`
	} `json:"validators"`
	Evidence string          `json:"evidence"`
	Value    json.RawMessage `json:"value"`
	Verdict  string          `json:"verdict"`
}

// runEvidence checks consensus.VerifyEvidence against the evidence vectors:
// each case's Borsh Evidence, verified for its validator set and chain id
// with the real signature verifier, must give the case's verdict.
func runEvidence(t *testing.T, vf vectorFile) int {
	n := 0
	for _, raw := range vf.Cases {
		var c evidenceCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		t.Run(c.Name, func(t *testing.T) {
			if err := checkEvidenceCase(c); err != nil {
				t.Errorf("%v (%s)", err, c.Why)
			}
		})
		n++
	}
	return n
}

// evidenceSentinel returns the sentinel error of a reason name.
func evidenceSentinel(reason string) error {
	for _, r := range consensus.EvidenceReasons() {
		if consensus.EvidenceReason(r) == reason {
			return r
		}
	}
	return nil
}

// checkEvidenceCase verifies one case and returns why it disagrees with the
// vector, or nil. Evidence that does not decode strictly is rejected as
// malformed_evidence, the reason VerifyEvidence gives the same faults in a
// value built in memory.
func checkEvidenceCase(c evidenceCase) error {
	var want error
	if c.Verdict != "valid" {
		if want = evidenceSentinel(c.Verdict); want == nil {
			return fmt.Errorf("verdict %q is no reason VerifyEvidence knows", c.Verdict)
		}
	}
	var ms []consensus.Member
	for _, v := range c.Validators {
		a, err := hex.DecodeString(strings.TrimPrefix(v.Address, "0x"))
		if err != nil || len(a) != len(types.Address{}) {
			return fmt.Errorf("validator address %q", v.Address)
		}
		p, err := strconv.ParseUint(v.Power, 10, 64)
		if err != nil {
			return fmt.Errorf("validator power: %w", err)
		}
		ms = append(ms, consensus.Member{Address: types.Address(a), Power: p})
	}
	set, err := consensus.NewValidatorSet(ms)
	if err != nil {
		return err
	}
	chain, err := strconv.ParseUint(c.ChainID, 10, 64)
	if err != nil {
		return fmt.Errorf("chain_id: %w", err)
	}
	data, err := hex.DecodeString(strings.TrimPrefix(c.Evidence, "0x"))
	if err != nil {
		return fmt.Errorf("evidence hex: %w", err)
	}

	var ev types.Evidence
	if derr := ev.UnmarshalBorsh(data); derr != nil {
		var be *borsh.Error
		if !errors.As(derr, &be) {
			return fmt.Errorf("decode error %v is not a *borsh.Error", derr)
		}
		if string(c.Value) != "null" {
			return fmt.Errorf("the evidence does not decode (%v), but the vector gives its value", derr)
		}
		err = fmt.Errorf("%w: %w", consensus.ErrEvidenceMalformed, derr)
	} else {
		// The value is the decoded evidence's JSON form.
		js, jerr := json.Marshal(&ev)
		if jerr != nil {
			return jerr
		}
		var got, exp any
		if json.Unmarshal(js, &got) != nil || json.Unmarshal(c.Value, &exp) != nil || !reflect.DeepEqual(got, exp) {
			return fmt.Errorf("value\n got %s\nwant %s", js, c.Value)
		}
		err = consensus.VerifyEvidence(set, consensus.CryptoVerifier{ChainID: chain}, &ev)
	}
	switch {
	case want == nil && err != nil:
		return fmt.Errorf("rejected as %q (%v), want valid", consensus.EvidenceReason(err), err)
	case want == nil:
		return nil
	case err == nil:
		return fmt.Errorf("accepted, want %s", c.Verdict)
	case !errors.Is(err, consensus.ErrBadEvidence):
		return fmt.Errorf("error %v does not wrap ErrBadEvidence", err)
	case !errors.Is(err, want):
		return fmt.Errorf("rejected as %q (%v), want %s", consensus.EvidenceReason(err), err, c.Verdict)
	}
	return nil
}

// TestEvidenceRunnerNegativeControl shows the runner can fail: every case
// with its verdict changed to any other one is reported, and so is a valid
// case with one byte of its evidence changed.
func TestEvidenceRunnerNegativeControl(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(vectorsDir, "evidence.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vf struct{ Cases []evidenceCase }
	if err := json.Unmarshal(raw, &vf); err != nil {
		t.Fatal(err)
	}
	if len(vf.Cases) < 20 {
		t.Fatalf("only %d evidence cases", len(vf.Cases))
	}
	verdicts := []string{"valid"}
	for _, r := range consensus.EvidenceReasons() {
		verdicts = append(verdicts, consensus.EvidenceReason(r))
	}
	flipped := 0
	for _, c := range vf.Cases {
		if err := checkEvidenceCase(c); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		for _, v := range verdicts {
			if v == c.Verdict {
				continue
			}
			bad := c
			bad.Verdict = v
			if checkEvidenceCase(bad) == nil {
				t.Errorf("%s: verdict %s changed to %s passes", c.Name, c.Verdict, v)
			}
			flipped++
		}
	}
	// One byte of a valid case's second signature (the evidence's last
	// bytes) changed: the signature no longer verifies, or recovers another
	// address.
	for _, c := range vf.Cases {
		if c.Verdict != "valid" {
			continue
		}
		bad := c
		b := []byte(c.Evidence)
		i := len(b) - 10
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		bad.Evidence = string(b)
		if checkEvidenceCase(bad) == nil {
			t.Errorf("%s: a changed signature byte passes", c.Name)
		}
		break
	}
	t.Logf("%d flipped verdicts caught", flipped)
}
