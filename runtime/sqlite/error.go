package sqlite

import (
	"fmt"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// Code is a primary SQLite result code (the low byte of an extended code).
// The Err* codes are error values: errors.Is(err, ErrReadOnly) reports
// whether SQLite failed with SQLITE_READONLY or one of its extended codes.
type Code int

// Primary result codes that are errors (https://sqlite.org/rescode.html).
const (
	ErrError      Code = lib.SQLITE_ERROR
	ErrInternal   Code = lib.SQLITE_INTERNAL
	ErrPerm       Code = lib.SQLITE_PERM
	ErrAbort      Code = lib.SQLITE_ABORT
	ErrBusy       Code = lib.SQLITE_BUSY
	ErrLocked     Code = lib.SQLITE_LOCKED
	ErrNoMem      Code = lib.SQLITE_NOMEM
	ErrReadOnly   Code = lib.SQLITE_READONLY
	ErrInterrupt  Code = lib.SQLITE_INTERRUPT
	ErrIOErr      Code = lib.SQLITE_IOERR
	ErrCorrupt    Code = lib.SQLITE_CORRUPT
	ErrNotFound   Code = lib.SQLITE_NOTFOUND
	ErrFull       Code = lib.SQLITE_FULL
	ErrCantOpen   Code = lib.SQLITE_CANTOPEN
	ErrProtocol   Code = lib.SQLITE_PROTOCOL
	ErrSchema     Code = lib.SQLITE_SCHEMA
	ErrTooBig     Code = lib.SQLITE_TOOBIG
	ErrConstraint Code = lib.SQLITE_CONSTRAINT
	ErrMismatch   Code = lib.SQLITE_MISMATCH
	ErrMisuse     Code = lib.SQLITE_MISUSE
	ErrAuth       Code = lib.SQLITE_AUTH
	ErrRange      Code = lib.SQLITE_RANGE
	ErrNotADB     Code = lib.SQLITE_NOTADB
)

// Error implements error with SQLite's text for the code.
func (c Code) Error() string {
	tls := libc.NewTLS()
	defer tls.Close()
	return "sqlite: " + libc.GoString(lib.Xsqlite3_errstr(tls, int32(c)))
}

// Error is a failure SQLite reported: its primary and extended result codes
// and its message (which differs between SQLite versions: never show it to
// a contract or put it in state).
type Error struct {
	Code         Code // primary code, ExtendedCode & 0xff
	ExtendedCode int
	Msg          string
}

func (e *Error) Error() string {
	return fmt.Sprintf("sqlite: %s (%d)", e.Msg, e.ExtendedCode)
}

// Is reports whether target is e's primary Code, or a Code equal to its
// extended code.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && (c == e.Code || int(c) == e.ExtendedCode)
}

// newError builds the Error of rc from the connection's message, or from
// the code's own text when the connection's message is about something
// else (db may be 0).
func newError(tls *libc.TLS, db uintptr, rc int32) error {
	if rc == lib.SQLITE_OK || rc == lib.SQLITE_ROW || rc == lib.SQLITE_DONE {
		return nil
	}
	e := &Error{Code: Code(rc & 0xff), ExtendedCode: int(rc)}
	if db != 0 {
		if ext := lib.Xsqlite3_extended_errcode(tls, db); ext == rc || ext&0xff == rc&0xff {
			e.ExtendedCode = int(ext)
			e.Msg = libc.GoString(lib.Xsqlite3_errmsg(tls, db))
		}
	}
	if e.Msg == "" {
		e.Msg = libc.GoString(lib.Xsqlite3_errstr(tls, rc))
	}
	return e
}
