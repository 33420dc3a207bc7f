package hostgen

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Config names the outputs of one run; an empty path skips that target.
type Config struct {
	SpecDir string
	// GoOut is the directory of the Go host package (generated/host).
	GoOut string
	// DocOut is the reference page (docs/contracts/host-functions.md).
	DocOut string
	// ASOut is the AssemblyScript declarations file
	// (sdk/as/assembly/generated/host.ts).
	ASOut string
	// GoSDKOut is the directory of the Go guest package (sdk/go); only its
	// generated files are replaced.
	GoSDKOut string
}

// Generate loads the spec and writes every target asked for.
func Generate(o Config) error {
	s, err := Load(o.SpecDir)
	if err != nil {
		return err
	}
	if o.GoOut != "" {
		files, err := GoHost(s)
		if err != nil {
			return err
		}
		if err := writeDir(o.GoOut, files); err != nil {
			return err
		}
	}
	if o.DocOut != "" {
		if err := writeFile(o.DocOut, Markdown(s)); err != nil {
			return err
		}
	}
	if o.ASOut != "" {
		if err := writeFile(o.ASOut, AssemblyScript(s)); err != nil {
			return err
		}
	}
	if o.GoSDKOut != "" {
		files, err := GoGuest(s)
		if err != nil {
			return err
		}
		for _, name := range sortedKeys(files) {
			if err := writeFile(filepath.Join(o.GoSDKOut, name), files[name]); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeDir replaces every .go file of dir with files.
func writeDir(dir string, files map[string][]byte) error {
	old, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(files) {
		if err := writeFile(filepath.Join(dir, name), files[name]); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("hostgen: %w", err)
	}
	return nil
}

func sortedKeys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
