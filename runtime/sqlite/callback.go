package sqlite

import (
	"fmt"
	"sync"
	"unsafe"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// How Go functions become SQLite callbacks. The translated C calls a
// function pointer by reinterpreting it as a Go func value of the C
// signature with a *libc.TLS in front (see modernc.org/sqlite's
// sqlite.go and pre_update_hook.go, which do the same). cFuncPointer turns
// a top-level function (never a closure) into such a pointer; the
// trampolines below are those functions. SQLite passes each callback the
// pArg it was registered with: the Conn's id, which the registry maps back
// to the Conn and its Go callback. A Conn is registered by Open and
// forgotten by Close, so a callback never reaches a closed Conn.

// registry maps Conn ids to Conns for the trampolines.
var registry = struct {
	sync.RWMutex
	next  uintptr
	conns map[uintptr]*Conn
}{conns: map[uintptr]*Conn{}}

func register(c *Conn) {
	registry.Lock()
	registry.next++
	c.id = registry.next
	registry.conns[c.id] = c
	registry.Unlock()
}

func unregister(c *Conn) {
	registry.Lock()
	delete(registry.conns, c.id)
	registry.Unlock()
}

func lookup(id uintptr) *Conn {
	registry.RLock()
	c := registry.conns[id]
	registry.RUnlock()
	return c
}

// cFuncPointer converts a function declared at top level to the pointer
// the translated C calls. It assumes Go's func value layout
// (https://golang.org/s/go11func): a func value is a pointer to a word
// holding the code pointer, and for a top-level function that word is in
// read-only data and never moves.
func cFuncPointer[T any](f T) uintptr {
	return *(*uintptr)(unsafe.Pointer(&struct{ f T }{f}))
}

// cptr turns an address of C memory (libc's heap or a TLS stack, never Go's
// heap, so it never moves) into a pointer. Going through the variable's
// storage keeps vet from mistaking it for a Go pointer kept as a uintptr.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// goString is a C string as Go, "" for NULL.
func goString(p uintptr) string {
	if p == 0 {
		return ""
	}
	return libc.GoString(p)
}

// recoverInto keeps a callback's panic for the Conn to raise again once
// SQLite has returned: a panic must not unwind through the translated C,
// which would leave its locks and memory in the middle of an operation.
func (c *Conn) recoverInto(r any) {
	if r != nil && c.panicked == nil {
		c.panicked = fmt.Errorf("sqlite: callback panicked: %v", r)
		if e, ok := r.(error); ok {
			c.panicked = fmt.Errorf("sqlite: callback panicked: %w", e)
		}
	}
}

// AuthorizerFunc decides, while a statement is prepared, whether it may do
// action (sqlite3_set_authorizer): a3 and a4 are the action's arguments
// (see Action), schema the database ("main", "temp", an attached one, or ""),
// inner the innermost trigger or view the access comes from ("" for the
// statement itself). NULL arguments are "".
type AuthorizerFunc func(action Action, a3, a4, schema, inner string) AuthResult

// SetAuthorizer installs fn as the connection's authorizer, replacing any
// other; nil removes it. SQLite then prepares every statement, the
// connection's own included, under fn; a denial makes Prepare fail with an
// error that is ErrAuth (or ErrError for some actions). fn must not use the
// connection.
func (c *Conn) SetAuthorizer(fn AuthorizerFunc) error {
	if c.db == 0 {
		return errClosed
	}
	c.auth = fn
	var rc int32
	if fn == nil {
		rc = lib.Xsqlite3_set_authorizer(c.tls, c.db, 0, 0)
	} else {
		rc = lib.Xsqlite3_set_authorizer(c.tls, c.db, cFuncPointer(authorizerTrampoline), c.id)
	}
	return newError(c.tls, c.db, rc)
}

func authorizerTrampoline(_ *libc.TLS, id uintptr, action int32, z3, z4, zDB, zInner uintptr) (rc int32) {
	c := lookup(id)
	if c == nil || c.auth == nil {
		return lib.SQLITE_DENY // fail closed
	}
	defer func() {
		if r := recover(); r != nil {
			c.recoverInto(r)
			rc = lib.SQLITE_DENY
		}
	}()
	return int32(c.auth(Action(action), goString(z3), goString(z4), goString(zDB), goString(zInner)))
}

// PreUpdateFunc sees each row change before it is made
// (sqlite3_preupdate_hook): op is ActionInsert, ActionUpdate or
// ActionDelete; oldRowid is the row's rowid before the change and newRowid
// after it (both the inserted rowid for an insert, both the deleted one for
// a delete; they differ for an update that changes the rowid). Changes made
// by triggers, by foreign key actions and the deletes of INSERT OR REPLACE
// are reported too. Tables WITHOUT ROWID report meaningless rowids.
type PreUpdateFunc func(op Action, schema, table string, oldRowid, newRowid int64)

// SetPreUpdateHook installs fn as the connection's preupdate hook,
// replacing any other; nil removes it. fn must not use the connection.
func (c *Conn) SetPreUpdateHook(fn PreUpdateFunc) {
	if c.db == 0 {
		return
	}
	c.hook = fn
	if fn == nil {
		lib.Xsqlite3_preupdate_hook(c.tls, c.db, 0, 0)
		return
	}
	lib.Xsqlite3_preupdate_hook(c.tls, c.db, cFuncPointer(preUpdateTrampoline), c.id)
}

func preUpdateTrampoline(_ *libc.TLS, id uintptr, _ uintptr, op int32, zDB, zTable uintptr, key1, key2 int64) {
	c := lookup(id)
	if c == nil || c.hook == nil {
		return
	}
	defer func() { c.recoverInto(recover()) }()
	c.hook(Action(op), goString(zDB), goString(zTable), key1, key2)
}

func progressTrampoline(_ *libc.TLS, id uintptr) int32 {
	c := lookup(id)
	if c != nil && c.interrupted() {
		return 1
	}
	return 0
}
