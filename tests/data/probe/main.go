// Command probe reports what a process can do inside a gctune container, for the runner's tests.
//
//	probe inspect   print facts about the sandbox as JSON on stdout
//	probe sleep     sleep forever (timeout and signal tests)
//	probe alloc     allocate and touch memory until killed (OOM tests)
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
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
