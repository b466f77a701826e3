// Package bench holds mountkit's benchmarks, each measured against a peer
// in the same run: path resolution against afero's MemMapFs on the same
// tree. Run them with
//
//	go test -bench . -benchmem ./bench
//
// and read the ratios, not the absolute figures: they depend on the
// machine. Benchmarks are not pass/fail tests.
package bench
