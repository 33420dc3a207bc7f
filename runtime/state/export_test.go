package state

// SetHeadCacheMax bounds the account cache head shares with its successors,
// so a test can make it overflow.
func SetHeadCacheMax(head *State, n int) { head.heads.max = n }

// HeadCacheLen is how many accounts the cache head shares holds.
func HeadCacheLen(head *State) int {
	head.heads.mu.RLock()
	defer head.heads.mu.RUnlock()
	return len(head.heads.entries)
}
