// Package config is the node's YAML configuration file.
//
// A file looks like this; every key is optional and unknown keys are errors:
//
//	data_dir: /var/lib/orama      # blocks/, state/, index/
//	genesis: genesis.json         # default <data_dir>/genesis.json
//	key: validator.json           # default <data_dir>/validator.json
//	password_file: password.txt   # default: the empty password
//	block_time: 6s                # a Go duration: 500ms, 6s, 1m
//	view_timeout: 4s              # a silent leader is replaced after this
//	keep_versions: 0              # 0 keeps every state version
//	api:
//	  listen: 127.0.0.1:8545      # "" disables the REST API
//	  max_body_bytes: 65536
//	p2p:
//	  listen: [/ip4/0.0.0.0/tcp/7700]   # [] runs without a network (one validator)
//	  bootstrap:                  # peers to dial, with their /p2p/<peer id>
//	    - /ip4/10.0.0.2/tcp/7700/p2p/16Uiu2HAm...
//	log:
//	  level: info                 # debug, info, warn, error
//	  format: json                # json or text
//
// Relative paths in a file are relative to the directory holding the file,
// so a file means the same thing whatever directory the node starts in.
// Command-line flags, which are relative to the working directory, override
// the file (see Flags).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults.
const (
	DefaultDataDir      = "./data"
	DefaultBlockTime    = 6 * time.Second
	DefaultViewTimeout  = 4 * time.Second
	DefaultListen       = "127.0.0.1:8545"
	DefaultMaxBodyBytes = 64 << 10 // rpc.DefaultMaxBodyBytes: room for the largest transaction
	DefaultLogLevel     = "info"
	DefaultLogFormat    = "json"
)

// maxFileSize bounds what Load reads: a config file is a few hundred bytes.
const maxFileSize = 1 << 20

// Config is the node's configuration.
type Config struct {
	DataDir      string     `yaml:"data_dir"`
	Genesis      string     `yaml:"genesis"`       // "" means <data_dir>/genesis.json
	Key          string     `yaml:"key"`           // "" means <data_dir>/validator.json
	PasswordFile string     `yaml:"password_file"` // "" means the empty password
	BlockTime    Duration   `yaml:"block_time"`
	ViewTimeout  Duration   `yaml:"view_timeout"`
	KeepVersions uint64     `yaml:"keep_versions"`
	API          API        `yaml:"api"`
	P2P          P2P        `yaml:"p2p"`
	Namespaces   Namespaces `yaml:"namespaces"`
	Log          Log        `yaml:"log"`
}

// API configures the REST server.
type API struct {
	Listen       string `yaml:"listen"` // host:port; "" disables the server
	MaxBodyBytes int64  `yaml:"max_body_bytes"`
}

// P2P configures the peer-to-peer network.
type P2P struct {
	Listen    []string `yaml:"listen"`    // libp2p multiaddrs; empty: no network
	Bootstrap []string `yaml:"bootstrap"` // multiaddrs ending in /p2p/<peer id>
}

// Log configures the node's structured log on stderr.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn or error
	Format string `yaml:"format"` // json or text
}

// Namespaces configures the namespaces a node runs (spec/namespaces.md 9).
type Namespaces struct {
	Disabled bool `yaml:"disabled"` // run no namespaces
	// Host and PortBase: where this node's namespace services listen,
	// slot s on PortBase + 5s ... + 4. Without Peers, every node of the
	// pool is at Host with PortBase + 100 x its index in the genesis
	// validator list (a devnet on one machine needs no setting).
	Host     string `yaml:"host"`
	PortBase int    `yaml:"port_base"`
	// Peers: every pool node's "host:port_base" by address (orama:... or
	// 0x...), for nodes on several machines.
	Peers map[string]string `yaml:"peers"`
	// RQLited is the rqlited binary for namespaces on several nodes; ""
	// looks for $ORAMA_RQLITED, then the engine cache `make engines` fills.
	RQLited string `yaml:"rqlited"`
	// KuboAPI is a Kubo daemon's HTTP API ("http://127.0.0.1:5001") that
	// stores namespaces' objects; "": a local CID store per namespace.
	KuboAPI string `yaml:"kubo_api"`
}

// Default namespace settings.
const (
	DefaultNamespaceHost     = "127.0.0.1"
	DefaultNamespacePortBase = 10000
)

// Default returns the configuration a node runs with when it has no file
// and no flags.
func Default() Config {
	return Config{
		DataDir:     DefaultDataDir,
		BlockTime:   Duration(DefaultBlockTime),
		ViewTimeout: Duration(DefaultViewTimeout),
		API:         API{Listen: DefaultListen, MaxBodyBytes: DefaultMaxBodyBytes},
		Namespaces:  Namespaces{Host: DefaultNamespaceHost, PortBase: DefaultNamespacePortBase},
		Log:         Log{Level: DefaultLogLevel, Format: DefaultLogFormat},
	}
}

// Load reads the file at path over Default() and validates the result.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	if len(b) > maxFileSize {
		return Config{}, fmt.Errorf("config %s: larger than %d bytes", path, maxFileSize)
	}
	c, err := Parse(b, filepath.Dir(path))
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a YAML document over Default(), strictly: an unknown key, a
// value of the wrong type or a second document is an error naming the
// line. Relative paths are joined to baseDir (the file's directory; "" leaves
// them as they are). The result is validated.
func Parse(data []byte, baseDir string) (Config, error) {
	c := Default()
	c.DataDir = "" // filled in after paths are resolved, so it stays relative to the working directory
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	switch err := dec.Decode(&c); {
	case errors.Is(err, io.EOF):
		// An empty file (or only comments): all defaults.
	case err != nil:
		return Config{}, err
	default:
		var extra yaml.Node
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			if err != nil {
				return Config{}, err
			}
			return Config{}, fmt.Errorf("line %d: a second YAML document; a config file holds one", extra.Line)
		}
	}
	if baseDir != "" {
		for _, p := range []*string{&c.DataDir, &c.Genesis, &c.Key, &c.PasswordFile} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(baseDir, *p)
			}
		}
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks values the YAML types alone do not constrain.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("data_dir: empty")
	}
	if c.BlockTime <= 0 {
		return fmt.Errorf("block_time: %v: must be positive", time.Duration(c.BlockTime))
	}
	if c.ViewTimeout <= 0 {
		return fmt.Errorf("view_timeout: %v: must be positive", time.Duration(c.ViewTimeout))
	}
	for _, a := range append(append([]string(nil), c.P2P.Listen...), c.P2P.Bootstrap...) {
		if !strings.HasPrefix(a, "/") {
			return fmt.Errorf("p2p: %q: want a multiaddr such as /ip4/127.0.0.1/tcp/7700", a)
		}
	}
	if c.API.Listen != "" {
		if _, _, err := net.SplitHostPort(c.API.Listen); err != nil {
			return fmt.Errorf("api.listen: %q: want host:port (%v)", c.API.Listen, err)
		}
	}
	if c.API.MaxBodyBytes <= 0 {
		return fmt.Errorf("api.max_body_bytes: %d: must be positive", c.API.MaxBodyBytes)
	}
	if _, err := c.Log.SlogLevel(); err != nil {
		return err
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		return fmt.Errorf("log.format: %q: want json or text", c.Log.Format)
	}
	return nil
}

// GenesisPath is Genesis, or genesis.json in DataDir when it is empty.
func (c *Config) GenesisPath() string {
	if c.Genesis != "" {
		return c.Genesis
	}
	return filepath.Join(c.DataDir, "genesis.json")
}

// KeyPath is Key, or validator.json in DataDir when it is empty.
func (c *Config) KeyPath() string {
	if c.Key != "" {
		return c.Key
	}
	return filepath.Join(c.DataDir, "validator.json")
}

// SlogLevel parses Level.
func (l Log) SlogLevel() (slog.Level, error) {
	var level slog.Level
	switch l.Level {
	case "debug", "info", "warn", "error":
		if err := level.UnmarshalText([]byte(l.Level)); err != nil {
			return 0, fmt.Errorf("log.level: %w", err)
		}
		return level, nil
	}
	return 0, fmt.Errorf("log.level: %q: want debug, info, warn or error", l.Level)
}

// Logger returns a logger writing to w in the configured level and format.
func (l Log) Logger(w io.Writer) (*slog.Logger, error) {
	level, err := l.SlogLevel()
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: level}
	switch l.Format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log.format: %q: want json or text", l.Format)
}

// Duration is a time.Duration written as a Go duration string ("6s",
// "500ms"). A bare number is an error: its unit would be a guess.
type Duration time.Duration

// UnmarshalYAML parses a duration string, naming the line on error.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 6s or 500ms", n.Line)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 6s or 500ms", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// String returns the duration string.
func (d Duration) String() string { return time.Duration(d).String() }
