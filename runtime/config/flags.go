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
	f := &Flags{fs: fs}
	fs.StringVar(&f.path, "config", "", "YAML config file; flags given explicitly override it")
	addFlag(f, fs.StringVar, "data-dir", func(c *Config) *string { return &c.DataDir },
		"data directory (blocks/, state/, index/, genesis.json, validator.json)")
	addFlag(f, fs.StringVar, "genesis", func(c *Config) *string { return &c.Genesis },
		"genesis file (default <data-dir>/genesis.json)")
	addFlag(f, fs.StringVar, "key", func(c *Config) *string { return &c.Key },
		"validator keystore (default <data-dir>/validator.json)")
	addFlag(f, fs.StringVar, "password-file", func(c *Config) *string { return &c.PasswordFile },
		"file holding the keystore password (default: empty password)")
	addFlag(f, fs.DurationVar, "block-time", func(c *Config) *time.Duration { return (*time.Duration)(&c.BlockTime) },
		"time between blocks")
	addFlag(f, fs.DurationVar, "view-timeout", func(c *Config) *time.Duration { return (*time.Duration)(&c.ViewTimeout) },
		"how long a silent leader is waited for after the block time")
	addFlag(f, fs.StringSliceVar, "p2p-listen", func(c *Config) *[]string { return &c.P2P.Listen },
		"libp2p listen multiaddrs (comma-separated; none: no network)")
	addFlag(f, fs.StringSliceVar, "p2p-bootstrap", func(c *Config) *[]string { return &c.P2P.Bootstrap },
		"peers to dial: multiaddrs ending in /p2p/<peer id> (comma-separated)")
	addFlag(f, fs.Uint64Var, "keep-versions", func(c *Config) *uint64 { return &c.KeepVersions },
		"state versions kept readable; older state is pruned (0: keep all)")
	addFlag(f, fs.StringVar, "api-listen", func(c *Config) *string { return &c.API.Listen },
		`REST API address host:port ("" disables the API)`)
	addFlag(f, fs.Int64Var, "api-max-body-bytes", func(c *Config) *int64 { return &c.API.MaxBodyBytes },
		"largest request body the REST API reads")
	addFlag(f, fs.StringVar, "log-level", func(c *Config) *string { return &c.Log.Level },
		"debug, info, warn or error")
	addFlag(f, fs.StringVar, "log-format", func(c *Config) *string { return &c.Log.Format },
		"json or text")
	return f
}

// addFlag defines flag name with define (fs.StringVar, fs.DurationVar, ...)
// on the field of f.v that field selects, with that field of Default() as
// its default, and binds it so that Apply copies the field.
func addFlag[T any](f *Flags, define func(p *T, name string, value T, usage string), name string, field func(*Config) *T, usage string) {
	d := Default()
	define(field(&f.v), name, *field(&d), usage)
	f.binds = append(f.binds, binding{name, func(dst, src *Config) { *field(dst) = *field(src) }})
}

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
