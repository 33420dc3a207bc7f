// Command orama is the Orama chain node and its command-line client.
//
//	orama init    write a devnet genesis and a validator key
//	orama node    run a node
//
// Run `orama help` for the full list.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "orama:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "orama",
		Short:         "Orama chain node and client",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(initCmd(), nodeCmd(), versionCmd())
	return root
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "orama", version)
			return nil
		},
	}
}

// version is set by the linker (-X main.version=...) for releases.
var version = "dev"
