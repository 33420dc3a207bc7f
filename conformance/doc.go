// Package conformance checks this implementation against the conformance
// vectors under conformance/vectors/ (format: conformance/README.md), and
// holds the codec's property tests, fuzz targets' seeds and benchmarks.
//
// The vectors are produced by gen/vectors from spec/ with a schema
// interpreter and go-ethereum, independently of generated/types and
// runtime/crypto, so agreement here is evidence, not an echo. The runner
// fails when any vector file or case is left unread.
//
// It must never be imported by the node: it is test-only tooling.
package conformance
