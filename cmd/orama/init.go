package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/exec"
)

// Files in a data directory.
const (
	genesisFile   = "genesis.json"
	validatorFile = "validator.json" // Web3 Secret Storage v3 keystore
)

// DevnetChainID is the chain id `orama init` uses unless told otherwise.
const DevnetChainID = 1337

type initOptions struct {
	dataDir      string
	chainID      uint64
	passwordFile string
	allocs       []string
	force        bool
}

func initCmd() *cobra.Command {
	var o initOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a devnet genesis and a validator key into a data directory",
		Long: `init creates <data-dir>/genesis.json and <data-dir>/validator.json (an
Ethereum Web3 Secret Storage v3 keystore). The validator is the only one and
starts with 1,000,000 ORAMA and 100 BTC; --alloc adds accounts.

The key is encrypted with the password in --password-file, or with the empty
password for a local devnet when none is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, addr, err := runInit(o)
			if err != nil {
				return err
			}
			gh, _ := g.Hash()
			fmt.Fprintf(cmd.OutOrStdout(), "validator %s\ngenesis   %v (chain id %d)\nwritten to %s\n",
				crypto.FormatAddress(addr), gh, g.ChainID, o.dataDir)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.dataDir, "data-dir", "./data", "data directory")
	cmd.Flags().Uint64Var(&o.chainID, "chain-id", DevnetChainID, "chain id signed into every transaction")
	cmd.Flags().StringVar(&o.passwordFile, "password-file", "", "file holding the keystore password (default: empty password)")
	cmd.Flags().StringArrayVar(&o.allocs, "alloc", nil, "extra genesis account ADDRESS=ORAMA[:BTC], amounts in whole units (repeatable)")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite an existing genesis and key")
	return cmd
}

func readPassword(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// runInit writes a fresh genesis and validator key.
func runInit(o initOptions) (*types.Genesis, types.Address, error) {
	gp := filepath.Join(o.dataDir, genesisFile)
	if _, err := os.Stat(gp); err == nil && !o.force {
		return nil, types.Address{}, fmt.Errorf("%s exists (use --force to overwrite)", gp)
	}
	pw, err := readPassword(o.passwordFile)
	if err != nil {
		return nil, types.Address{}, err
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, types.Address{}, err
	}
	addr := key.Address()
	g := &types.Genesis{
		ChainID:   o.chainID,
		Timestamp: uint64(time.Now().Unix()),
		Allocations: []types.GenesisAllocation{{
			Address:      addr,
			OramaBalance: 1_000_000 * params.RaysPerOrama,
			BTCBalance:   100 * params.SatsPerBTC,
		}},
		Validators: []types.Validator{{Address: addr, Stake: 1_000 * params.RaysPerOrama}},
	}
	for _, a := range o.allocs {
		alloc, err := parseAlloc(a)
		if err != nil {
			return nil, types.Address{}, err
		}
		g.Allocations = append(g.Allocations, alloc)
	}
	slices.SortFunc(g.Allocations, func(x, y types.GenesisAllocation) int { return bytes.Compare(x.Address[:], y.Address[:]) })
	if err := exec.ValidateGenesis(g); err != nil {
		return nil, types.Address{}, err
	}
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return nil, types.Address{}, err
	}
	if err := writeGenesis(gp, g); err != nil {
		return nil, types.Address{}, err
	}
	if err := writeKeystore(filepath.Join(o.dataDir, validatorFile), key, pw); err != nil {
		return nil, types.Address{}, err
	}
	return g, addr, nil
}

func parseAlloc(s string) (types.GenesisAllocation, error) {
	addrStr, amounts, ok := strings.Cut(s, "=")
	if !ok {
		return types.GenesisAllocation{}, fmt.Errorf("--alloc %q: want ADDRESS=ORAMA[:BTC]", s)
	}
	a, err := crypto.ParseAddress(addrStr)
	if err != nil {
		return types.GenesisAllocation{}, fmt.Errorf("--alloc %q: %w", s, err)
	}
	oramaStr, btcStr, _ := strings.Cut(amounts, ":")
	alloc := types.GenesisAllocation{Address: a}
	o, err := strconv.ParseUint(oramaStr, 10, 64)
	if err != nil || o > params.SupplyCapRays/params.RaysPerOrama {
		return alloc, fmt.Errorf("--alloc %q: ORAMA amount must be whole units within the supply cap", s)
	}
	alloc.OramaBalance = o * params.RaysPerOrama
	if btcStr != "" {
		b, err := strconv.ParseUint(btcStr, 10, 64)
		if err != nil || b > 21_000_000 {
			return alloc, fmt.Errorf("--alloc %q: BTC amount must be whole units up to 21,000,000", s)
		}
		alloc.BTCBalance = b * params.SatsPerBTC
	}
	return alloc, nil
}

func writeGenesis(path string, g *types.Genesis) error {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// readGenesis reads a genesis file strictly: unknown keys are errors.
func readGenesis(path string) (*types.Genesis, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var g types.Genesis
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("genesis %s: %w", path, err)
	}
	if err := exec.ValidateGenesis(&g); err != nil {
		return nil, fmt.Errorf("genesis %s: %w", path, err)
	}
	return &g, nil
}

// writeKeystore encrypts key in Ethereum's Web3 Secret Storage v3 format, so
// the same file imports into Ethereum wallets. Devnet keys use light scrypt
// parameters so that a node starts quickly.
func writeKeystore(path string, key *crypto.PrivateKey, password string) error {
	b, err := encryptKey(key, uuid.New(), password, password == "")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func readKeystore(path, password string) (*crypto.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, _, err := decryptKey(b, password)
	if err != nil {
		return nil, fmt.Errorf("keystore %s: %w", path, err)
	}
	return key, nil
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
