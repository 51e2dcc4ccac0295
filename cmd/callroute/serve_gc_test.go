package main

import (
	"log/slog"
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC: serve collects less often, under a soft memory limit of half
// the machine's memory; GOGC or GOMEMLIMIT set by the operator win.
func TestTuneGC(t *testing.T) {
	percent := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	quiet := slog.New(slog.DiscardHandler)

	for _, env := range []map[string]string{{"GOGC": "150"}, {"GOMEMLIMIT": "1GiB"}} {
		tuneGC(func(k string) string { return env[k] }, quiet)
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("with %v set, GOGC became %d", env, got)
		}
	}

	tuneGC(func(string) string { return "" }, quiet)
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("GOGC = %d, want %d", got, serveGCPercent)
	}
	total := memoryAvailable()
	if total <= 0 {
		t.Fatal("the machine's memory is unknown")
	}
	if got := debug.SetMemoryLimit(-1); got != total/2 {
		t.Errorf("memory limit = %d, want half of %d", got, total)
	}
}
