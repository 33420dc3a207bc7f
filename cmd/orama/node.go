package main

import (
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/oramanetwork/orama-chain/runtime/node"
)

func nodeCmd() *cobra.Command {
	var (
		dataDir, genesisPath, keyPath, passwordFile, logLevel string
		blockTime                                             time.Duration
		keepVersions                                          uint64
	)
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run a node",
		Long: `node runs a single-validator node on an embedded BadgerDB in --data-dir,
producing a block every --block-time. On first start in an empty data
directory it runs init first (a devnet genesis and a fresh validator key).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return err
			}
			log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			if genesisPath == "" {
				genesisPath = filepath.Join(dataDir, genesisFile)
			}
			if keyPath == "" {
				keyPath = filepath.Join(dataDir, validatorFile)
			}
			ok, err := exists(genesisPath)
			if err != nil {
				return err
			}
			if !ok {
				log.Info("no genesis: initialising a devnet", "data_dir", dataDir)
				if _, _, err := runInit(initOptions{dataDir: dataDir, chainID: DevnetChainID, passwordFile: passwordFile}); err != nil {
					return err
				}
			}
			g, err := readGenesis(genesisPath)
			if err != nil {
				return err
			}
			pw, err := readPassword(passwordFile)
			if err != nil {
				return err
			}
			key, err := readKeystore(keyPath, pw)
			if err != nil {
				return err
			}
			n, err := node.New(node.Config{
				DataDir:      dataDir,
				BlockTime:    blockTime,
				KeepVersions: keepVersions,
				Logger:       log,
			}, g, key)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return n.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data-dir", "./data", "data directory (blocks/, state/, index/, genesis.json, validator.json)")
	f.StringVar(&genesisPath, "genesis", "", "genesis file (default <data-dir>/genesis.json)")
	f.StringVar(&keyPath, "key", "", "validator keystore (default <data-dir>/validator.json)")
	f.StringVar(&passwordFile, "password-file", "", "file holding the keystore password (default: empty password)")
	f.DurationVar(&blockTime, "block-time", 6*time.Second, "time between blocks")
	f.Uint64Var(&keepVersions, "keep-versions", 0, "state versions kept readable; older state is pruned (0: keep all)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}
