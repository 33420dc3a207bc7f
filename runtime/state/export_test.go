package state

// SetHeadCacheMax bounds the account cache head shares with its successors,
// so a test can make it overflow.
func SetHeadCacheMax(head *State, n int) { head.heads.max = n }
