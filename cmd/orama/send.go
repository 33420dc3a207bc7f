package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/txrules"
)

// txOptions are the flags of the commands that sign a transaction.
type txOptions struct {
	keys        keyOptions
	from        string
	tip         string
	feeCap      string
	nonce       string
	wait        bool
	waitTimeout time.Duration
}

func (o *txOptions) addFlags(cmd *cobra.Command, a *app) {
	f := cmd.Flags()
	o.keys.addDirFlag(cmd, a, false)
	o.keys.addPasswordFlag(cmd)
	f.StringVar(&o.from, "from", "", "the signing key: index from 'orama keys list', address or @username (default: the only key)")
	f.StringVar(&o.tip, "tip", "0", "priority fee per gas in rays, paid to the proposer")
	f.StringVar(&o.feeCap, "fee-cap", "", "most rays per gas to pay, base fee and tip together (default: min(2 x base fee, max base fee) + tip)")
	f.StringVar(&o.nonce, "nonce", "", "the transaction nonce (default: the account's nonce at the latest block)")
	f.BoolVar(&o.wait, "wait", false, "wait until the transaction is in a block, and print its receipt")
	f.DurationVar(&o.waitTimeout, "wait-timeout", 2*time.Minute, "how long --wait waits")
}

// fees are a transaction's fee fields, and its nonce when --nonce gives it.
type fees struct {
	tip, feeCap uint64
	nonce       *uint64 // nil: the account's nonce
}

// parseFees checks --tip, --fee-cap and --nonce; feeCap 0 means "use the
// default".
func (o *txOptions) parseFees() (fees, error) {
	var f fees
	var err error
	if f.tip, err = parseAmount(o.tip, unitBase); err != nil {
		return f, usagef("--tip: %v", err)
	}
	if o.feeCap != "" {
		if f.feeCap, err = parseAmount(o.feeCap, unitBase); err != nil {
			return f, usagef("--fee-cap: %v", err)
		}
		if f.feeCap == 0 {
			return f, usagef("--fee-cap: must be at least 1 ray per gas")
		}
		if f.tip > f.feeCap {
			return f, usagef("--tip %d is above --fee-cap %d", f.tip, f.feeCap)
		}
	}
	if o.nonce != "" {
		n, err := parseAmount(o.nonce, unitBase)
		if err != nil {
			return f, usagef("--nonce: %v", err)
		}
		f.nonce = &n
	}
	return f, nil
}

// defaultFeeCap is min(2 x baseFee, MaxBaseFee) + tip: enough for the base
// fee to double, which it cannot beyond MaxBaseFee, plus the tip.
func defaultFeeCap(baseFee, tip uint64) (uint64, error) {
	c := uint64(params.MaxBaseFee)
	if baseFee <= c/2 {
		c = max(2*baseFee, params.MinBaseFee)
	}
	c, err := txrules.Add(c, tip)
	if err != nil {
		return 0, usagef("--tip %d: too large", tip)
	}
	return c, nil
}

// signer is a prepared transaction: the sender's key and the chain's state.
type signer struct {
	c      *nodeClient
	key    *crypto.PrivateKey
	status *api.ChainStatus
	acct   *api.AccountResponse
}

// prepare unlocks the --from key and reads the chain status and the sender
// account.
func (a *app) prepare(cmd *cobra.Command, c *nodeClient, o *txOptions) (*signer, error) {
	key, _, err := a.unlock(cmd, &o.keys, o.from)
	if err != nil {
		return nil, err
	}
	st, err := c.status(cmd.Context())
	if err != nil {
		return nil, err
	}
	acct, err := c.account(cmd.Context(), crypto.FormatAddress(key.Address()), nil)
	if err != nil {
		return nil, fmt.Errorf("sender account: %w", err)
	}
	return &signer{c: c, key: key, status: st, acct: acct}, nil
}

// sign fills in From, the nonce, the gas limit and the fees, and signs tx.
func (s *signer) sign(f fees, tx *types.Transaction) error {
	chainID, err := strconv.ParseUint(s.status.ChainId, 10, 64)
	if err != nil {
		return fmt.Errorf("node sent chain id %q: %w", s.status.ChainId, err)
	}
	tx.From = s.key.Address()
	if f.nonce != nil {
		tx.Nonce = *f.nonce
	} else if tx.Nonce, err = strconv.ParseUint(s.acct.Account.Nonce, 10, 64); err != nil {
		return fmt.Errorf("nonce %q: %w", s.acct.Account.Nonce, err)
	}
	tx.GasLimit = txrules.IntrinsicGas(tx)
	tx.GasTipCap, tx.GasFeeCap = f.tip, f.feeCap
	if tx.GasFeeCap == 0 {
		base, err := strconv.ParseUint(s.status.BaseFee, 10, 64)
		if err != nil {
			return fmt.Errorf("node sent base fee %q: %w", s.status.BaseFee, err)
		}
		if tx.GasFeeCap, err = defaultFeeCap(base, f.tip); err != nil {
			return err
		}
	}
	payload, err := tx.SigningPayload()
	if err != nil {
		return err
	}
	if tx.Signature, err = crypto.SignDomain(s.key, crypto.DomainTransaction, chainID, payload); err != nil {
		return err
	}
	return nil
}

// sent is the JSON output of send and username claim.
type sent struct {
	Hash        string                 `json:"hash"`
	Transaction api.Transaction        `json:"transaction"`
	Status      *api.TransactionStatus `json:"status,omitempty"` // with --wait
}

// submit signs tx, sends it, prints it and, with --wait, waits for it.
func (a *app) submit(cmd *cobra.Command, o *txOptions, s *signer, f fees, tx *types.Transaction, toLabel string) error {
	if err := s.sign(f, tx); err != nil {
		return err
	}
	raw, err := tx.MarshalBorsh()
	if err != nil {
		return err
	}
	h, err := tx.Hash()
	if err != nil {
		return err
	}
	out := sent{Hash: h.String(), Transaction: apiTransaction(tx, h)}
	resp, err := s.c.send(cmd.Context(), "0x"+hex.EncodeToString(raw))
	if err != nil {
		return err
	}
	if !strings.EqualFold(resp.Hash, out.Hash) {
		fmt.Fprintf(a.stderr, "warning: the node reports hash %s, this client computed %s\n", resp.Hash, out.Hash)
		out.Hash = resp.Hash
	}
	if !a.jsonOut {
		fmt.Fprintf(a.stdout, "sent %s\n", out.Hash)
		a.printTxSummary(&out.Transaction, toLabel)
	}
	if !o.wait {
		if a.jsonOut {
			return a.printJSON(out)
		}
		return nil
	}
	st, werr := a.waitTx(cmd.Context(), s.c, out.Hash, o.waitTimeout)
	out.Status = st
	if a.jsonOut {
		// Printed even when waiting failed: the transaction was sent.
		if err := a.printJSON(out); err != nil {
			return err
		}
	} else if st != nil {
		fmt.Fprintln(a.stdout)
		a.printTxStatus(st, false)
	}
	return werr
}

// apiTransaction is tx in the API's JSON shape: the generated conversion,
// plus the hash, the one API-only property.
func apiTransaction(tx *types.Transaction, h types.Hash) api.Transaction {
	t := api.FromTransaction(tx)
	t.Hash = h.String()
	return t
}

// notFoundGrace is how long --wait tolerates a transaction the node does
// not know: between leaving the mempool and being indexed it may briefly
// be neither.
const notFoundGrace = 5 * time.Second

// waitTx polls until the transaction is out of the mempool: included,
// finalized or rejected. A rejected transaction is returned with an error.
func (a *app) waitTx(ctx context.Context, c *nodeClient, hash string, timeout time.Duration) (*api.TransactionStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if !a.jsonOut {
		fmt.Fprintf(a.stderr, "waiting for %s to be included...\n", hash)
	}
	var notFoundSince time.Time
	var last *api.TransactionStatus
	for {
		st, err := c.transaction(ctx, hash)
		var ae *apiError
		switch {
		case err == nil:
			notFoundSince = time.Time{}
			last = st
			switch st.Status {
			case api.Included, api.Finalized:
				return st, nil
			case api.Rejected:
				reason := "rejected"
				if st.Reason != nil {
					reason = *st.Reason
				} else if st.Receipt != nil {
					reason = string(st.Receipt.Status)
				}
				return st, fmt.Errorf("transaction %s was rejected: %s", hash, reason)
			}
		case errors.As(err, &ae) && ae.Code == "not_found":
			if notFoundSince.IsZero() {
				notFoundSince = a.now()
			} else if a.now().Sub(notFoundSince) > notFoundGrace {
				return nil, fmt.Errorf("transaction %s: the node no longer knows it (dropped from the mempool?): %w", hash, err)
			}
		case ctx.Err() != nil:
			// The timeout cut the request short: report the timeout.
		default:
			return nil, err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				state := "not found"
				if last != nil {
					state = string(last.Status)
				}
				return nil, fmt.Errorf("transaction %s: still %s after waiting %v", hash, state, timeout)
			}
			return nil, ctx.Err()
		case <-time.After(a.pollInterval):
		}
	}
}

func sendCmd(a *app) *cobra.Command {
	var o txOptions
	var to, amount, asset string
	cmd := &cobra.Command{
		Use:   "send --to RECIPIENT --amount AMOUNT [--asset ORAMA|BTC]",
		Short: "Sign and submit a transfer",
		Long: `send transfers --amount of --asset from the --from key to --to.

RECIPIENT is @username, orama:<hex>, 0x<hex> or bare hex (40 digits). AMOUNT
is an exact decimal in whole units: 1.5 ORAMA is 1,500,000 rays, 0.00000001
BTC is 1 satoshi. More decimal places than the asset has is an error, never
rounded; so are signs, exponents and separators.

The nonce comes from the sender account, the chain id and base fee from
the node's status; the gas limit is the transfer's intrinsic gas. The
transaction is signed locally and submitted as Borsh; send prints its hash,
and with --wait, its receipt once it is in a block.`,
		Example: `  orama send --to @alex --amount 1.5
  orama send --to orama:5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed --amount 0.001 --asset BTC --from 1 --wait`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" || amount == "" {
				return usagef("send needs --to and --amount")
			}
			u, err := parseUnit(asset)
			if err != nil {
				return usagef("--asset: %v", err)
			}
			v, err := parseAmount(amount, u)
			if err != nil {
				return usageError{err}
			}
			ref, err := crypto.ParseAccountRef(to)
			if err != nil {
				return usagef("--to %q: want @username, orama:<hex>, 0x<hex> or 40 hex digits: %v", to, err)
			}
			f, err := o.parseFees()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			// The recipient is resolved before the password is asked for.
			dst, err := c.resolve(cmd.Context(), ref)
			if err != nil {
				return err
			}
			label := ""
			if ref.IsUsername {
				label = ref.String()
			}
			s, err := a.prepare(cmd, c, &o)
			if err != nil {
				return err
			}
			tx := &types.Transaction{Type: types.TxTypeTransfer, To: dst, Amount: v, Asset: u.Asset}
			return a.submit(cmd, &o, s, f, tx, label)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "recipient: @username, orama:<hex>, 0x<hex> or 40 hex digits")
	cmd.Flags().StringVar(&amount, "amount", "", "amount in whole units, an exact decimal such as 1.5")
	cmd.Flags().StringVar(&asset, "asset", "ORAMA", "ORAMA or BTC")
	o.addFlags(cmd, a)
	return cmd
}

func usernameCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "username",
		Short: "Claim a username",
		RunE:  groupCmd,
	}
	var o txOptions
	claim := &cobra.Command{
		Use:   "claim NAME",
		Short: "Claim a permanent username for the --from account",
		Long: `claim submits a ClaimUsername transaction for NAME (with or without '@').
A name is 3 to 32 of a-z, 0-9, '_' and '-'; it is permanent, and an
account has at most one. The name is checked locally, and against the node
for being taken, before the password is asked for.`,
		Args: oneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := strings.TrimPrefix(args[0], "@")
			if err := crypto.ValidateUsername(name); err != nil {
				return usageError{err}
			}
			f, err := o.parseFees()
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			switch owner, err := c.account(cmd.Context(), crypto.FormatUsername(name), nil); {
			case err == nil:
				return fmt.Errorf("@%s is taken by %s", name, owner.Account.Address)
			default:
				var ae *apiError
				if !errors.As(err, &ae) || ae.Code != "unknown_username" && ae.Code != "not_found" {
					return fmt.Errorf("checking @%s: %w", name, err)
				}
			}
			s, err := a.prepare(cmd, c, &o)
			if err != nil {
				return err
			}
			if s.acct.Account.Username != "" {
				return fmt.Errorf("%s already has the username @%s; an account has one", s.acct.Account.Address, s.acct.Account.Username)
			}
			data, err := (&types.ClaimUsernamePayload{Username: name}).MarshalBorsh()
			if err != nil {
				return err
			}
			tx := &types.Transaction{Type: types.TxTypeClaimUsername, Asset: types.AssetOrama, Data: data}
			return a.submit(cmd, &o, s, f, tx, "")
		},
	}
	o.addFlags(claim, a)
	cmd.AddCommand(claim)
	return cmd
}
