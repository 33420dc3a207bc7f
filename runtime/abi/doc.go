// Package abi encodes and decodes the values contracts and host functions
// pass through guest memory (spec/contracts.md "Encodings"): SQL parameters
// and rows, database results, contract events and CIDs.
//
// It is the one place these encodings are written in Go: the generated host
// bindings (generated/host), the reference implementations (runtime/host) and
// the ABI vector generator all use it, and its decoders are strict in the
// manner of spec/README.md (trailing bytes, unknown tags and over-limit
// lengths are errors), so one value has one encoding.
//
// It must never depend on wazero, the VM or any host implementation: it is
// pure byte handling, safe on hostile input, and allocation is bounded by the
// input's length.
package abi
