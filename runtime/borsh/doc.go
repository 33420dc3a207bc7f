// Package borsh is the small hand-written support library behind the codecs
// that gen/ emits into generated/types: append helpers for encoding, a strict
// Reader for decoding, and the typed errors both report.
//
// Borsh (https://borsh.io) is the deterministic binary format Orama hashes,
// stores and transmits (Appendix G section 4). This package implements only the
// subset spec/README.md allows: little-endian unsigned integers, bool, fixed
// byte arrays, u32-length-prefixed strings, byte strings and vectors, options
// and one-byte enums. Decoding is strict where the Borsh reference is lenient:
// a bool or option tag other than 0 or 1, an unknown enum variant, a length
// over the spec's limit, invalid UTF-8 and trailing bytes are all errors.
//
// The package uses no reflection and allocates only what a decoded value owns.
// It must never depend on generated code, storage, networking or consensus:
// generated code depends on it, not the other way round.
package borsh
