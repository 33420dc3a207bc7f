package chainfile

import (
	"errors"

	"github.com/oramanetwork/orama-chain/runtime/consensus"
	"github.com/oramanetwork/orama-chain/runtime/driver"
	"github.com/oramanetwork/orama-chain/runtime/exec"
	"github.com/oramanetwork/orama-chain/runtime/mempool"
)

// The refusal reasons of spec/consensus.md, "Importing a chain". They are
// stable names: conformance fixtures and other implementations use them.
const (
	ReasonDecodeError              = "decode_error"
	ReasonConflictingBlock         = "conflicting_block"
	ReasonWrongParent              = "wrong_parent"
	ReasonWrongTransactionsRoot    = "wrong_transactions_root"
	ReasonBadCertificate           = "bad_certificate"
	ReasonBadCommitProof           = "bad_commit_proof"
	ReasonNoCommitProof            = "no_commit_proof"
	ReasonBadHeader                = "bad_header"
	ReasonNonIncludableTransaction = "non_includable_transaction"
	ReasonWrongStateRoot           = "wrong_state_root"
	ReasonWrongReceiptsRoot        = "wrong_receipts_root"
	ReasonWrongGasUsed             = "wrong_gas_used"
)

// Reasons lists every reason, in the order spec/consensus.md gives them.
var Reasons = []string{
	ReasonDecodeError, ReasonConflictingBlock, ReasonWrongParent, ReasonWrongTransactionsRoot,
	ReasonBadCertificate, ReasonBadCommitProof, ReasonNoCommitProof, ReasonBadHeader,
	ReasonNonIncludableTransaction, ReasonWrongStateRoot, ReasonWrongReceiptsRoot, ReasonWrongGasUsed,
}

// certErrors are the ways a quorum certificate fails (runtime/consensus).
var certErrors = []error{
	consensus.ErrQCNotForBlock, consensus.ErrBadSignature, consensus.ErrNoQuorum,
	consensus.ErrUnsortedSigner, consensus.ErrUnknownValidator,
}

// Reason names the refusal err stands for, or "" when err is not one (a
// storage failure, say). This is the one mapping from the errors of the
// range-sync path to the names of the spec.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	isAny := func(targets ...error) bool {
		for _, t := range targets {
			if errors.Is(err, t) {
				return true
			}
		}
		return false
	}
	switch {
	case isAny(ErrMalformed):
		return ReasonDecodeError
	case isAny(driver.ErrConflict):
		return ReasonConflictingBlock
	case isAny(driver.ErrNoCommitProof):
		return ReasonNoCommitProof
	// CheckSync: the chain, the bodies, the certificates, the proof.
	case isAny(driver.ErrNotExtending):
		return ReasonWrongParent
	case isAny(driver.ErrWrongBody):
		return ReasonWrongTransactionsRoot
	case isAny(certErrors...):
		// In a block's QC or in a commit proof alike: a certificate that
		// does not certify what it must.
		return ReasonBadCertificate
	case isAny(consensus.ErrBadCommitProof):
		// Its certificates hold, but its headers do not extend the last
		// block or their views are not consecutive.
		return ReasonBadCommitProof
	// Execution of a block proven final (runtime/driver applyFinal).
	case isAny(exec.ErrBadHeader):
		return ReasonBadHeader
	case isAny(exec.ErrNotIncludable, mempool.ErrInvalidSignature, mempool.ErrMalformed):
		return ReasonNonIncludableTransaction
	case isAny(exec.ErrWrongStateRoot):
		return ReasonWrongStateRoot
	case isAny(exec.ErrWrongTransactionsRoot):
		return ReasonWrongTransactionsRoot
	case isAny(exec.ErrWrongReceiptsRoot):
		return ReasonWrongReceiptsRoot
	case isAny(exec.ErrWrongGasUsed):
		return ReasonWrongGasUsed
	}
	return ""
}
