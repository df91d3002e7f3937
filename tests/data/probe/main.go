// Command probe reports what a process can do inside a gctune container, for the runner's tests, and
// misbehaves on request, for the fault tests (tests/test_faults.py).
//
//	probe inspect    print facts about the sandbox as JSON on stdout
//	probe sleep      sleep forever (timeout and signal tests)
//	probe alloc      allocate and touch memory until killed (OOM tests)
//	probe spin       churn garbage on a small live heap until stopped: a GC workload measured from gctrace
//	probe panic      panic at once
//	probe hang       ignore SIGTERM and sleep forever: only a SIGKILL ends it
//	probe flood [MiB] write MiB (default 80) of lines to stdout and to stderr as fast as it can, then exit 0
//	probe fork       start copies of itself (each sleeping) until the kernel refuses one
//	probe network    dial an outside address
//	probe writeroot  write a file at the root of the container's file system
//
// The fault modes exit 0 only when the fault did not happen (the network answered, the root was
// writable), so a test that expects the fault fails when the sandbox lets it through.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	mode := "inspect"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "inspect":
		inspect()
	case "sleep":
		fmt.Println(`{"type":"start"}`)
		time.Sleep(time.Hour)
	case "alloc":
		alloc()
	case "spin":
		spin()
	case "panic":
		panic("probe: deliberate panic")
	case "hang":
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
		time.Sleep(time.Hour)
	case "flood":
		flood()
	case "fork":
		fork()
	case "network":
		network()
	case "writeroot":
		writeRoot()
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		os.Exit(2)
	}
}

func inspect() {
	status, _ := os.ReadFile("/proc/self/status")
	fields := map[string]string{}
	for _, line := range strings.Split(string(status), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	writeErr := os.WriteFile("/probe-write-test", []byte("x"), 0o644)
	netdev, _ := os.ReadFile("/proc/net/dev")
	var ifaces []string
	for _, line := range strings.Split(string(netdev), "\n")[2:] {
		if name, _, ok := strings.Cut(line, ":"); ok {
			ifaces = append(ifaces, strings.TrimSpace(name))
		}
	}
	out := map[string]any{
		"uid":           fields["Uid"],
		"gid":           fields["Gid"],
		"cap_eff":       fields["CapEff"],
		"no_new_privs":  fields["NoNewPrivs"],
		"root_writable": writeErr == nil,
		"interfaces":    ifaces,
		"env":           os.Environ(),
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

func alloc() {
	debug.SetGCPercent(-1)
	var keep [][]byte
	for {
		block := make([]byte, 4<<20)
		for i := range block {
			block[i] = byte(i)
		}
		keep = append(keep, block)
		fmt.Printf("{\"type\":\"alloc\",\"mib\":%d}\n", len(keep)*4)
	}
}

// sink keeps the last allocation reachable so the compiler cannot drop it.
var sink []byte

func spin() {
	live := make([][]byte, 1024) // 4 MiB live, replaced slot by slot: GC has marking to do
	for i := 0; ; i++ {
		block := make([]byte, 4096)
		block[0] = byte(i)
		live[i%len(live)] = block
		sink = make([]byte, 512)
	}
}

func flood() {
	mib := 80
	if len(os.Args) > 2 {
		mib, _ = strconv.Atoi(os.Args[2])
	}
	line := strings.Repeat("x", 1023) + "\n"
	out, errOut := bufio.NewWriterSize(os.Stdout, 1<<16), bufio.NewWriterSize(os.Stderr, 1<<16)
	for i := 0; i < mib*1024; i++ {
		out.WriteString(line)
		errOut.WriteString(line)
	}
	out.Flush()
	errOut.Flush()
}

func fork() {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	for started := 0; ; started++ {
		if err := exec.Command(self, "sleep").Start(); err != nil {
			fmt.Fprintf(os.Stderr, "probe: fork refused after %d children: %v\n", started, err)
			os.Exit(3)
		}
	}
}

func network() {
	conn, err := net.DialTimeout("tcp", "192.0.2.1:80", 2*time.Second) // TEST-NET-1: never a real host
	if err != nil {
		fmt.Fprintf(os.Stderr, "probe: network: %v\n", err)
		os.Exit(4)
	}
	conn.Close()
	fmt.Fprintln(os.Stderr, "probe: network: connected")
}

func writeRoot() {
	if err := os.WriteFile("/probe-root-write", []byte("x"), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "probe: write /: %v\n", err)
		os.Exit(5)
	}
	fmt.Fprintln(os.Stderr, "probe: write /: written")
}
