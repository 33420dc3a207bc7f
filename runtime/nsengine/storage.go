package nsengine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ipfs/go-cid"

	"github.com/oramanetwork/orama-chain/runtime/abi"
)

// MaxObjectBytes is the largest storage object (spec MaxStorageObjectBytes,
// 256 KiB): nothing larger has a contract CID. At this size Kubo's default
// chunker still makes one raw block, so its CID is the raw one.
const MaxObjectBytes = 262144

// cidPrefix is the binary prefix of every object name: CIDv1 (0x01), codec
// raw (0x55), multihash SHA2-256 (0x12) of 32 bytes (0x20).
var cidPrefix = []byte{0x01, 0x55, 0x12, 0x20}

// CIDBytes is the length of an object's binary CID.
const CIDBytes = 36

// Storage is a namespace's content-addressed object store. An object's name
// is its binary CID (CIDv1, codec raw, SHA2-256, 36 bytes; ComputeCID), and
// objects are at most MaxObjectBytes. Put of an object already there is not
// an error; Delete of an absent one neither.
type Storage interface {
	// Put stores data and returns its CID. Over MaxObjectBytes: ErrTooLarge.
	Put(ctx context.Context, data []byte) (cid []byte, err error)
	// Get returns the object named cid; false when this store has none.
	Get(ctx context.Context, cid []byte) ([]byte, bool, error)
	// Has reports whether this store holds the object named cid.
	Has(ctx context.Context, cid []byte) (bool, error)
	// Delete removes the object named cid from this store.
	Delete(ctx context.Context, cid []byte) error
	// Close releases the store; later calls fail with ErrClosed.
	Close() error
}

// ComputeCID returns the binary CID of data as one raw block: 01 55 12 20 ‖
// SHA-256(data) (runtime/abi.RawCID, the CID storage.put returns).
func ComputeCID(data []byte) []byte { return abi.RawCID(data) }

// CIDString returns the text form of a binary object CID: "b" and lowercase
// unpadded base32 (the "bafkrei..." form Kubo prints). Errors wrap
// ErrInvalidCID.
func CIDString(c []byte) (string, error) {
	if err := checkObjectCID(c); err != nil {
		return "", err
	}
	parsed, err := cid.Cast(c)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidCID, err)
	}
	return parsed.String(), nil
}

// ParseCIDString parses the text form of an object CID (as CIDString
// prints it) into its binary form. Errors wrap ErrInvalidCID.
func ParseCIDString(s string) ([]byte, error) {
	parsed, err := cid.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrInvalidCID, s, err)
	}
	b := parsed.Bytes()
	if err := checkObjectCID(b); err != nil {
		return nil, err
	}
	return b, nil
}

// checkObjectCID accepts exactly the binary CIDs objects have.
func checkObjectCID(c []byte) error {
	if len(c) != CIDBytes || !bytes.HasPrefix(c, cidPrefix) {
		return fmt.Errorf("%w: %x is not a CIDv1 raw SHA2-256 binary CID", ErrInvalidCID, c)
	}
	return nil
}

// checkObject verifies that data is the object named c.
func checkObject(c, data []byte) error {
	sum := sha256.Sum256(data)
	if !bytes.Equal(sum[:], c[len(cidPrefix):]) {
		return fmt.Errorf("%w: object %x: its bytes hash to %x", ErrMalformed, c, sum)
	}
	return nil
}

func checkObjectSize(n int) error {
	if n > MaxObjectBytes {
		return fmt.Errorf("%w: object of %d bytes (max %d)", ErrTooLarge, n, MaxObjectBytes)
	}
	return nil
}

// LocalStorage is the embedded Storage: one file per object in one
// directory, named by the object's text CID (spec: data/ns/<name>/blobs/).
// Writes go to a temporary file that is synced and renamed into place, so a
// crash leaves an object whole or absent (and temporaries, removed on open).
type LocalStorage struct {
	dir    string
	mu     sync.RWMutex
	closed bool
}

var _ Storage = (*LocalStorage)(nil)

const tmpPrefix = ".tmp-"

// NewLocalStorage opens (creating it if needed) the object directory dir.
func NewLocalStorage(dir string) (*LocalStorage, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("nsengine: local storage: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("nsengine: local storage: %w", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return &LocalStorage{dir: dir}, nil
}

// Dir returns the object directory.
func (s *LocalStorage) Dir() string { return s.dir }

func (s *LocalStorage) enter(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local storage %s: %w", op, err)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return fmt.Errorf("local storage %s: %w", op, ErrClosed)
	}
	return nil
}

func (s *LocalStorage) path(c []byte) (string, error) {
	name, err := CIDString(c)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.dir, name), nil
}

// Put implements Storage.
func (s *LocalStorage) Put(ctx context.Context, data []byte) ([]byte, error) {
	if err := checkObjectSize(len(data)); err != nil {
		return nil, err
	}
	if err := s.enter(ctx, "put"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	c := ComputeCID(data)
	p, err := s.path(c)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(p); err == nil {
		return c, nil // content-addressed: the same name is the same bytes
	}
	if err := writeFileAtomic(s.dir, p, data); err != nil {
		return nil, fmt.Errorf("local storage put %s: %w", filepath.Base(p), err)
	}
	return c, nil
}

func writeFileAtomic(dir, path string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Get implements Storage. The bytes read are checked against the CID
// (ErrMalformed when the file was altered).
func (s *LocalStorage) Get(ctx context.Context, c []byte) ([]byte, bool, error) {
	if err := checkObjectCID(c); err != nil {
		return nil, false, err
	}
	if err := s.enter(ctx, "get"); err != nil {
		return nil, false, err
	}
	defer s.mu.RUnlock()
	p, err := s.path(c)
	if err != nil {
		return nil, false, err
	}
	data, err := readObjectFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("local storage get %s: %w", filepath.Base(p), err)
	}
	if err := checkObject(c, data); err != nil {
		return nil, false, fmt.Errorf("local storage get: %w", err)
	}
	return data, true, nil
}

// readObjectFile reads an object file, refusing one over MaxObjectBytes
// (not something Put wrote).
func readObjectFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxObjectBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxObjectBytes {
		return nil, fmt.Errorf("%w: file over %d bytes", ErrMalformed, MaxObjectBytes)
	}
	return data, nil
}

// Has implements Storage.
func (s *LocalStorage) Has(ctx context.Context, c []byte) (bool, error) {
	if err := checkObjectCID(c); err != nil {
		return false, err
	}
	if err := s.enter(ctx, "has"); err != nil {
		return false, err
	}
	defer s.mu.RUnlock()
	p, err := s.path(c)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("local storage has %s: %w", filepath.Base(p), err)
	}
	return true, nil
}

// Delete implements Storage.
func (s *LocalStorage) Delete(ctx context.Context, c []byte) error {
	if err := checkObjectCID(c); err != nil {
		return err
	}
	if err := s.enter(ctx, "delete"); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	p, err := s.path(c)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local storage delete %s: %w", filepath.Base(p), err)
	}
	return nil
}

// Close implements Storage.
func (s *LocalStorage) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
