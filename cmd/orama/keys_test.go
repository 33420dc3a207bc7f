package main

import (
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

type keyOut struct {
	Address string `json:"address"`
	File    string `json:"file"`
}

type keyList struct {
	Keystore string `json:"keystore"`
	Keys     []struct {
		Index   int    `json:"index"`
		Address string `json:"address"`
		File    string `json:"file"`
	} `json:"keys"`
}

var gethName = regexp.MustCompile(`^UTC--\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{9}Z--[0-9a-f]{40}$`)

// TestKeysNewDecryptsWithGeth creates a key with the standard (slow) scrypt
// parameters and decrypts it with go-ethereum's keystore package.
func TestKeysNewDecryptsWithGeth(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	dir := t.TempDir()
	ks := filepath.Join(dir, "ks")
	pw := writeFile(t, dir, "pw", "correct horse\n")
	r := c.ok("keys", "new", "--keystore", ks, "--password-file", pw, "--json")
	var out keyOut
	decodeJSON(t, r.stdout, &out)
	if filepath.Dir(out.File) != ks || !gethName.MatchString(filepath.Base(out.File)) {
		t.Fatalf("file %s: want a geth-style name in %s", out.File, ks)
	}
	st, err := os.Stat(out.File)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	b, err := os.ReadFile(out.File)
	if err != nil {
		t.Fatal(err)
	}
	k, err := keystore.DecryptKey(b, "correct horse") // the trailing newline is not part of the password
	if err != nil {
		t.Fatal(err)
	}
	if got := crypto.FormatAddress(k.Address); got != out.Address {
		t.Fatalf("geth decrypts address %s, keys new printed %s", got, out.Address)
	}
	if gethcrypto.PubkeyToAddress(k.PrivateKey.PublicKey) != k.Address {
		t.Fatal("the key does not match its address")
	}
	if !strings.HasSuffix(out.File, strings.ToLower(out.Address[len("orama:"):])) {
		t.Errorf("file name %s does not end in the address", out.File)
	}
	// Human output names the address and the file.
	r = c.ok("keys", "list", "--keystore", ks)
	if !strings.Contains(r.stdout, "#0  "+out.Address) || !strings.Contains(r.stdout, out.File) {
		t.Fatalf("keys list: %s", r.stdout)
	}
}

func TestKeysImportHexExportRoundTrip(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	dir := t.TempDir()
	ks := filepath.Join(dir, "ks")
	pw := writeFile(t, dir, "pw", "pw1")
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	raw := key.Bytes()
	hexKey := hex.EncodeToString(raw[:])
	for i, form := range []string{hexKey + "\n", "0x" + strings.ToUpper(hexKey), "  " + hexKey + "  \r\n"} {
		ks := filepath.Join(dir, "ks"+string(rune('a'+i)))
		kf := writeFile(t, dir, "key.hex", form)
		r := c.ok("keys", "import", kf, "--keystore", ks, "--password-file", pw, "--light-kdf", "--json")
		var out keyOut
		decodeJSON(t, r.stdout, &out)
		if out.Address != crypto.FormatAddress(key.Address()) {
			t.Fatalf("form %d: imported %s, want %s", i, out.Address, crypto.FormatAddress(key.Address()))
		}
		r = c.ok("keys", "export", "--keystore", ks, "--password-file", pw, "--private-key", "--i-understand")
		if r.stdout != hexKey+"\n" {
			t.Fatalf("form %d: export printed %q, want %q", i, r.stdout, hexKey)
		}
	}

	// The main keystore: import from stdin, then export in every form.
	c.stdin = hexKey
	c.ok("keys", "import", "-", "--keystore", ks, "--password-file", pw, "--light-kdf")
	c.stdin = ""
	addr := crypto.FormatAddress(key.Address())

	r := c.ok("keys", "export", addr, "--keystore", ks, "--password-file", pw, "--private-key", "--i-understand", "--json")
	var pk struct {
		Address    string `json:"address"`
		PrivateKey string `json:"private_key"`
	}
	decodeJSON(t, r.stdout, &pk)
	if pk.Address != addr || pk.PrivateKey != hexKey {
		t.Fatalf("export --json: %+v", pk)
	}

	// Without --private-key: the keystore JSON, which geth decrypts.
	r = c.ok("keys", "export", "--from", "0", "--keystore", ks)
	k, err := keystore.DecryptKey([]byte(r.stdout), "pw1")
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(gethcrypto.FromECDSA(k.PrivateKey)) != hexKey {
		t.Fatal("exported keystore holds another key")
	}

	// The exported keystore imports into another keystore, keeping its id.
	exported := writeFile(t, dir, "exported.json", r.stdout)
	ks2 := filepath.Join(dir, "ks2")
	r = c.ok("keys", "import", exported, "--keystore", ks2, "--password-file", pw, "--light-kdf", "--json")
	var out keyOut
	decodeJSON(t, r.stdout, &out)
	if out.Address != addr {
		t.Fatalf("re-import gave %s", out.Address)
	}
	b, _ := os.ReadFile(out.File)
	k2, err := keystore.DecryptKey(b, "pw1")
	if err != nil || k2.Id != k.Id {
		t.Fatalf("re-imported key: %v, id %v want %v", err, k2.Id, k.Id)
	}

	// A second import of the same key is refused.
	c.stdin = hexKey
	c.fails(1, []string{"keys", "import", "-", "--keystore", ks, "--password-file", pw, "--light-kdf"}, "already holds "+addr)
	c.stdin = ""
}

func TestKeysImportGethKeystore(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	dir := t.TempDir()
	// A key geth's own keystore wrote, in its directory layout.
	gethDir := filepath.Join(dir, "geth")
	gks := keystore.NewKeyStore(gethDir, keystore.LightScryptN, keystore.LightScryptP)
	acct, err := gks.NewAccount("gethpw")
	if err != nil {
		t.Fatal(err)
	}
	want := crypto.FormatAddress(acct.Address)

	// orama reads geth's keystore directory as it is.
	r := c.ok("keys", "list", "--keystore", gethDir, "--json")
	var l keyList
	decodeJSON(t, r.stdout, &l)
	if len(l.Keys) != 1 || l.Keys[0].Address != want || l.Keys[0].File != acct.URL.Path {
		t.Fatalf("keys list of geth's keystore: %+v", l)
	}

	// And imports the file, with its password.
	pw := writeFile(t, dir, "pw", "gethpw")
	ks := filepath.Join(dir, "ks")
	r = c.ok("keys", "import", acct.URL.Path, "--keystore", ks, "--password-file", pw, "--light-kdf", "--json")
	var out keyOut
	decodeJSON(t, r.stdout, &out)
	if out.Address != want {
		t.Fatalf("imported %s, want %s", out.Address, want)
	}
	bad := writeFile(t, dir, "bad", "wrong")
	c.fails(1, []string{"keys", "import", acct.URL.Path, "--keystore", filepath.Join(dir, "ks3"), "--password-file", bad, "--light-kdf"}, "wrong password")
}

func TestKeysListAndSelect(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	dir := t.TempDir()
	ks := filepath.Join(dir, "ks")
	pw := writeFile(t, dir, "pw", "x")

	// An empty or missing keystore lists nothing.
	r := c.ok("keys", "list", "--keystore", ks, "--json")
	var l keyList
	decodeJSON(t, r.stdout, &l)
	if l.Keystore != ks || l.Keys == nil || len(l.Keys) != 0 {
		t.Fatalf("empty list: %s", r.stdout)
	}
	if r := c.ok("keys", "list", "--keystore", ks); !strings.Contains(r.stdout, "no keys") {
		t.Fatalf("empty list: %s", r.stdout)
	}
	c.fails(1, []string{"keys", "export", "--keystore", ks}, "no keys in")

	var addrs []string
	for range 2 {
		r := c.ok("keys", "new", "--keystore", ks, "--password-file", pw, "--light-kdf", "--json")
		var out keyOut
		decodeJSON(t, r.stdout, &out)
		addrs = append(addrs, out.Address)
	}
	// A third key in a file named <address>.json, as some tools write.
	key, _ := crypto.GenerateKey()
	b, err := encryptKey(key, [16]byte{1}, "x", true)
	if err != nil {
		t.Fatal(err)
	}
	named := hex.EncodeToString(func() []byte { a := key.Address(); return a[:] }()) + ".json"
	writeFile(t, ks, named, string(b))
	// Files that are not keystores are skipped.
	writeFile(t, ks, "README", "not a key")
	writeFile(t, ks, "zz.json", `{"version": 3, "address": "zz"}`)
	writeFile(t, ks, ".hidden", string(b))
	if err := os.Mkdir(filepath.Join(ks, "subdir"), 0o700); err != nil {
		t.Fatal(err)
	}

	r = c.ok("keys", "list", "--keystore", ks, "--json")
	decodeJSON(t, r.stdout, &l)
	if len(l.Keys) != 3 {
		t.Fatalf("want 3 keys, got %s", r.stdout)
	}
	// Listed in file-name order, numbered from 0.
	byName := map[string]string{named: crypto.FormatAddress(key.Address())}
	for _, a := range addrs {
		for _, k := range l.Keys {
			if k.Address == a {
				byName[filepath.Base(k.File)] = a
			}
		}
	}
	names := slices.Sorted(maps.Keys(byName))
	if len(names) != 3 {
		t.Fatalf("keys: %s", r.stdout)
	}
	var want []string
	for i, n := range names {
		want = append(want, byName[n])
		if k := l.Keys[i]; k.Index != i || k.Address != byName[n] || filepath.Base(k.File) != n {
			t.Fatalf("key %d: %+v, want %s in %s", i, k, byName[n], n)
		}
	}

	// ORAMA_KEYSTORE is the default directory.
	c.env["ORAMA_KEYSTORE"] = ks
	r = c.ok("keys", "list")
	if strings.Count(r.stdout, "orama:") != 3 {
		t.Fatalf("ORAMA_KEYSTORE not used: %s", r.stdout)
	}

	// Selection by index and by address in its several forms.
	for sel, addr := range map[string]string{
		"0": want[0], "2": want[2],
		want[1]: want[1], "0x" + want[1][len("orama:"):]: want[1], strings.ToLower(want[2][len("orama:"):]): want[2],
	} {
		r := c.ok("keys", "export", "--from", sel, "--json")
		var v struct {
			Address string `json:"address"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Fatal(err)
		}
		if crypto.FormatAddress(mustParse(t, v.Address)) != addr {
			t.Errorf("--from %s selected %s, want %s", sel, v.Address, addr)
		}
	}
	c.fails(exitUsage, []string{"keys", "export"}, "holds 3 keys", "--from")
	c.fails(exitUsage, []string{"keys", "export", "--from", "3"}, "no such key")
	c.fails(exitUsage, []string{"keys", "export", "--from", "nonsense"}, "want an index")
	c.fails(exitFailure, []string{"keys", "export", "--from", "0x" + strings.Repeat("1", 40)}, "no key for")
	c.fails(exitUsage, []string{"keys", "export", "0", "--from", "1"}, "not both")
}

func mustParse(t *testing.T, s string) [20]byte {
	t.Helper()
	a, err := crypto.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestKeysPasswords(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	dir := t.TempDir()
	ks := filepath.Join(dir, "ks")

	// No password file and no terminal: a usage error, before any key is made.
	c.fails(exitUsage, []string{"keys", "new", "--keystore", ks}, "--password-file", "not a terminal")
	if _, err := os.Stat(ks); !os.IsNotExist(err) {
		t.Fatal("a keystore was created without a password")
	}

	// On a terminal: asked twice; a mismatch fails.
	c.passwords = []string{"one", "two"}
	c.fails(exitFailure, []string{"keys", "new", "--keystore", ks, "--light-kdf"}, "do not match")

	c.passwords = []string{"same", "same"}
	r := c.ok("keys", "new", "--keystore", ks, "--light-kdf", "--json")
	if !strings.Contains(r.stderr, "Password for the new key: ") || !strings.Contains(r.stderr, "Repeat password: ") {
		t.Fatalf("prompts: %q", r.stderr)
	}
	var out keyOut
	decodeJSON(t, r.stdout, &out)
	b, _ := os.ReadFile(out.File)
	if _, err := keystore.DecryptKey(b, "same"); err != nil {
		t.Fatal(err)
	}

	// Unlocking asks once, and a wrong password fails.
	c.passwords = []string{"wrong"}
	c.fails(exitFailure, []string{"keys", "export", "--keystore", ks, "--private-key", "--i-understand"}, "wrong password")
	c.passwords = []string{"same"}
	r = c.ok("keys", "export", "--keystore", ks, "--private-key", "--i-understand")
	if len(strings.TrimSpace(r.stdout)) != 64 {
		t.Fatalf("export: %q", r.stdout)
	}
	c.passwords = nil

	// --private-key needs --i-understand, and --i-understand --private-key.
	c.fails(exitUsage, []string{"keys", "export", "--keystore", ks, "--private-key"}, "--i-understand")
	c.fails(exitUsage, []string{"keys", "export", "--keystore", ks, "--i-understand"}, "--private-key")

	// Bad import input: each fails naming the file and why.
	for name, tc := range map[string]struct{ content, why string }{
		"short":   {"abcd", "private key of 64 hex digits"},
		"nothex":  {strings.Repeat("zz", 32), "the private key is not hex"},
		"zero":    {strings.Repeat("00", 32), "not a valid secp256k1 private key"},
		"notjson": {"{not json", "not a v3 keystore"},
	} {
		f := writeFile(t, dir, name, tc.content)
		c.fails(exitFailure, []string{"keys", "import", f, "--keystore", ks, "--password-file", f}, f+": ", tc.why)
	}
}
