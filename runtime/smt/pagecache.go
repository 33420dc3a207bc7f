package smt

import "sync"

// PageCache keeps pages decoded and hash-checked, by page root hash and
// depth, for the commits of trees opened WithPageCache: a commit reads every
// page on a changed path, and a tree committed after every small change
// (a namespace's trees, once per entry) reads the pages its previous commit
// wrote. A node's hash fixes its contents, so a cached page is the stored
// one whichever tree, namespace or version reaches it; nodes in memory are
// never modified, so trees share them. Commits only: Get and Prove read the
// store.
//
// The cache is bounded: it holds two generations of at most max pages each,
// and a hit in the older one moves the page to the newer.
type PageCache struct {
	mu       sync.Mutex
	max      int
	cur, old map[pageKey]*inode
}

type pageKey struct {
	hash  [HashSize]byte
	depth int
}

// NewPageCache returns a cache of about 2 x max pages (0: 1<<14).
func NewPageCache(max int) *PageCache {
	if max <= 0 {
		max = 1 << 14
	}
	return &PageCache{max: max, cur: map[pageKey]*inode{}}
}

// WithPageCache makes the tree's commits read and fill c.
func WithPageCache(c *PageCache) Option {
	return func(t *Tree) error {
		t.pages = c
		return nil
	}
}

func (c *PageCache) get(h *[HashSize]byte, depth int) *inode {
	k := pageKey{*h, depth}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.cur[k]; ok {
		return n
	}
	if n, ok := c.old[k]; ok {
		c.putLocked(k, n)
		return n
	}
	return nil
}

func (c *PageCache) put(h *[HashSize]byte, depth int, n *inode) {
	c.mu.Lock()
	c.putLocked(pageKey{*h, depth}, n)
	c.mu.Unlock()
}

func (c *PageCache) putLocked(k pageKey, n *inode) {
	if len(c.cur) >= c.max {
		c.old, c.cur = c.cur, make(map[pageKey]*inode, c.max)
	}
	c.cur[k] = n
}
