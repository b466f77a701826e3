//go:build race

package ext4

// raceOn: the race detector slows the crash tests' image copies down
// several times; they sample fewer cuts of the random model.
const raceOn = true
