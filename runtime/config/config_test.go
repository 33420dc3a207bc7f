package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

const full = `# a full file
data_dir: /var/lib/orama
genesis: /etc/orama/genesis.json
key: /etc/orama/validator.json
password_file: /etc/orama/password
block_time: 500ms
view_timeout: 2s
keep_versions: 1000
api:
  listen: 0.0.0.0:9000
  max_body_bytes: 65536
p2p:
  listen: [/ip4/0.0.0.0/tcp/7700]
  bootstrap:
    - /ip4/10.0.0.2/tcp/7700/p2p/16Uiu2HAmExample
namespaces:
  host: 10.0.0.1
  port_base: 20000
  peers:
    "0x0000000000000000000000000000000000000001": "10.0.0.2:20000"
  rqlited: /usr/local/bin/rqlited
log:
  level: debug
  format: text
`

func TestParseFull(t *testing.T) {
	c, err := Parse([]byte(full), "/ignored")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		DataDir:      "/var/lib/orama",
		Genesis:      "/etc/orama/genesis.json",
		Key:          "/etc/orama/validator.json",
		PasswordFile: "/etc/orama/password",
		BlockTime:    Duration(500 * time.Millisecond),
		ViewTimeout:  Duration(2 * time.Second),
		KeepVersions: 1000,
		API:          API{Listen: "0.0.0.0:9000", MaxBodyBytes: 65536},
		P2P:          P2P{Listen: []string{"/ip4/0.0.0.0/tcp/7700"}, Bootstrap: []string{"/ip4/10.0.0.2/tcp/7700/p2p/16Uiu2HAmExample"}},
		Namespaces: Namespaces{Host: "10.0.0.1", PortBase: 20000, RQLited: "/usr/local/bin/rqlited",
			Peers: map[string]string{"0x0000000000000000000000000000000000000001": "10.0.0.2:20000"}},
		Log: Log{Level: "debug", Format: "text"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

func TestParseEmptyIsDefault(t *testing.T) {
	for _, doc := range []string{"", "# only a comment\n", "{}\n"} {
		c, err := Parse([]byte(doc), "/etc/orama")
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Fatalf("%q: got %+v, want defaults %+v", doc, c, Default())
		}
	}
}

func TestParsePartialKeepsDefaults(t *testing.T) {
	c, err := Parse([]byte("api:\n  listen: 127.0.0.1:1234\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.API.Listen != "127.0.0.1:1234" || c.API.MaxBodyBytes != DefaultMaxBodyBytes || c.BlockTime != Duration(DefaultBlockTime) || c.Log.Format != "json" {
		t.Fatalf("got %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string // substrings of the error
	}{
		{"unknown top-level key", "data_dir: x\nblock_tme: 6s\n", []string{"line 2", "block_tme"}},
		{"unknown nested key", "api:\n  listen: 127.0.0.1:1\n  max_body: 5\n", []string{"line 3", "max_body"}},
		{"unknown log key", "log:\n  lvl: info\n", []string{"line 2", "lvl"}},
		{"bad duration", "data_dir: x\n\nblock_time: six seconds\n", []string{"line 3", "six seconds", "duration"}},
		{"duration without unit", "block_time: 6\n", []string{"line 1", "duration"}},
		{"duration as a map", "block_time: {s: 6}\n", []string{"line 1", "duration"}},
		{"zero duration", "block_time: 0s\n", []string{"block_time", "positive"}},
		{"negative duration", "block_time: -1s\n", []string{"block_time", "positive"}},
		{"wrong type", "keep_versions: many\n", []string{"line 1", "many"}},
		{"negative keep_versions", "keep_versions: -1\n", []string{"line 1"}},
		{"bad log format", "log:\n  format: xml\n", []string{"log.format", "xml"}},
		{"bad log level", "log:\n  level: loud\n", []string{"log.level", "loud"}},
		{"bad listen", "api:\n  listen: localhost\n", []string{"api.listen"}},
		{"zero body limit", "api:\n  max_body_bytes: 0\n", []string{"api.max_body_bytes"}},
		{"second document", "data_dir: a\n---\ndata_dir: b\n", []string{"line 2", "second YAML document"}},
		{"duplicate key", "data_dir: a\ndata_dir: b\n", []string{"line 2", "data_dir"}},
		{"not a mapping", "- a\n- b\n", []string{"line 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "")
			if err == nil {
				t.Fatalf("accepted %q", tc.doc)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadResolvesPathsAgainstFileDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "node.yaml")
	doc := "data_dir: chain\ngenesis: ../genesis.json\nkey: /abs/key.json\npassword_file: pw\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != filepath.Join(dir, "chain") || c.Genesis != filepath.Join(filepath.Dir(dir), "genesis.json") ||
		c.Key != "/abs/key.json" || c.PasswordFile != filepath.Join(dir, "pw") {
		t.Fatalf("got %+v", c)
	}
	if c.GenesisPath() != c.Genesis || c.KeyPath() != "/abs/key.json" {
		t.Fatal("explicit paths not used")
	}
	d := Default()
	if d.GenesisPath() != filepath.Join(DefaultDataDir, "genesis.json") || d.KeyPath() != filepath.Join(DefaultDataDir, "validator.json") {
		t.Fatalf("default paths %q %q", d.GenesisPath(), d.KeyPath())
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "node.yaml")
	if err := os.WriteFile(path, []byte("datadir: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("got %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func parseFlags(t *testing.T, args ...string) *Flags {
	t.Helper()
	fs := pflag.NewFlagSet("node", pflag.ContinueOnError)
	f := AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFlagsOverrideFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "node.yaml")
	if err := os.WriteFile(path, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	f := parseFlags(t, "--config", path, "--block-time", "2s", "--api-listen", "127.0.0.1:7000", "--log-format=json", "--data-dir", "rel")
	c, err := f.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	// Flags given win, relative to the working directory.
	if c.BlockTime != Duration(2*time.Second) || c.API.Listen != "127.0.0.1:7000" || c.Log.Format != "json" || c.DataDir != "rel" {
		t.Fatalf("flags not applied: %+v", c)
	}
	// Flags not given leave the file's values, even where the file differs
	// from the flag defaults.
	if c.Log.Level != "debug" || c.KeepVersions != 1000 || c.API.MaxBodyBytes != 65536 || c.Genesis != "/etc/orama/genesis.json" {
		t.Fatalf("file values lost: %+v", c)
	}
}

func TestFlagsWithoutFile(t *testing.T) {
	c, err := parseFlags(t).Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("got %+v, want defaults", c)
	}
	c, err = parseFlags(t, "--keep-versions", "5", "--api-max-body-bytes", "10", "--log-level", "warn", "--api-listen", "").Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if c.KeepVersions != 5 || c.API.MaxBodyBytes != 10 || c.Log.Level != "warn" || c.API.Listen != "" {
		t.Fatalf("got %+v", c)
	}
}

func TestFlagsValidated(t *testing.T) {
	if _, err := parseFlags(t, "--log-format", "xml").Resolve(); err == nil {
		t.Fatal("bad --log-format accepted")
	}
	if _, err := parseFlags(t, "--block-time", "0s").Resolve(); err == nil {
		t.Fatal("zero --block-time accepted")
	}
	fs := pflag.NewFlagSet("node", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse([]string{"--block-time", "6"}); err == nil {
		t.Fatal("--block-time without a unit accepted")
	}
}

func TestLogger(t *testing.T) {
	var sb strings.Builder
	log, err := Log{Level: "warn", Format: "text"}.Logger(&sb)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", "k", 1)
	if out := sb.String(); strings.Contains(out, "hidden") || !strings.Contains(out, "msg=shown k=1") {
		t.Fatalf("text log %q", out)
	}
	sb.Reset()
	log, _ = Log{Level: "info", Format: "json"}.Logger(&sb)
	log.Info("x")
	if !strings.HasPrefix(sb.String(), "{") {
		t.Fatalf("json log %q", sb.String())
	}
}
