package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// table writes aligned "key  value" lines.
type table struct{ w *tabwriter.Writer }

func newTable(w io.Writer) table { return table{tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)} }

func (t table) row(k string, format string, args ...any) {
	fmt.Fprintf(t.w, "%s\t%s\n", k, fmt.Sprintf(format, args...))
}

func (t table) flush() { t.w.Flush() }

// unixTime formats an API timestamp (Unix seconds).
func unixTime(s string) string {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return s
	}
	return fmt.Sprintf("%s (%s)", time.Unix(v, 0).UTC().Format(time.RFC3339), s)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func accountCmd(a *app) *cobra.Command {
	var proof bool
	var height string
	cmd := &cobra.Command{
		Use:   "account ID",
		Short: "Show an account: balances, nonce and username",
		Long: `account shows the account ID names: @username, orama:<hex>, 0x<hex> or 40
hex digits. --proof adds the Sparse Merkle proof of the account against a
block's state root (--height, default the latest), for verifying the
balances without trusting the node.`,
		Args: oneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := crypto.ParseAccountRef(args[0])
			if err != nil {
				return usagef("account %q: want @username, orama:<hex>, 0x<hex> or 40 hex digits: %v", args[0], err)
			}
			var params api.GetAccountParams
			if proof {
				params.Proof = &proof
			}
			if height != "" {
				if _, err := parseAmount(height, unitBase); err != nil {
					return usagef("--height: %v", err)
				}
				params.Height = &height
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			r, err := c.account(cmd.Context(), ref.String(), &params)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(r)
			}
			acct := r.Account
			t := newTable(a.stdout)
			t.row("address", "%s", acct.Address)
			if acct.Username != "" {
				t.row("username", "@%s", acct.Username)
			} else {
				t.row("username", "none")
			}
			t.row("nonce", "%s", acct.Nonce)
			t.row("ORAMA", "%s", formatAmountString(acct.OramaBalance, unitOrama))
			t.row("BTC", "%s", formatAmountString(acct.BtcBalance, unitBTC))
			t.row("height", "%s", r.Height)
			t.flush()
			if r.Proof != nil {
				b, err := json.MarshalIndent(r.Proof, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "proof against the state root of block %s (%s):\n%s\n", r.Proof.Header.Height, r.Proof.BlockHash, b)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&proof, "proof", false, "include the account's Merkle proof (printed as JSON)")
	cmd.Flags().StringVar(&height, "height", "", "read the state at this block height (default: the latest)")
	return cmd
}

// normalizeHash accepts a transaction or block hash as 0x and 64 hex digits
// in either case, or the digits alone, and returns the API's form.
func normalizeHash(s string) (string, error) {
	h := strings.TrimPrefix(s, "0x")
	if len(h) != 64 || !isHex(h) {
		return "", fmt.Errorf("hash %q: want 0x and 64 hex digits", s)
	}
	return "0x" + strings.ToLower(h), nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func txCmd(a *app) *cobra.Command {
	var wait bool
	var waitTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "tx HASH",
		Short: "Show a transaction and its status",
		Long: `tx shows a transaction and where it is: pending (in the mempool), included
(in a block), finalized, or rejected (in a block with a failing receipt,
which changed no state). --wait waits while it is pending; a rejected
transaction then exits with status 1.`,
		Args: oneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			hash, err := normalizeHash(args[0])
			if err != nil {
				return usageError{err}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			var st *api.TransactionStatus
			if wait {
				st, err = a.waitTx(cmd.Context(), c, hash, waitTimeout)
			} else {
				st, err = c.transaction(cmd.Context(), hash)
			}
			if st != nil {
				if a.jsonOut {
					if perr := a.printJSON(st); perr != nil {
						return perr
					}
				} else {
					a.printTxStatus(st, true)
				}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the transaction is in a block")
	cmd.Flags().DurationVar(&waitTimeout, "wait-timeout", 2*time.Minute, "how long --wait waits")
	return cmd
}

// printTxSummary prints what a transaction does.
func (a *app) printTxSummary(tx *api.Transaction, toLabel string) {
	t := newTable(a.stdout)
	txRows(t, tx, toLabel)
	t.flush()
}

// txRows writes what a transaction does into t.
func txRows(t table, tx *api.Transaction, toLabel string) {
	t.row("type", "%s", tx.Type)
	t.row("from", "%s", tx.From)
	switch tx.Type {
	case "ClaimUsername":
		if name, ok := claimedName(tx.Data); ok {
			t.row("username", "@%s", name)
		}
	default:
		to := tx.To
		if toLabel != "" {
			to += " (" + toLabel + ")"
		}
		t.row("to", "%s", to)
		t.row("amount", "%s", formatAmountString(tx.Amount, unitOf(tx.Asset)))
	}
	t.row("nonce", "%s", tx.Nonce)
	t.row("gas", "limit %s, fee cap %s rays/gas, tip cap %s rays/gas", tx.GasLimit, tx.GasFeeCap, tx.GasTipCap)
}

// claimedName decodes the username of a ClaimUsername payload.
func claimedName(data string) (string, bool) {
	if !strings.HasPrefix(data, "0x") {
		return "", false
	}
	b, err := hex.DecodeString(data[2:])
	if err != nil {
		return "", false
	}
	var p types.ClaimUsernamePayload
	if err := p.UnmarshalBorsh(b); err != nil {
		return "", false
	}
	return p.Username, true
}

// printTxStatus prints a transaction's status, and with full the
// transaction too.
func (a *app) printTxStatus(st *api.TransactionStatus, full bool) {
	t := newTable(a.stdout)
	if full {
		t.row("hash", "%s", st.Hash)
	}
	t.row("status", "%s", st.Status)
	if st.Height != nil {
		idx := ""
		if st.Index != nil {
			idx = fmt.Sprintf(", index %d", *st.Index)
		}
		t.row("block", "%s%s", *st.Height, idx)
	}
	if st.Receipt != nil {
		r := st.Receipt
		t.row("receipt", "%s: gas used %s, fee burned %s rays, tip %s rays", r.Status, r.GasUsed, r.FeeBurned, r.FeeTip)
		for _, e := range r.Events {
			t.row("event", "%s from %s data %s", e.Topic, e.Emitter, e.Data)
		}
	}
	if st.Reason != nil {
		t.row("reason", "%s", *st.Reason)
	}
	if full && st.Transaction != nil {
		txRows(t, st.Transaction, "")
	}
	t.flush()
}

func blockCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "block [latest|HEIGHT|HASH]",
		Short: "Show a block (default: the latest)",
		Args:  maxOneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			id := "latest"
			if len(args) == 1 {
				id = args[0]
			}
			switch {
			case id == "latest":
			case allDigits(id) && id != "":
				if _, err := parseAmount(id, unitBase); err != nil {
					return usagef("block height %q: %v", id, err)
				}
				id = strings.TrimLeft(id, "0")
				if id == "" {
					id = "0"
				}
			default:
				h, err := normalizeHash(id)
				if err != nil {
					return usagef("block %q: want latest, a height or a block hash (0x and 64 hex digits)", id)
				}
				id = h
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			b, err := c.block(cmd.Context(), id)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(b)
			}
			h := b.Header
			t := newTable(a.stdout)
			t.row("height", "%s", h.Height)
			t.row("hash", "%s", b.Hash)
			t.row("finalized", "%s", yesNo(b.Finalized))
			t.row("time", "%s", unixTime(h.Timestamp))
			t.row("proposer", "%s", h.Proposer)
			t.row("parent", "%s", h.ParentHash)
			t.row("state root", "%s", h.StateRoot)
			t.row("epoch/view", "%s/%s", h.Epoch, h.View)
			t.row("base fee", "%s rays/gas", h.BaseFee)
			t.row("gas used", "%s", h.GasUsed)
			t.row("transactions", "%d", len(b.Transactions))
			t.flush()
			for _, tx := range b.Transactions {
				var what string
				if tx.Type == "Transfer" {
					u := unitOf(tx.Asset)
					v, _ := parseAmount(tx.Amount, unitBase)
					what = fmt.Sprintf("Transfer %s -> %s %s %s", tx.From, tx.To, formatAmount(v, u), u.Name)
				} else if name, ok := claimedName(tx.Data); ok && tx.Type == "ClaimUsername" {
					what = fmt.Sprintf("ClaimUsername %s @%s", tx.From, name)
				} else {
					what = fmt.Sprintf("%s %s", tx.Type, tx.From)
				}
				fmt.Fprintf(a.stdout, "  %s  %s\n", tx.Hash, what)
			}
			return nil
		},
	}
}

func statusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show where the chain and the node are",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			s, err := c.status(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(s)
			}
			t := newTable(a.stdout)
			t.row("node", "%s", c.url)
			t.row("chain id", "%s", s.ChainId)
			t.row("genesis", "%s", s.GenesisHash)
			t.row("height", "%s (finalized %s)", s.Height, s.FinalizedHeight)
			t.row("head", "%s", s.HeadHash)
			t.row("state root", "%s", s.StateRoot)
			t.row("time", "%s", unixTime(s.Timestamp))
			t.row("base fee", "%s rays/gas", s.BaseFee)
			t.row("mempool", "%d transactions", s.MempoolSize)
			t.row("view", "%s", s.View)
			t.row("leader", "%s", s.Leader)
			t.row("peers", "%d", s.Peers)
			t.row("syncing", "%s", yesNo(s.Syncing))
			t.flush()
			return nil
		},
	}
}
