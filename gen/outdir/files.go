package outdir

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// File is one file of a generated vector tree: its path under the tree
// (slash separated), its bytes and how many cases it holds.
type File struct {
	Path  string
	Data  []byte
	Cases int
}

// Write makes out hold exactly files (and the hand-written README.md).
func Write(out string, files []File) error {
	paths, data := make([]string, len(files)), make([][]byte, len(files))
	for i, f := range files {
		paths[i], data[i] = f.Path, f.Data
	}
	return Replace(out, paths, data)
}

// JSON is the vector trees' one JSON form: two-space indent, a final
// newline, and no HTML escaping (so "<" stays readable).
func JSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Hex is bytes as the vectors write them: "0x" + lowercase hex.
func Hex(b []byte) string { return "0x" + hex.EncodeToString(b) }

// DecodeYAML reads the case file at path into v strictly: a field v does
// not have is an error (a misspelt key must not silently drop a case).
func DecodeYAML(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

type manifestEntry struct {
	Path   string `json:"path"`
	Cases  int    `json:"cases"`
	SHA256 string `json:"sha256"`
}

type manifest struct {
	FormatVersion int             `json:"format_version"`
	Generator     string          `json:"generator"`
	Files         []manifestEntry `json:"files"`
}

// WithManifest returns files followed by manifest.json, which lists each
// file's path, case count and SHA-256 in order, with the tree's format
// version and the command that generated it.
func WithManifest(files []File, formatVersion int, generator string) ([]File, error) {
	m := manifest{FormatVersion: formatVersion, Generator: generator}
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		m.Files = append(m.Files, manifestEntry{Path: f.Path, Cases: f.Cases, SHA256: Hex(sum[:])})
	}
	md, err := JSON(m)
	if err != nil {
		return nil, err
	}
	return append(files, File{Path: "manifest.json", Data: md}), nil
}
