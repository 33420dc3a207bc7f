//go:build unix

package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWAN runs the production driver (real execution, real mempool,
// fake signatures) with 4, 16, 64 and 100 validators over a simulated WAN:
// every link 50-200 ms one way, 1% of messages lost, and one slow
// validator whose every link takes 400 ms more. Each iteration simulates
// wanSeconds of network time. It reports, per size:
//
//	final-blocks    blocks every honest node finalized
//	fin-views-p50   views from a block's proposal to its commit at a node
//	fin-ms-p50/p99  simulated ms from proposal to commit at a node
//	msgs/blk/val    messages a validator receives per final block
//	KB/blk/val      payload KB a validator receives per final block
//	verifies/blk/val signature checks a validator makes per final block
//	cpu-ms/blk      process CPU (all simulated nodes) per final block
//
// Run: go test -run '^$' -bench BenchmarkWAN -benchtime 1x ./runtime/consensus/sim/
func BenchmarkWAN(b *testing.B) {
	for _, n := range []int{4, 16, 64, 100} {
		b.Run(fmt.Sprintf("validators=%d", n), func(b *testing.B) {
			var blocks, msgs, bytes, verifies uint64
			var fin []Finality
			var cpu time.Duration
			for i := range b.N {
				c0 := processCPU()
				s := wanSim(b, n, uint64(i+1))
				s.Run(wanSeconds * 1000 / wanTickMs)
				cpu += processCPU() - c0
				if s.Violation != nil {
					b.Fatal(s.Violation)
				}
				blocks += s.MinHonestCommitted()
				msgs += s.Delivered
				bytes += s.DeliveredBytes
				verifies += s.Verifies
				fin = append(fin, s.Finality...)
			}
			if blocks == 0 {
				b.Fatal("nothing finalized")
			}
			per := float64(blocks) * float64(n)
			b.ReportMetric(float64(blocks)/float64(b.N), "final-blocks")
			b.ReportMetric(float64(pct(fin, 50, func(f Finality) uint64 { return f.Views })), "fin-views-p50")
			b.ReportMetric(float64(pct(fin, 50, func(f Finality) uint64 { return f.Ticks })*wanTickMs), "fin-ms-p50")
			b.ReportMetric(float64(pct(fin, 99, func(f Finality) uint64 { return f.Ticks })*wanTickMs), "fin-ms-p99")
			b.ReportMetric(float64(msgs)/per, "msgs/blk/val")
			b.ReportMetric(float64(bytes)/per/1024, "KB/blk/val")
			b.ReportMetric(float64(verifies)/per, "verifies/blk/val")
			b.ReportMetric(float64(cpu.Milliseconds())/float64(blocks), "cpu-ms/blk")
		})
	}
}

const (
	wanTickMs  = 10
	wanSeconds = 30
)

// wanSim builds the simulated WAN of BenchmarkWAN.
func wanSim(b *testing.B, validators int, seed uint64) *Sim {
	slow := validators - 1
	s, err := New(Options{Seed: seed, Validators: validators, Tick: wanTickMs * time.Millisecond,
		// A view waits for a block time of 100 ms, then 1 s for a silent
		// leader (x2 backoff, capped at x8).
		BlockTimeTicks: 10, BaseTimeoutTicks: 110, MaxBackoffExp: 3,
		Network: Network{DropP: 0.01, Delay: func(rng *rand.Rand, from, to int) uint64 {
			d := 5 + rng.Uint64N(16) // 50-200 ms
			if from == slow || to == slow {
				d += 40
			}
			return d
		}}})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func pct(fs []Finality, p int, f func(Finality) uint64) uint64 {
	if len(fs) == 0 {
		return 0
	}
	v := make([]uint64, len(fs))
	for i := range fs {
		v[i] = f(fs[i])
	}
	slices.Sort(v)
	return v[min(len(v)-1, len(v)*p/100)]
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
