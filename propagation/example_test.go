package propagation_test

import (
	"fmt"

	"github.com/mountkit/mountkit/propagation"
)

// Two peers and a slave: unmounting-style removal of one peer hands the
// slave on to the other.
func ExampleChange() {
	var groups propagation.Groups
	var a, b, s propagation.Node[string]
	a.Init("a")
	b.Init("b")
	s.Init("s")
	propagation.Change(&groups, &a, propagation.Shared)
	propagation.Clone(&groups, &a, &b, 0)                      // b: a peer of a
	propagation.Clone(&groups, &a, &s, propagation.CloneSlave) // s: a slave of a
	fmt.Println(a.Group(), b.Group(), s.Master().Value)

	propagation.Change(&groups, &a, propagation.Private)
	fmt.Println(a.Shared(), s.Master().Value)
	// Output:
	// 1 1 a
	// false b
}
