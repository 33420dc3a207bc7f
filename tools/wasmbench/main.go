// Command wasmbench measures Orama's contract VM (runtime/vm) against two
// peers, side by side in one process and one run, and checks the bars of
// issue 15:
//
//  1. storage: a call of the AssemblyScript counter (examples/contracts) on
//     a fresh instance, its compile cached, reading and writing one storage
//     key, through runtime/vm, generated/host and runtime/host; against
//     wasmvm v2.2.4 (CosmWasm, the VM Orama runs today through wasmd)
//     executing the enqueue message of its test contract queue.wasm, which
//     reads the queue's last entry and writes one key. Bars: Orama's p50 at
//     most 100 µs, and no slower than wasmvm's.
//  2. metering: the CPU-bound AssemblyScript hasher (SHA-256, no host
//     calls) on wazero uninstrumented, metered by runtime/vm, and on
//     wasmtime v25 with fuel (and without, for scale). Bar: metering costs
//     at most 15% over the same module uninstrumented on wazero.
//
// Samples of the engines being compared are interleaved (one of each per
// round, in rotating order), so a machine shared with other work slows all
// of them alike. It prints p50 and p90 of each and the ratios of the p50s,
// and exits with status 1 if a bar is missed (-bars=false only reports).
//
// It is its own module (tools/wasmbench/go.mod) so the node's module never
// depends on wasmvm's or wasmtime's native libraries. Run it with
// `make bench-wasm`.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/oramanetwork/orama-chain/examples/contracts"
)

func main() {
	root := flag.String("root", filepath.Join("..", ".."), "the repository's root directory")
	storageRounds := flag.Int("storage-rounds", 4000, "rounds of the storage benchmark (one call of each engine per round)")
	cpuRounds := flag.Int("cpu-rounds", 200, "rounds of the metering benchmark")
	hashRounds := flag.Uint("hash-rounds", 64, "how many times one call of the hasher hashes its 4-KiB block")
	loopRounds := flag.Uint("loop-rounds", 16, "how many times one call of the tight loop hashes 64 KiB")
	bars := flag.Bool("bars", true, "exit with status 1 when a bar is missed")
	flag.Parse()
	log.SetFlags(0)

	ctx := context.Background()
	mods, err := contracts.Build(ctx, *root)
	if err != nil {
		log.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "wasmbench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	var missed []string
	fmt.Println("== storage: one call reading and writing one key, fresh instance, compile cached")
	st, err := storageBench(ctx, tmp, mods["counter"], *storageRounds)
	if err != nil {
		log.Fatal(err)
	}
	report(st)
	orama, wasmvm := st[0].p(50), st[2].p(50)
	fmt.Printf("ratio orama/wasmvm p50: %.2f\n", float64(orama)/float64(wasmvm))
	missed = bar(missed, "orama p50 <= 100us", orama <= 100*time.Microsecond)
	missed = bar(missed, "orama p50 <= wasmvm p50", orama <= wasmvm)

	loop, err := loopWorkload(int32(*loopRounds))
	if err != nil {
		log.Fatal(err)
	}
	for i, w := range []workload{hasherWorkload(mods["hasher"], int32(*hashRounds)), loop} {
		fmt.Printf("\n== metering: %s, no host calls\n", w.name)
		cpu, err := cpuBench(ctx, w, *cpuRounds)
		if err != nil {
			log.Fatal(err)
		}
		report(cpu)
		plain, metered, fuel := cpu[0].p(50), cpu[1].p(50), cpu[2].p(50)
		overhead := float64(metered)/float64(plain) - 1
		fmt.Printf("metering overhead (runtime/vm over wazero uninstrumented, p50): %+.1f%%\n", 100*overhead)
		fmt.Printf("ratio runtime/vm / wasmtime with fuel, p50: %.2f\n", float64(metered)/float64(fuel))
		if i == 0 { // the bar is on a contract; the loop shows the worst case
			missed = bar(missed, "metering overhead <= 15%", overhead <= 0.15)
		}
	}

	if len(missed) > 0 && *bars {
		log.Fatalf("\nbars missed: %v", missed)
	}
}

func bar(missed []string, what string, ok bool) []string {
	verdict := "met"
	if !ok {
		verdict = "MISSED"
		missed = append(missed, what)
	}
	fmt.Printf("bar %-28s %s\n", what+":", verdict)
	return missed
}

// engine is one side of a comparison: run does one measured call, reset
// (optional) restores the state between calls outside the measurement.
type engine struct {
	name  string
	run   func() error
	reset func() error
	note  string
}

// series is the measured durations of one engine.
type series struct {
	name, note string
	d          []time.Duration
}

func (s series) p(q int) time.Duration {
	d := slices.Clone(s.d)
	slices.Sort(d)
	return d[(len(d)-1)*q/100]
}

// measure runs warm-up rounds and then rounds rounds of one call of each
// engine, rotating their order each round.
func measure(rounds, warmup int, engines []engine) ([]series, error) {
	out := make([]series, len(engines))
	for i, e := range engines {
		out[i] = series{name: e.name, note: e.note, d: make([]time.Duration, 0, rounds)}
	}
	for r := 0; r < warmup+rounds; r++ {
		for k := range engines {
			i := (k + r) % len(engines)
			e := engines[i]
			if e.reset != nil {
				if err := e.reset(); err != nil {
					return nil, fmt.Errorf("%s: reset: %w", e.name, err)
				}
			}
			start := time.Now()
			err := e.run()
			d := time.Since(start)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.name, err)
			}
			if r >= warmup {
				out[i].d = append(out[i].d, d)
			}
		}
	}
	return out, nil
}

func report(ss []series) {
	fmt.Printf("%-44s %10s %10s %8s\n", "", "p50", "p90", "samples")
	for _, s := range ss {
		fmt.Printf("%-44s %10s %10s %8d\n", s.name, round(s.p(50)), round(s.p(90)), len(s.d))
		if s.note != "" {
			fmt.Printf("    %s\n", s.note)
		}
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d < 10*time.Microsecond:
		return d.Round(10 * time.Nanosecond)
	case d < 10*time.Millisecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d.Round(10 * time.Microsecond)
}
