package config

import (
	"time"

	"github.com/spf13/pflag"
)

// Flags are the command-line flags of a node, one per configuration key,
// plus --config naming the file. A flag given on the command line overrides
// the file; a flag left out does not, even though it has a default.
type Flags struct {
	fs    *pflag.FlagSet
	path  string
	v     Config
	binds []binding
}

type binding struct {
	name  string
	apply func(dst, src *Config)
}

// AddFlags defines the node flags on fs.
func AddFlags(fs *pflag.FlagSet) *Flags {
	d := Default()
	f := &Flags{fs: fs}
	fs.StringVar(&f.path, "config", "", "YAML config file; flags given explicitly override it")
	f.str("data-dir", &f.v.DataDir, d.DataDir, "data directory (blocks/, state/, index/, genesis.json, validator.json)",
		func(dst, src *Config) { dst.DataDir = src.DataDir })
	f.str("genesis", &f.v.Genesis, "", "genesis file (default <data-dir>/genesis.json)",
		func(dst, src *Config) { dst.Genesis = src.Genesis })
	f.str("key", &f.v.Key, "", "validator keystore (default <data-dir>/validator.json)",
		func(dst, src *Config) { dst.Key = src.Key })
	f.str("password-file", &f.v.PasswordFile, "", "file holding the keystore password (default: empty password)",
		func(dst, src *Config) { dst.PasswordFile = src.PasswordFile })
	fs.DurationVar((*time.Duration)(&f.v.BlockTime), "block-time", time.Duration(d.BlockTime), "time between blocks")
	f.bind("block-time", func(dst, src *Config) { dst.BlockTime = src.BlockTime })
	fs.DurationVar((*time.Duration)(&f.v.ViewTimeout), "view-timeout", time.Duration(d.ViewTimeout), "how long a silent leader is waited for after the block time")
	f.bind("view-timeout", func(dst, src *Config) { dst.ViewTimeout = src.ViewTimeout })
	fs.StringSliceVar(&f.v.P2P.Listen, "p2p-listen", d.P2P.Listen, "libp2p listen multiaddrs (comma-separated; none: no network)")
	f.bind("p2p-listen", func(dst, src *Config) { dst.P2P.Listen = src.P2P.Listen })
	fs.StringSliceVar(&f.v.P2P.Bootstrap, "p2p-bootstrap", d.P2P.Bootstrap, "peers to dial: multiaddrs ending in /p2p/<peer id> (comma-separated)")
	f.bind("p2p-bootstrap", func(dst, src *Config) { dst.P2P.Bootstrap = src.P2P.Bootstrap })
	fs.Uint64Var(&f.v.KeepVersions, "keep-versions", d.KeepVersions, "state versions kept readable; older state is pruned (0: keep all)")
	f.bind("keep-versions", func(dst, src *Config) { dst.KeepVersions = src.KeepVersions })
	f.str("api-listen", &f.v.API.Listen, d.API.Listen, `REST API address host:port ("" disables the API)`,
		func(dst, src *Config) { dst.API.Listen = src.API.Listen })
	fs.Int64Var(&f.v.API.MaxBodyBytes, "api-max-body-bytes", d.API.MaxBodyBytes, "largest request body the REST API reads")
	f.bind("api-max-body-bytes", func(dst, src *Config) { dst.API.MaxBodyBytes = src.API.MaxBodyBytes })
	f.str("log-level", &f.v.Log.Level, d.Log.Level, "debug, info, warn or error",
		func(dst, src *Config) { dst.Log.Level = src.Log.Level })
	f.str("log-format", &f.v.Log.Format, d.Log.Format, "json or text",
		func(dst, src *Config) { dst.Log.Format = src.Log.Format })
	return f
}

func (f *Flags) str(name string, p *string, def, usage string, apply func(dst, src *Config)) {
	f.fs.StringVar(p, name, def, usage)
	f.bind(name, apply)
}

func (f *Flags) bind(name string, apply func(dst, src *Config)) {
	f.binds = append(f.binds, binding{name, apply})
}

// Path is the --config value.
func (f *Flags) Path() string { return f.path }

// Resolve returns the configuration: the --config file when given, else
// Default(), with every flag set on the command line applied over it, and
// validated.
func (f *Flags) Resolve() (Config, error) {
	c := Default()
	if f.path != "" {
		var err error
		if c, err = Load(f.path); err != nil {
			return Config{}, err
		}
	}
	f.Apply(&c)
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Apply copies into c the value of every flag set on the command line.
func (f *Flags) Apply(c *Config) {
	for _, b := range f.binds {
		if f.fs.Changed(b.name) {
			b.apply(c, &f.v)
		}
	}
}
