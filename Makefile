# Orama chain node. `make run` starts a node on embedded defaults; `make test`
# runs every check CI runs. See README.md.

GO       ?= go
GOFLAGS  ?=
export CGO_ENABLED := 1

# Sizes for the heavy checks: `make test` runs them at CI size, the dedicated
# targets at full size. Both run the same code. Fuzz budgets are execution
# counts, not durations: a duration -fuzztime can fail with "context deadline
# exceeded" and no crasher under Go 1.26 (golang/go#75804, fixed in Go 1.27).
FUZZTIME      ?= 20000x
FUZZTIME_FULL ?= 5000000x
CRASH_CYCLES_FULL ?= 300
DEVNET_BENCH_DURATION ?= 60s

.PHONY: all build generate check-generated test test-go fuzz fuzz-short bench bench-throughput bench-wasm throughput-short bench-devnet devnet-short faultnet faultnet-short conformance test-js soak run devnet vet fmt-check clean engines bench-ns examples

all: build

build:
	$(GO) build ./...
	@if [ -d cmd/orama ]; then $(GO) build -o bin/orama ./cmd/orama; fi

# HOSTGEN_OUT: oramahost's outputs under a prefix ("" for the tree, $$tmp/ for check-generated):
# the wazero host modules, the reference page and the two guest libraries' declarations.
HOSTGEN_OUT = -go-out $(1)generated/host -doc-out $(1)docs/contracts/host-functions.md \
	-as-out $(1)sdk/as/assembly/generated/host.ts -gosdk-out $(1)sdk/go

## generate: regenerate generated/ and conformance/vectors/ from spec/.
# Two steps: oramastate and oramachain are compiled after generated/ is
# written, because their vectors come from the reference executor, which
# uses the generated types.
generate:
	$(GO) run ./gen/cmd/oramagen -spec spec -go-out generated -vectors-out conformance/vectors -js-out generated/js -api-out generated/api
	$(GO) run ./gen/cmd/oramastate -cases spec/cases/state -out conformance/vectors-state
	$(GO) run ./gen/cmd/oramachain -cases spec/cases/chain -out conformance/vectors-chain
	$(GO) run ./gen/cmd/oramahost -spec spec $(call HOSTGEN_OUT,)
	$(GO) run ./gen/cmd/oramaabi -spec spec -cases spec/cases/abi -out conformance/vectors-abi
	$(GO) run ./gen/cmd/oramans -cases spec/cases/ns -out conformance/vectors-ns
	$(GO) tool oapi-codegen -config gen/openapi/oapi-codegen.yaml generated/api/openapi.yaml
	$(MAKE) --no-print-directory $(TS_DEPS)
	cd clients/ts && npm run generate

## check-generated: fail when generated output differs from what spec/ and gen/ produce.
check-generated:
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(GO) run ./gen/cmd/oramagen -spec spec -go-out $$tmp/generated -vectors-out $$tmp/vectors -js-out $$tmp/generated/js -api-out $$tmp/generated/api && \
	$(GO) run ./gen/cmd/oramastate -cases spec/cases/state -out $$tmp/vectors-state && \
	$(GO) run ./gen/cmd/oramachain -cases spec/cases/chain -out $$tmp/vectors-chain && \
	$(GO) run ./gen/cmd/oramahost -spec spec $(call HOSTGEN_OUT,$$tmp/) && \
	$(GO) run ./gen/cmd/oramaabi -spec spec -cases spec/cases/abi -out $$tmp/vectors-abi && \
	$(GO) run ./gen/cmd/oramans -cases spec/cases/ns -out $$tmp/vectors-ns && \
	mkdir -p $$tmp/generated/api && printf "module tmp\ngo 1.26\n" > $$tmp/go.mod && oapi=$$($(GO) tool -n oapi-codegen) && \
	(cd $$tmp && $$oapi -config $(CURDIR)/gen/openapi/oapi-codegen.yaml generated/api/openapi.yaml) && \
	diff -r generated $$tmp/generated && diff -r conformance/vectors $$tmp/vectors && \
	diff -r -x README.md conformance/vectors-state $$tmp/vectors-state && \
	diff -r -x README.md conformance/vectors-chain $$tmp/vectors-chain && \
	diff -r -x README.md conformance/vectors-abi $$tmp/vectors-abi && \
	diff -r -x README.md conformance/vectors-ns $$tmp/vectors-ns && \
	diff docs/contracts/host-functions.md $$tmp/docs/contracts/host-functions.md && \
	diff sdk/as/assembly/generated/host.ts $$tmp/sdk/as/assembly/generated/host.ts && \
	diff sdk/go/consts.go $$tmp/sdk/go/consts.go && diff sdk/go/host_wasip1.go $$tmp/sdk/go/host_wasip1.go || \
	{ echo "generated/ or conformance/vectors/ drifted from spec/: run 'make generate' and commit"; exit 1; }
	@$(MAKE) --no-print-directory $(TS_DEPS) >/dev/null
	@cd clients/ts && npm run --silent check-generated || \
	{ echo "clients/ts/src/generated drifted from generated/api/openapi.yaml: run 'make generate' and commit"; exit 1; }

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## test: everything CI runs (well under 30 minutes on 2 cores).
test: check-generated fmt-check vet test-go test-js fuzz-short devnet-short faultnet-short throughput-short

test-go:
	$(MAKE) --no-print-directory $(AS_DEPS) $(EXAMPLES_DEPS) engines
	$(GO) test -count=1 -timeout 25m ./...

## test-js: the JavaScript conformance runner over every vector, and the TypeScript client
## (unit tests, end to end against a node built from this tree, and its npm pack tarball installed
## into an empty project and run against such a node); npm ci installs pinned packages.
test-js:
	cd conformance/js && npm ci --no-audit --no-fund && npm test
	$(MAKE) --no-print-directory $(AS_DEPS)
	cd sdk/as && npm test
	$(MAKE) --no-print-directory $(TS_DEPS)
	cd clients/ts && npm run build && npm test

# AS_DEPS: the AssemblyScript compiler (sdk/as, pinned) that runtime/host's guest tests build with.
AS_DEPS := sdk/as/node_modules/.ci-stamp
$(AS_DEPS): sdk/as/package-lock.json
	cd sdk/as && npm ci --no-audit --no-fund && touch node_modules/.ci-stamp

# EXAMPLES_DEPS: the example contracts' pinned compiler; go test ./examples/contracts builds them
# from source with it (and the Go one with go build), caching the modules by a hash of their inputs.
EXAMPLES_DEPS := examples/contracts/as/node_modules/.ci-stamp
$(EXAMPLES_DEPS): examples/contracts/as/package-lock.json
	cd examples/contracts/as && npm ci --no-audit --no-fund && touch node_modules/.ci-stamp

# TS_DEPS: the TypeScript client's pinned packages, installed once per
# package-lock.json (npm ci empties node_modules each time it runs).
TS_DEPS := clients/ts/node_modules/.ci-stamp
$(TS_DEPS): clients/ts/package-lock.json
	cd clients/ts && npm ci --no-audit --no-fund && touch node_modules/.ci-stamp

## fuzz-short: every fuzz target for $(FUZZTIME) executions (CI size); `make fuzz` runs them longer.
fuzz-short:
	@FUZZTIME=$(FUZZTIME) ./tools/fuzz-all.sh

fuzz:
	@FUZZTIME=$(FUZZTIME_FULL) ./tools/fuzz-all.sh

## bench: the benchmarks the issues set bars for (SMT at 1,000,000 accounts), then the throughput bar.
bench:
	SMT_BENCH_ACCOUNTS=1000000 $(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 60m ./runtime/... ./conformance/...
	@$(MAKE) --no-print-directory bench-throughput

## engines: the issue-16 namespace engines, rqlited and Kubo's ipfs, built once per machine into
## $ORAMA_ENGINE_CACHE, default ~/.cache/orama/engines (tools/engines/build.sh; minutes when cold; not in make test).
engines:
	@GO=$(GO) ./tools/engines/build.sh rqlited
	@GO=$(GO) ./tools/engines/build.sh ipfs

## bench-ns: the namespace bars of issue 16, side by side in one run (spec/namespaces.md 12):
## token transfers against the same INSERT sent directly to SQLite and to a 3-node rqlite cluster,
## and the replay rate of orama ns verify.
bench-ns: engines
	$(MAKE) --no-print-directory $(AS_DEPS) $(EXAMPLES_DEPS)
	$(GO) test -run '^$$' -bench 'TokenVsSQLite|TokenVsRQLite|Verify' -benchtime 3x -count 1 -timeout 30m ./runtime/ns/

## bench-wasm: the issue-15 VM bars, side by side in one process (tools/wasmbench, its own module:
## it fetches wasmvm's libwasmvm and wasmtime-go's static libraries, about 300 MB, so make test skips it).
bench-wasm: $(EXAMPLES_DEPS)
	cd tools/wasmbench && $(GO) run . -root $(CURDIR)

## bench-throughput: the issue-3 bar, node throughput against ecrecover on all cores, interleaved in one run.
bench-throughput:
	@./tools/throughput-bar.sh

## throughput-short: tools/throughput-bar.sh at CI size, no floor (part of make test).
throughput-short:
	@REPEATS=1 SLICES=1 MIN_RATIO=0 ./tools/throughput-bar.sh

## soak: the crash loop at full size (make test runs it at 12 kills).
soak:
	CRASH_CYCLES=$(CRASH_CYCLES_FULL) $(GO) test -count=1 -timeout 60m -run TestCrashRecovery -v ./runtime/node/

## run: a single-validator node with its data in ./data.
run: build examples
	./bin/orama node --data-dir ./data

## examples: the example contracts (AssemblyScript) in examples/contracts/as/build/, for
## README's namespace commands (orama ns deploy demo examples/contracts/as/build/guestbook.wasm ...).
examples: $(AS_DEPS) $(EXAMPLES_DEPS)
	cd examples/contracts/as && node build.mjs build

## faultnet-short: the issue-13 fault harness on a 4-process devnet at CI size (part of make test):
## leader SIGKILLs, one validator down, SIGSTOP, two of four restarted, a Byzantine twin key, junk sync peers.
faultnet-short:
	@./tools/faultnet.sh --size ci

## faultnet: the same scenarios and bars at full size (60 s windows, more kills and rounds).
faultnet:
	@./tools/faultnet.sh --size full

## devnet-short: tools/devnet-bench.sh at CI size (part of make test).
devnet-short:
	@DURATION=10s MIN_TPS=500 ./tools/devnet-bench.sh

## bench-devnet: the issue-5 bars on a 4-process devnet (finality latency, 2,000 tx/s for a minute).
bench-devnet:
	@DURATION=$(DEVNET_BENCH_DURATION) ./tools/devnet-bench.sh

## devnet: four validators as separate processes on loopback (files in ./devnet; APIs on 127.0.0.1:8600-8603).
devnet: build
	./bin/orama devnet --validators 4 --dir ./devnet

## conformance: the black-box suite against this node through its adapter (make test runs it as
## conformance/suite's TestConformanceSuite; another node: bin/orama conformance run --adapter PATH).
conformance: build
	ORAMA_BIN=$(CURDIR)/bin/orama ./bin/orama conformance run --adapter conformance/adapter/orama

clean:
	rm -rf bin data devnet
