//go:build race

package ext4_test

// raceEnabled is set under the race detector, which makes the property
// tests too slow at their full count.
const raceEnabled = true
