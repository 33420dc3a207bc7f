package ns

import (
	"context"
	"encoding/binary"
	"github.com/oramanetwork/orama-chain/runtime/nsengine"

	hostabi "github.com/oramanetwork/orama-chain/generated/host"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/abi"
)

// Replica is the namespace's SQL database on this node (spec/namespaces.md
// 2.1): contracts' statements run on it through hostabi.DB, inside one
// transaction per batch of entries with a savepoint per entry and per call.
// runtime/host's SQLite implements it (hostReplica).
type Replica interface {
	hostabi.DB
	// Begin, Commit and Rollback delimit a batch.
	Begin() error
	Commit() error
	Rollback() error
	// Savepoint, Release and RollbackTo nest inside a batch.
	Savepoint(name string) error
	Release(name string) error
	RollbackTo(name string) error
	// TakeWrites returns the SQL write groups recorded since the last
	// TakeWrites (namespaces.md 5.2), and forgets them.
	TakeWrites() ([]types.SQLWrite, error)
	// Schema lists sqlite_schema's rows of user objects, by name.
	Schema() ([]SchemaEntry, error)
	// TableRows reads every row of a table as images, by rowid.
	TableRows(table string) ([]types.RowImage, error)
	// Columns are a table's non-generated columns in PRAGMA table_xinfo
	// order, and the index of its INTEGER PRIMARY KEY (the rowid's alias),
	// or -1.
	Columns(table string) ([]string, int, error)
	// HostExec and HostQuery run the host's own statements (the TxLog,
	// applying row images), bypassing the contracts' authorizer.
	HostExec(sql string, args ...abi.Value) error
	HostQuery(sql string, args ...abi.Value) (abi.Rows, error)
	Close() error
}

// SchemaEntry is one row of sqlite_schema (names ASCII-lowercased).
type SchemaEntry struct {
	Name string
	Row  types.SchemaRow
}

// sqlLeafKey is a SQL-tree row leaf's key: Borsh{tag u8 = 1, table string,
// rowid i64}.
func sqlLeafKey(table string, rowid uint64) []byte {
	k := []byte{1}
	k = binary.LittleEndian.AppendUint32(k, uint32(len(table)))
	k = append(k, table...)
	return binary.LittleEndian.AppendUint64(k, rowid)
}

// schemaLeafKey is a SQL-tree schema leaf's key: Borsh{tag u8 = 0, name}.
func schemaLeafKey(name string) []byte {
	k := []byte{0}
	k = binary.LittleEndian.AppendUint32(k, uint32(len(name)))
	return append(k, name...)
}

// rowIndexPrefix and rowIndexKey index the row leaves of a table in the
// flat store, so a dropped or altered table's leaves can be found.
func rowIndexPrefix(table string) []byte {
	k := []byte{kRowIndex}
	k = binary.BigEndian.AppendUint32(k, uint32(len(table)))
	return append(k, table...)
}

func rowIndexKey(table string, rowid uint64) []byte {
	return binary.BigEndian.AppendUint64(rowIndexPrefix(table), rowid)
}

func rowidOfIndexKey(k []byte) uint64 { return binary.BigEndian.Uint64(k[len(k)-8:]) }

// Blobs is the namespace's object store (runtime/nsengine's Storage: a
// local CID store or Kubo). Objects are named by their CIDv1 raw SHA2-256.
type Blobs interface {
	Put(ctx context.Context, data []byte) (cid []byte, err error)
	Get(ctx context.Context, cid []byte) ([]byte, bool, error)
}

// newLocalBlobs is the embedded object store: one file per object, named by
// its CID, in dir.
func newLocalBlobs(dir string) (Blobs, error) { return nsengine.NewLocalStorage(dir) }
