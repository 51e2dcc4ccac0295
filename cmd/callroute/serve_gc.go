package main

import (
	"bufio"
	"bytes"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// serveGCPercent is the garbage collector's target for serve when GOGC is
// not set: the heap may grow to 5 times what is live before a collection.
// Most of serve's live heap at high call rates is SIP transactions kept
// after they complete (an INVITE's until the call ends or Timer L, RFC
// 6026; a BYE's for Timer J, 32 s over UDP, RFC 3261 17.2.2), while each
// call allocates little that lives: collecting four times less often costs
// memory, not latency. The soft memory limit below
// makes the collector work harder again before memory runs short.
const serveGCPercent = 400

// tuneGC sets serve's GC target and a soft memory limit of half the
// machine's (or the container's) memory, unless GOGC or GOMEMLIMIT says
// otherwise: the operator's settings win.
func tuneGC(getenv func(string) string, logger *slog.Logger) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	total := memoryAvailable()
	if total <= 0 {
		return // no limit known: keep Go's defaults rather than risk running out
	}
	limit := total / 2
	debug.SetMemoryLimit(limit)
	debug.SetGCPercent(serveGCPercent)
	logger.Debug("garbage collector", "gogc", serveGCPercent, "memory_limit_mb", limit>>20)
}

// memoryAvailable is the memory this process may use: the cgroup's limit
// when one is set (v2 memory.max, v1 memory.limit_in_bytes), else the
// machine's MemTotal; 0 when unknown.
func memoryAvailable() int64 {
	total := memTotal()
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err == nil && n > 0 && (total == 0 || n < total) {
			total = n // "max" (v2) or a huge number (v1) mean no limit
		}
	}
	return total
}

func memTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
