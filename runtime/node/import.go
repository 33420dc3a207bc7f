package node

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/oramanetwork/orama-chain/runtime/chainfile"
)

// Import applies the chain file r (conformance/CLIENT.md, "Chain files")
// to the node's chain through the path range sync takes: the driver's
// CheckSync on each record, then, once a commit proof covers them, each
// block executed and committed as a final block (store, index, mempool),
// exactly as a block taken from a peer. Records below the head are skipped
// once checked to be this chain's, so an import resumes where an earlier
// one stopped. A refused block is a Report naming it and the reason
// (spec/consensus.md, "Importing a chain"), and leaves the chain at the
// block before it; the error is for failures of the node or of reading r.
//
// Import must not run while Run does. Close the node afterwards, as for
// any node used without Run: that finishes the index's writes.
func (n *Node) Import(ctx context.Context, r io.Reader) (chainfile.Report, error) {
	if n.driver.Load() != nil {
		return chainfile.Report{}, errors.New("node: import while the node runs")
	}
	d, err := n.newDriver(ctx)
	if err != nil {
		return chainfile.Report{}, err
	}
	rep, err := chainfile.Import(ctx, r, d.Importer())
	if err != nil {
		return rep, fmt.Errorf("node: import: %w", err)
	}
	if rep.Refused() {
		n.log.Info("import: block refused", "height", *rep.RefusedHeight, "reason", rep.Reason, "err", rep.Err)
	}
	n.log.Info("import: done", "height", rep.ImportedHeight)
	return rep, nil
}
