//go:build unix

package sample

import "syscall"

// rusage reads the process's CPU time with getrusage into a reused struct.
type rusage struct{ ru syscall.Rusage }

// cpuNs returns user + system CPU nanoseconds of the whole process. On
// failure the previous reading is returned.
func (r *rusage) cpuNs() int64 {
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r.ru)
	return r.ru.Utime.Nano() + r.ru.Stime.Nano()
}
