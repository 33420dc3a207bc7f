// Package sqlite is a thin, deterministic wrapper over SQLite's C API as
// modernc.org/sqlite translates it to Go (modernc.org/sqlite/lib, v1.62.0,
// SQLite 3.54.1): sqlite3_open_v2, prepare_v3 with the statement tail,
// stmt_readonly, bindings, raw column values in their storage class,
// set_authorizer, preupdate_hook, limit, progress_handler and interrupt. It
// is the one SQLite of the node (spec/namespaces.md 2.1, DECISIONS.md D28):
// runtime/host's reference database, the namespace executor's replica and
// its query connection all open their databases here, so every one of them
// runs the same SQLite with the same settings.
//
// It never uses modernc's database/sql driver, which rewrites values of
// columns declared DATE, DATETIME or TIMESTAMP, hides the statement tail and
// the authorizer (D25). Values come back exactly as SQLite stores them:
// INTEGER as int64, REAL as float64 (-0.0 included), TEXT and BLOB as their
// bytes, embedded NUL bytes included.
//
// Every connection is opened with the same settings, whoever opens it (see
// Open): extended result codes, double-quoted strings are identifiers only,
// foreign keys enforced, defensive mode, an untrusted schema, no URI file
// names and no extension loading.
//
// A Conn and its statements are for one goroutine at a time; only Interrupt
// may be called from another goroutine. Close finalizes every statement
// still open and frees everything the connection holds.
//
// This package is a leaf: it must never depend on anything else of runtime/
// (or of this module); other packages build on it.
package sqlite
