package sample

import (
	"encoding/json"
	"testing"
)

func TestAppendStringIsJSON(t *testing.T) {
	in := "a\"b\\c\n\x01é\xff"
	var out string
	if err := json.Unmarshal(AppendString(nil, in), &out); err != nil {
		t.Fatal(err)
	}
	if out != "a\"b\\c\n\x01é\uFFFD" {
		t.Errorf("round trip gave %q", out)
	}
}

func TestStatusKB(t *testing.T) {
	status := "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n"
	if got := statusKB([]byte(status), "VmRSS:"); got != 1024 {
		t.Errorf("VmRSS = %d", got)
	}
	if got := statusKB([]byte(status), "VmSwap:"); got != 0 {
		t.Errorf("VmSwap = %d", got)
	}
}

func TestSampleLine(t *testing.T) {
	var s Sampler
	s.Init()
	defer s.Close()
	var j Line
	s.AppendSample(&j, 1500000000, "tick", "warmup", 7)
	var got struct {
		Type     string             `json:"type"`
		T        float64            `json:"t"`
		Event    string             `json:"event"`
		Phase    string             `json:"phase"`
		Ops      uint64             `json:"ops"`
		MemStats map[string]any     `json:"memstats"`
		Metrics  map[string]float64 `json:"metrics"`
		RSS      uint64             `json:"rss_bytes"`
	}
	if err := json.Unmarshal(j.Finish(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "sample" || got.T != 1.5 || got.Event != "tick" || got.Phase != "warmup" || got.Ops != 7 {
		t.Errorf("header = %+v", got)
	}
	if len(got.MemStats) != 9 || len(got.Metrics) != s.NumMetrics() || s.NumMetrics() == 0 {
		t.Errorf("%d memstats, %d metrics (want 9, %d)", len(got.MemStats), len(got.Metrics), s.NumMetrics())
	}
}

func TestSampleDoesNotAllocate(t *testing.T) {
	var s Sampler
	s.Init()
	defer s.Close()
	var j Line
	j.Grow(4096)
	if n := testing.AllocsPerRun(20, func() { s.AppendSample(&j, 1, "tick", "measure", 1) }); n != 0 {
		t.Errorf("AppendSample allocates %v times", n)
	}
}
