//go:build !race

package nsengine

const raceEnabled = false
