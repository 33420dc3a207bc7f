// Package outdir writes a generated tree of files into a directory, so
// that what a generator no longer produces does not linger there, and
// holds what the vector generators share: their JSON form, their
// manifest, strict reading of case files. It is used by the vector
// generators; it must not depend on any of them.
package outdir

import (
	"os"
	"path/filepath"
)

// Replace makes out hold exactly the given files (paths relative to out,
// slash-separated, data[i] the bytes of paths[i]) and the README.md at its
// top, which is hand-written documentation: everything else under out is
// removed first.
func Replace(out string, paths []string, data [][]byte) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "README.md" && !e.IsDir() {
			continue
		}
		if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
			return err
		}
	}
	for i, rel := range paths {
		p := filepath.Join(out, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data[i], 0o644); err != nil {
			return err
		}
	}
	return nil
}
