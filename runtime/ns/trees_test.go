package ns

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestRunAll(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	for _, parallel := range []bool{false, true} {
		var ran atomic.Int32
		var order []int
		task := func(i int, err error) func() error {
			return func() error {
				ran.Add(1)
				if !parallel {
					order = append(order, i)
				}
				return err
			}
		}
		if err := runAll([]func() error{task(0, nil), task(1, nil), task(2, nil)}, parallel); err != nil || ran.Load() != 3 {
			t.Fatalf("parallel=%v: err %v, %d of 3 ran", parallel, err, ran.Load())
		}
		if !parallel && (len(order) != 3 || order[0] != 0 || order[1] != 1 || order[2] != 2) {
			t.Fatalf("sequential order %v", order)
		}
		// The first error in task order, whichever finishes first.
		if err := runAll([]func() error{task(0, nil), task(1, errA), task(2, errB)}, parallel); err != errA {
			t.Fatalf("parallel=%v: %v, want the first error in task order", parallel, err)
		}
	}
	if err := runAll(nil, true); err != nil {
		t.Fatal(err)
	}
}
