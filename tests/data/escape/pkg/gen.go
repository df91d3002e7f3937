package escpkg

// boxAny is generic: each shape instantiation reports its own sites, so
// the same position appears more than once in the -m output.
func boxAny[T any](v T) any { return v }

// Boxes instantiates boxAny with two shapes.
func Boxes() (any, any) {
	return boxAny(1), boxAny("s")
}
