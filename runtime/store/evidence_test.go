package store

import (
	"errors"
	"sync"
	"testing"

	"github.com/oramanetwork/orama-chain/generated/types"
)

func evAddr(i int) (a types.Address) {
	a[0] = byte(i >> 8)
	a[19] = byte(i)
	return
}

// ev is evidence of validator i for view; tag makes its messages distinct.
func ev(i int, view uint64, kind types.EvidenceKind, tag byte) *types.Evidence {
	return &types.Evidence{Kind: kind, Validator: evAddr(i), View: view, First: types.Bytes{1, tag}, Second: types.Bytes{2, tag}}
}

func mustPut(t *testing.T, s *Store, e *types.Evidence, want bool) {
	t.Helper()
	isNew, err := s.PutEvidence(e)
	if err != nil {
		t.Fatalf("PutEvidence(%v %s view %d): %v", e.Kind, e.Validator, e.View, err)
	}
	if isNew != want {
		t.Fatalf("PutEvidence(%v %s view %d) new = %v, want %v", e.Kind, e.Validator, e.View, isNew, want)
	}
}

func openMem(t *testing.T) *Store {
	t.Helper()
	s, err := Open("", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// listAll pages through the listing with limit per page.
func listAll(t *testing.T, s *Store, limit, maxBytes int) (all []types.Evidence, pages int) {
	t.Helper()
	var after *EvidenceCursor
	for {
		page, next, err := s.Evidence(after, limit, maxBytes)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page) == 0 && next != nil {
			t.Fatal("empty page with a next cursor")
		}
		all = append(all, page...)
		if next == nil {
			return all, pages
		}
		if last := page[len(page)-1]; next.View != last.View || next.Validator != last.Validator || next.Kind != last.Kind {
			t.Fatalf("next cursor %+v is not the last record's position", next)
		}
		after = next
		if pages > 10000 {
			t.Fatal("listing does not end")
		}
	}
}

// TestEvidenceStoredOnceAndListed: one record per (validator, view, kind),
// whichever pair of messages; listing is newest view first, pages resume
// after the cursor and the last page has no cursor; records survive a
// reopen.
func TestEvidenceStoredOnceAndListed(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if page, next, err := s.Evidence(nil, 10, 0); err != nil || len(page) != 0 || next != nil {
		t.Fatalf("empty store: %v, %v, %v", page, next, err)
	}
	mustPut(t, s, ev(1, 5, types.EvidenceKindDoubleVote, 0), true)
	// The same equivocation again, even through another pair, is no news.
	mustPut(t, s, ev(1, 5, types.EvidenceKindDoubleVote, 0), false)
	mustPut(t, s, ev(1, 5, types.EvidenceKindDoubleVote, 9), false)
	// Another kind, view or validator is.
	mustPut(t, s, ev(1, 5, types.EvidenceKindDoubleTimeout, 0), true)
	mustPut(t, s, ev(1, 7, types.EvidenceKindDoubleVote, 0), true)
	mustPut(t, s, ev(2, 5, types.EvidenceKindDoubleVote, 0), true)
	mustPut(t, s, ev(2, 1<<40, types.EvidenceKindDoubleProposal, 0), true)
	mustPut(t, s, ev(3, 0, types.EvidenceKindDoubleVote, 0), true)
	if total, props, err := s.EvidenceCount(evAddr(1)); err != nil || total != 3 || props != 0 {
		t.Fatalf("count of 1: %d, %d, %v", total, props, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustPut(t, s, ev(1, 5, types.EvidenceKindDoubleVote, 3), false) // still there

	want := []struct {
		view uint64
		v    int
		kind types.EvidenceKind
	}{
		{1 << 40, 2, types.EvidenceKindDoubleProposal},
		{7, 1, types.EvidenceKindDoubleVote},
		{5, 2, types.EvidenceKindDoubleVote},
		{5, 1, types.EvidenceKindDoubleTimeout},
		{5, 1, types.EvidenceKindDoubleVote},
		{0, 3, types.EvidenceKindDoubleVote},
	}
	for _, limit := range []int{1, 2, 4, 6, 100} {
		all, pages := listAll(t, s, limit, 0)
		if len(all) != len(want) {
			t.Fatalf("limit %d: %d records, want %d", limit, len(all), len(want))
		}
		if wantPages := (len(want) + limit - 1) / limit; pages != wantPages {
			t.Errorf("limit %d: %d pages, want %d (no empty last page)", limit, pages, wantPages)
		}
		for i, w := range want {
			g := all[i]
			if g.View != w.view || g.Validator != evAddr(w.v) || g.Kind != w.kind {
				t.Fatalf("limit %d: record %d is %v %s view %d, want %v %s view %d", limit, i, g.Kind, g.Validator, g.View, w.kind, evAddr(w.v), w.view)
			}
			if g.First[0] != 1 || g.Second[0] != 2 || g.First[1] != 0 {
				t.Fatalf("record %d: messages %x %x, want the first stored pair", i, g.First, g.Second)
			}
		}
	}
	// A byte bound cuts pages short, but never below one record.
	if all, pages := listAll(t, s, 100, 1); len(all) != len(want) || pages != len(want) {
		t.Fatalf("maxBytes 1: %d records in %d pages, want one a page", len(all), pages)
	}
	// A cursor that names no record resumes below its position.
	page, _, err := s.Evidence(&EvidenceCursor{View: 6}, 100, 0)
	if err != nil || len(page) != 4 || page[0].View != 5 {
		t.Fatalf("after view 6: %d records (%v)", len(page), err)
	}
	if _, _, err := s.Evidence(nil, 0, 0); err == nil {
		t.Fatal("limit 0 accepted")
	}
}

// TestEvidenceBound: a validator's records stop at MaxEvidencePerValidator,
// and DoubleProposal ones at MaxProposalEvidencePerValidator; beyond that
// PutEvidence reports ErrEvidenceLimit and writes nothing, repeats of stored
// records are still plain repeats, and other validators are not affected.
func TestEvidenceBound(t *testing.T) {
	s := openMem(t)
	for view := uint64(0); view < MaxProposalEvidencePerValidator; view++ {
		mustPut(t, s, ev(1, view, types.EvidenceKindDoubleProposal, 0), true)
	}
	if isNew, err := s.PutEvidence(ev(1, 1000, types.EvidenceKindDoubleProposal, 0)); isNew || !errors.Is(err, ErrEvidenceLimit) {
		t.Fatalf("proposal beyond its bound: %v, %v", isNew, err)
	}
	mustPut(t, s, ev(1, 0, types.EvidenceKindDoubleProposal, 1), false)
	for view := uint64(0); view < MaxEvidencePerValidator-MaxProposalEvidencePerValidator; view++ {
		mustPut(t, s, ev(1, view, types.EvidenceKindDoubleVote, 0), true)
	}
	for _, kind := range []types.EvidenceKind{types.EvidenceKindDoubleVote, types.EvidenceKindDoubleTimeout} {
		if isNew, err := s.PutEvidence(ev(1, 1<<20, kind, 0)); isNew || !errors.Is(err, ErrEvidenceLimit) {
			t.Fatalf("%v beyond the bound: %v, %v", kind, isNew, err)
		}
	}
	mustPut(t, s, ev(1, 3, types.EvidenceKindDoubleVote, 0), false)
	mustPut(t, s, ev(2, 3, types.EvidenceKindDoubleVote, 0), true)
	if total, props, err := s.EvidenceCount(evAddr(1)); err != nil || total != MaxEvidencePerValidator || props != MaxProposalEvidencePerValidator {
		t.Fatalf("count: %d, %d, %v", total, props, err)
	}
	all, _ := listAll(t, s, 100, 0)
	if len(all) != MaxEvidencePerValidator+1 {
		t.Fatalf("%d records listed, want %d", len(all), MaxEvidencePerValidator+1)
	}
}

// TestEvidenceConcurrentPuts: concurrent reports of the same equivocations
// store each once and count it once.
func TestEvidenceConcurrentPuts(t *testing.T) {
	s := openMem(t)
	var wg sync.WaitGroup
	news := make([]int, 8)
	for g := range news {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for view := uint64(0); view < 50; view++ {
				isNew, err := s.PutEvidence(ev(1, view, types.EvidenceKindDoubleVote, byte(g)))
				if err != nil {
					t.Error(err)
					return
				}
				if isNew {
					news[g]++
				}
			}
		}()
	}
	wg.Wait()
	sum := 0
	for _, n := range news {
		sum += n
	}
	if total, _, err := s.EvidenceCount(evAddr(1)); sum != 50 || total != 50 || err != nil {
		t.Fatalf("%d reported new, %d counted (%v), want 50", sum, total, err)
	}
}

// TestEvidenceRejectsUnencodable: evidence the codec refuses (an unknown
// kind) is an error, not a record.
func TestEvidenceRejectsUnencodable(t *testing.T) {
	s := openMem(t)
	if _, err := s.PutEvidence(ev(1, 1, 0, 0)); err == nil {
		t.Fatal("unknown kind stored")
	}
	if page, _, _ := s.Evidence(nil, 10, 0); len(page) != 0 {
		t.Fatal("a record was written")
	}
}
