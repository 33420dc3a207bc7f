// Package contracts builds the example contracts from their sources: the
// AssemblyScript ones in as/ (counter, token, guestbook, hasher) with the
// compiler pinned in as/package-lock.json, the Go one in go/notary with the
// Go toolchain for GOOS=wasip1. Its tests run every example end to end
// through runtime/vm, generated/host and runtime/host; tools/wasmbench uses
// Build for the benchmarks against other VMs.
//
// Builds are cached by the hash of everything that goes into them (sources,
// the guest libraries, lock files, compiler versions): the AssemblyScript
// compiler takes seconds to load and optimise, a Go wasip1 link about as
// long, and most test runs change neither.
package contracts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// AS and Go name the example contracts of each language; Build returns a
// module for each.
var (
	AS = []string{"counter", "token", "guestbook", "hasher", "sqlprobe"}
	Go = []string{"notary"}
)

// CacheEnv names the environment variable that overrides the build cache's
// directory (by default orama-contracts under the user's cache directory).
const CacheEnv = "ORAMA_CONTRACTS_CACHE"

// Build compiles every example contract under root (the repository's root
// directory) and returns the modules by name. The AssemblyScript compiler
// must be installed (`npm ci` in examples/contracts/as; make test does).
func Build(ctx context.Context, root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	asDir := filepath.Join(root, "examples", "contracts", "as")
	if _, err := os.Stat(filepath.Join(asDir, "node_modules", "assemblyscript", "package.json")); err != nil {
		return nil, fmt.Errorf("contracts: the AssemblyScript compiler is not installed (run `npm ci` in examples/contracts/as; make test does): %w", err)
	}
	asKey, err := hashInputs(root, []string{
		"examples/contracts/as/package.json", "examples/contracts/as/package-lock.json", "examples/contracts/as/build.mjs",
		"examples/contracts/as/node_modules/assemblyscript/package.json", "examples/contracts/as/node_modules/binaryen/package.json",
		"sdk/as/package.json", "sdk/as/index.ts",
	}, []tree{{"examples/contracts/as", ".ts", []string{"node_modules", "build"}}, {"sdk/as/assembly", ".ts", nil}}, nil)
	if err != nil {
		return nil, err
	}
	err = cached("as-"+asKey, AS, out, func(dir string) error {
		return run(ctx, asDir, nil, "node", append([]string{"build.mjs", dir}, AS...)...)
	})
	if err != nil {
		return nil, err
	}
	goVersion, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	if err != nil {
		return nil, fmt.Errorf("contracts: go env GOVERSION: %w", err)
	}
	goKey, err := hashInputs(root, []string{"go.mod", "go.sum"},
		[]tree{{"examples/contracts/go", ".go", nil}, {"sdk/go", ".go", []string{"testdata"}}}, goVersion)
	if err != nil {
		return nil, err
	}
	err = cached("go-"+goKey, Go, out, func(dir string) error {
		env := []string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"}
		for _, name := range Go {
			if err := run(ctx, root, env, "go", "build", "-trimpath", "-buildmode=c-shared",
				"-o", filepath.Join(dir, name+".wasm"), "./examples/contracts/go/"+name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// tree is a directory whose files ending in ext, outside the skipped
// subdirectories, are inputs.
type tree struct {
	dir, ext string
	skip     []string
}

// hashInputs hashes the named files, every file of the trees and extra, each
// file with its path, in a fixed order.
func hashInputs(root string, files []string, trees []tree, extra []byte) (string, error) {
	for _, t := range trees {
		base := filepath.Join(root, filepath.FromSlash(t.dir))
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && p != base && slices.Contains(t.skip, d.Name()) {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(p, t.ext) && !strings.HasSuffix(p, "_test.go") {
				rel, err := filepath.Rel(root, p)
				if err != nil {
					return err
				}
				files = append(files, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("contracts: hashing inputs: %w", err)
		}
	}
	slices.Sort(files)
	h := sha256.New()
	for _, f := range slices.Compact(files) {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return "", fmt.Errorf("contracts: hashing inputs: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	h.Write(extra)
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// cached reads the modules names from the cache entry key, building them
// with build into a fresh directory when the entry is missing. Without a
// usable cache directory it builds every time.
func cached(key string, names []string, out map[string][]byte, build func(dir string) error) error {
	base := os.Getenv(CacheEnv)
	if base == "" {
		if ucd, err := os.UserCacheDir(); err == nil {
			base = filepath.Join(ucd, "orama-contracts")
		}
	}
	if base != "" && read(filepath.Join(base, key), names, out) == nil {
		return nil
	}
	cacheable := base != "" && os.MkdirAll(base, 0o755) == nil
	if !cacheable {
		base = ""
	}
	tmp, err := os.MkdirTemp(base, "build-")
	if err != nil {
		return fmt.Errorf("contracts: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := build(tmp); err != nil {
		return err
	}
	if err := read(tmp, names, out); err != nil {
		return err
	}
	if cacheable {
		// If another process stored the same entry meanwhile the rename
		// fails, which is fine: its modules are the same.
		_ = os.Rename(tmp, filepath.Join(base, key))
	}
	return nil
}

func read(dir string, names []string, out map[string][]byte) error {
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, name+".wasm"))
		if err != nil {
			return fmt.Errorf("contracts: %w", err)
		}
		out[name] = b
	}
	return nil
}

// run runs a build command in dir, returning its output with the error.
func run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("contracts: %s %s: %w\n%s", name, strings.Join(args, " "), err, buf.String())
	}
	return nil
}
