//go:build !unix

package sample

// rusage has no getrusage to read outside Unix; rusage_cpu_s reads 0
// there, so programs that import the package still build everywhere.
type rusage struct{}

func (r *rusage) cpuNs() int64 { return 0 }
