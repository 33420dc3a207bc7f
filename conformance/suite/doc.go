// Package suite is the black-box conformance suite of an Orama node, the
// library behind `orama conformance run --adapter PATH` and the Go test that
// runs it against this repository's node.
//
// It starts the node under test through an adapter (conformance/CLIENT.md)
// and checks it from outside only: it imports every fixture chain of
// conformance/vectors-chain and reads the expected roots and receipts back
// over REST; it calls every operation of spec/openapi.yaml with a good and a
// bad input and validates every response against generated/api/openapi.yaml
// with kin-openapi; it signs and submits live transactions and follows them
// to finality; and it runs one validator of ours on loopback that the node
// under test must sync from genesis and follow over the p2p protocol. Every
// check names the spec section it tests, and the report counts what was
// covered: operations, transaction types, error codes and fixture files.
//
// Expectations come from the fixtures and from arithmetic the suite does
// itself from the spec's rules (fees, the base fee, the block reward, Merkle
// roots, state proofs, commit proofs), never from asking a node how it
// computed something. The package must therefore never depend on the
// node's internals (runtime/node, exec, state, store, mempool, rpc, driver,
// p2p, config, index, txrules); it uses only code that the conformance
// vectors check: generated/types, generated/params, generated/api (the
// OpenAPI document and its JSON shapes), runtime/crypto, runtime/smt and
// the verification functions of runtime/consensus. TestSuiteImports keeps
// it that way.
package suite
