package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// A keystore directory holds one Web3 Secret Storage v3 file per key, as
// geth's keystore does, so keys move between orama and Ethereum wallets.
// orama writes files named like geth's, UTC--<ISO time>--<hex address>;
// it reads every file in the directory that is a v3 keystore, whatever its
// name (<address>.json is common). Keys are listed, and numbered from 0 for
// --from, in file-name order, which for geth names is creation order.

// maxKeyFileSize bounds what is read of a file: v3 files are about 500 bytes.
const maxKeyFileSize = 64 << 10

// keyOptions are the flags of the commands that use the keystore.
type keyOptions struct {
	dir          string
	passwordFile string
	lightKDF     bool
}

func (o *keyOptions) addDirFlag(cmd *cobra.Command, a *app, persistent bool) {
	f := cmd.Flags()
	if persistent {
		f = cmd.PersistentFlags()
	}
	f.StringVar(&o.dir, "keystore", a.defaultKeystore(), "keystore directory (env ORAMA_KEYSTORE)")
}

func (o *keyOptions) addPasswordFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.passwordFile, "password-file", "",
		"file holding the keystore password, a trailing newline ignored (default: prompt when stdin is a terminal)")
}

func (o *keyOptions) addLightKDFFlag(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.lightKDF, "light-kdf", false,
		"encrypt with geth's light scrypt parameters: much faster and much weaker; for test keys only")
}

// storedKey is one key file in a keystore directory.
type storedKey struct {
	Index   int
	Address types.Address
	File    string
}

func (k storedKey) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Index   int    `json:"index"`
		Address string `json:"address"`
		File    string `json:"file"`
	}{k.Index, crypto.FormatAddress(k.Address), k.File})
}

// v3Header is the part of a v3 keystore file that identifies it.
type v3Header struct {
	Address string          `json:"address"`
	Crypto  json.RawMessage `json:"crypto"`
	Version int             `json:"version"`
}

// readV3Address returns the address a v3 keystore file declares.
func readV3Address(b []byte) (types.Address, error) {
	var h v3Header
	if err := json.Unmarshal(b, &h); err != nil {
		return types.Address{}, fmt.Errorf("not a v3 keystore: %w", err)
	}
	if h.Version != 3 || len(h.Crypto) == 0 {
		return types.Address{}, errors.New("not a v3 keystore: want version 3 and a crypto section")
	}
	a, err := crypto.ParseAddress(h.Address)
	if err != nil {
		return types.Address{}, fmt.Errorf("v3 keystore address: %w", err)
	}
	return a, nil
}

// listKeys returns the keys in dir in file-name order. A missing directory
// holds no keys. Files that are not v3 keystores are skipped, as geth does.
func listKeys(dir string) ([]storedKey, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var keys []storedKey
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		path := filepath.Join(dir, name)
		b, err := readLimited(path, maxKeyFileSize)
		if err != nil {
			continue
		}
		addr, err := readV3Address(b)
		if err != nil {
			continue
		}
		keys = append(keys, storedKey{Index: len(keys), Address: addr, File: path})
	}
	return keys, nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, nil
}

// keyFileName is geth's name for a new key file.
func keyFileName(addr types.Address, t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("UTC--%04d-%02d-%02dT%02d-%02d-%02d.%09dZ--%s",
		t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), hex.EncodeToString(addr[:]))
}

// encryptKey returns key as a v3 keystore JSON document.
func encryptKey(key *crypto.PrivateKey, id uuid.UUID, password string, light bool) ([]byte, error) {
	n, p := keystore.StandardScryptN, keystore.StandardScryptP
	if light {
		n, p = keystore.LightScryptN, keystore.LightScryptP
	}
	b, err := keystore.EncryptKey(&keystore.Key{Id: id, Address: key.Address(), PrivateKey: key.ECDSA()}, password, n, p)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	return b, nil
}

// decryptKey decrypts a v3 keystore JSON document.
func decryptKey(b []byte, password string) (*crypto.PrivateKey, uuid.UUID, error) {
	k, err := keystore.DecryptKey(b, password)
	if err != nil {
		if errors.Is(err, keystore.ErrDecrypt) {
			return nil, uuid.UUID{}, errors.New("wrong password (could not decrypt the key)")
		}
		return nil, uuid.UUID{}, err
	}
	key, err := crypto.PrivateKeyFromBytes(k.PrivateKey.D.FillBytes(make([]byte, 32)))
	if err != nil {
		return nil, uuid.UUID{}, err
	}
	return key, k.Id, nil
}

// storeKey writes key into dir under a new geth-style name, refusing an
// address already there.
func (a *app) storeKey(dir string, key *crypto.PrivateKey, id uuid.UUID, password string, light bool) (string, error) {
	addr := key.Address()
	keys, err := listKeys(dir)
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		if k.Address == addr {
			return "", fmt.Errorf("the keystore already holds %s in %s", crypto.FormatAddress(addr), k.File)
		}
	}
	b, err := encryptKey(key, id, password, light)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("keystore: %w", err)
	}
	path := filepath.Join(dir, keyFileName(addr, a.now()))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("keystore: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("keystore: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("keystore: %w", err)
	}
	return path, nil
}

// password returns the password from --password-file, or prompts for it on
// the terminal; confirm asks twice, for a new password.
func (a *app) password(o *keyOptions, prompt string, confirm bool) (string, error) {
	if o.passwordFile != "" {
		return readPassword(o.passwordFile)
	}
	if !a.isTerminal() {
		return "", usagef("no --password-file given and stdin is not a terminal to prompt on")
	}
	fmt.Fprint(a.stderr, prompt+": ")
	pw, err := a.readPassword()
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("reading password: %w", err)
	}
	if confirm {
		fmt.Fprint(a.stderr, "Repeat password: ")
		again, err := a.readPassword()
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("reading password: %w", err)
		}
		if again != pw {
			return "", errors.New("the passwords do not match")
		}
		if pw == "" {
			fmt.Fprintln(a.stderr, "warning: the empty password leaves the key unprotected")
		}
	}
	return pw, nil
}

// selectKey finds the key --from names: an index from `keys list`, an
// address in any form, or @username (resolved by the node). Empty selects
// the only key.
func (a *app) selectKey(cmd *cobra.Command, dir, from string) (storedKey, error) {
	keys, err := listKeys(dir)
	if err != nil {
		return storedKey{}, err
	}
	if len(keys) == 0 {
		return storedKey{}, fmt.Errorf("no keys in %s (create one with `orama keys new` or add one with `orama keys import`)", dir)
	}
	switch {
	case from == "":
		if len(keys) > 1 {
			return storedKey{}, usagef("%s holds %d keys: choose one with --from (an index from `orama keys list`, an address or @username)", dir, len(keys))
		}
		return keys[0], nil
	case len(from) < 10 && allDigits(from):
		i, err := strconv.Atoi(from)
		if err != nil || i >= len(keys) {
			return storedKey{}, usagef("--from %s: no such key; %s holds keys 0 to %d", from, dir, len(keys)-1)
		}
		return keys[i], nil
	}
	var addr types.Address
	if strings.HasPrefix(from, "@") {
		ref, err := crypto.ParseAccountRef(from)
		if err != nil {
			return storedKey{}, usagef("--from %s: %v", from, err)
		}
		c, err := a.client()
		if err != nil {
			return storedKey{}, err
		}
		if addr, err = c.resolve(cmd.Context(), ref); err != nil {
			return storedKey{}, err
		}
	} else if addr, err = crypto.ParseAddress(from); err != nil {
		return storedKey{}, usagef("--from %q: want an index, an address or @username: %v", from, err)
	}
	for _, k := range keys {
		if k.Address == addr {
			return k, nil
		}
	}
	return storedKey{}, fmt.Errorf("--from %s: no key for %s in %s", from, crypto.FormatAddress(addr), dir)
}

// unlock selects and decrypts the --from key.
func (a *app) unlock(cmd *cobra.Command, o *keyOptions, from string) (*crypto.PrivateKey, storedKey, error) {
	k, err := a.selectKey(cmd, o.dir, from)
	if err != nil {
		return nil, k, err
	}
	b, err := readLimited(k.File, maxKeyFileSize)
	if err != nil {
		return nil, k, err
	}
	pw, err := a.password(o, "Password for "+crypto.FormatAddress(k.Address), false)
	if err != nil {
		return nil, k, err
	}
	key, _, err := decryptKey(b, pw)
	if err != nil {
		return nil, k, fmt.Errorf("%s: %w", k.File, err)
	}
	if key.Address() != k.Address {
		return nil, k, fmt.Errorf("%s: the file says %s but holds the key of %s",
			k.File, crypto.FormatAddress(k.Address), crypto.FormatAddress(key.Address()))
	}
	return key, k, nil
}

// parseHexKey parses a raw secp256k1 private key: 64 hex digits, optionally
// with 0x, surrounded by optional whitespace.
func parseHexKey(b []byte) (*crypto.PrivateKey, error) {
	s := strings.TrimSpace(string(b))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s) != 64 {
		return nil, errors.New("want a v3 keystore JSON file or a private key of 64 hex digits")
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("the private key is not hex")
	}
	key, err := crypto.PrivateKeyFromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("not a valid secp256k1 private key: %w", err)
	}
	return key, nil
}

func keysCmd(a *app) *cobra.Command {
	var o keyOptions
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the keys in a keystore directory",
		Long: `keys manages a directory of Ethereum Web3 Secret Storage v3 keystore files
(--keystore, env ORAMA_KEYSTORE, default ~/.orama/keystore), the format of
geth and most Ethereum wallets, so keys move both ways between them and orama.

Passwords come from --password-file (the whole file but a trailing newline,
as for 'orama node') or are prompted for without echo when stdin is a
terminal.`,
		RunE: groupCmd,
	}
	o.addDirFlag(cmd, a, true)
	cmd.AddCommand(keysNewCmd(a, &o), keysImportCmd(a, &o), keysExportCmd(a, &o), keysListCmd(a, &o))
	return cmd
}

func (a *app) printKey(k storedKey) error {
	if a.jsonOut {
		return a.printJSON(struct {
			Address string `json:"address"`
			File    string `json:"file"`
		}{crypto.FormatAddress(k.Address), k.File})
	}
	fmt.Fprintf(a.stdout, "address  %s\nfile     %s\n", crypto.FormatAddress(k.Address), k.File)
	return nil
}

func keysNewCmd(a *app, o *keyOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "new",
		Short: "Create a key",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := a.password(o, "Password for the new key", true)
			if err != nil {
				return err
			}
			key, err := crypto.GenerateKey()
			if err != nil {
				return err
			}
			path, err := a.storeKey(o.dir, key, uuid.New(), pw, o.lightKDF)
			if err != nil {
				return err
			}
			if !a.jsonOut {
				fmt.Fprintln(a.stderr, "Keep the password: without it the key cannot be recovered. Back up the file.")
			}
			return a.printKey(storedKey{Address: key.Address(), File: path})
		},
	}
	o.addPasswordFlag(cmd)
	o.addLightKDFFlag(cmd)
	return cmd
}

func keysImportCmd(a *app, o *keyOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Add a private key (hex) or a v3 keystore file to the keystore",
		Long: `import adds a key from FILE ("-" for stdin), which holds either

  - a private key: 64 hex digits, with or without 0x, or
  - a v3 keystore JSON file, such as geth or an Ethereum wallet writes.

The key is stored encrypted with the password (--password-file or a prompt).
A keystore file must decrypt with that same password; it is stored
re-encrypted under it, with the same key id.`,
		Args: oneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			var b []byte
			var err error
			if args[0] == "-" {
				b, err = io.ReadAll(io.LimitReader(a.stdin, maxKeyFileSize+1))
				if err == nil && len(b) > maxKeyFileSize {
					err = errors.New("stdin: too large for a key")
				}
			} else {
				b, err = readLimited(args[0], maxKeyFileSize)
			}
			if err != nil {
				return err
			}
			var key *crypto.PrivateKey
			id := uuid.New()
			if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
				if _, err := readV3Address(t); err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				pw, err := a.password(o, "Password of the keystore file", false)
				if err != nil {
					return err
				}
				if key, id, err = decryptKey(t, pw); err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				path, err := a.storeKey(o.dir, key, id, pw, o.lightKDF)
				if err != nil {
					return err
				}
				return a.printKey(storedKey{Address: key.Address(), File: path})
			}
			if key, err = parseHexKey(b); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			pw, err := a.password(o, "Password for the imported key", true)
			if err != nil {
				return err
			}
			path, err := a.storeKey(o.dir, key, id, pw, o.lightKDF)
			if err != nil {
				return err
			}
			return a.printKey(storedKey{Address: key.Address(), File: path})
		},
	}
	o.addPasswordFlag(cmd)
	o.addLightKDFFlag(cmd)
	return cmd
}

func keysExportCmd(a *app, o *keyOptions) *cobra.Command {
	var from string
	var privateKey, understand bool
	cmd := &cobra.Command{
		Use:   "export [KEY]",
		Short: "Print a key's v3 keystore JSON, or its private key",
		Long: `export prints the v3 keystore JSON of KEY (or --from): an index from
'orama keys list', an address or @username. It is encrypted, and imports
into geth and Ethereum wallets.

--private-key prints the unencrypted private key as 64 hex digits instead,
the form wallets import ("geth account import" takes it as is). Anyone who
sees it controls the account, so it needs --i-understand as well, and the
password.`,
		Args: maxOneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if from != "" && from != args[0] {
					return usagef("give the key as an argument or with --from, not both")
				}
				from = args[0]
			}
			if !privateKey {
				if understand {
					return usagef("--i-understand goes with --private-key")
				}
				k, err := a.selectKey(cmd, o.dir, from)
				if err != nil {
					return err
				}
				b, err := readLimited(k.File, maxKeyFileSize)
				if err != nil {
					return err
				}
				if a.jsonOut {
					var v any
					if err := json.Unmarshal(b, &v); err != nil {
						return fmt.Errorf("%s: %w", k.File, err)
					}
					return a.printJSON(v)
				}
				_, err = a.stdout.Write(append(bytes.TrimSpace(b), '\n'))
				return err
			}
			if !understand {
				return usagef("--private-key prints the unencrypted key: anyone who sees it controls the account. Add --i-understand to go ahead")
			}
			key, k, err := a.unlock(cmd, o, from)
			if err != nil {
				return err
			}
			raw := key.Bytes()
			hexKey := hex.EncodeToString(raw[:])
			if a.jsonOut {
				return a.printJSON(struct {
					Address    string `json:"address"`
					PrivateKey string `json:"private_key"`
				}{crypto.FormatAddress(k.Address), hexKey})
			}
			fmt.Fprintln(a.stdout, hexKey)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the key: index, address or @username (default: the only key)")
	cmd.Flags().BoolVar(&privateKey, "private-key", false, "print the unencrypted private key (hex) instead of the keystore JSON")
	cmd.Flags().BoolVar(&understand, "i-understand", false, "confirm printing the unencrypted private key")
	o.addPasswordFlag(cmd)
	return cmd
}

func keysListCmd(a *app, o *keyOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the keys: index, address and file",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keys, err := listKeys(o.dir)
			if err != nil {
				return err
			}
			if a.jsonOut {
				if keys == nil {
					keys = []storedKey{}
				}
				return a.printJSON(struct {
					Keystore string      `json:"keystore"`
					Keys     []storedKey `json:"keys"`
				}{o.dir, keys})
			}
			if len(keys) == 0 {
				fmt.Fprintf(a.stdout, "no keys in %s\n", o.dir)
				return nil
			}
			for _, k := range keys {
				fmt.Fprintf(a.stdout, "#%d  %s  %s\n", k.Index, crypto.FormatAddress(k.Address), k.File)
			}
			return nil
		},
	}
}
