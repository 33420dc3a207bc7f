//go:build race

package nsengine

// raceEnabled: the test binary was built with -race.
const raceEnabled = true
