package main

import (
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPprofLoopbackOnly: profiles show memory and stacks, so --pprof-addr
// refuses any address that is not loopback, naming the flag.
func TestPprofLoopbackOnly(t *testing.T) {
	for _, bad := range []string{"0.0.0.0:6060", ":6060", "192.0.2.1:6060", "example.com:6060", "6060"} {
		_, err := serveConfig(t, nil, "--pprof-addr", bad)
		if err == nil || !strings.Contains(err.Error(), "pprof-addr") {
			t.Errorf("--pprof-addr %s: err = %v, want an error naming the flag", bad, err)
		}
	}
	for _, good := range []string{"127.0.0.1:6060", "127.0.0.77:0", "[::1]:6060", "localhost:6060"} {
		if cfg, err := serveConfig(t, nil, "--pprof-addr", good); err != nil || cfg.PprofAddr != good {
			t.Errorf("--pprof-addr %s: %v, got %q", good, err, cfg.PprofAddr)
		}
	}
	if cfg, err := serveConfig(t, nil); err != nil || cfg.PprofAddr != "" {
		t.Errorf("default --pprof-addr = %q (%v), want off", cfg.PprofAddr, err)
	}
}

// TestServePprof: with --pprof-addr, serve answers the profile index there
// (and not on the API's port).
func TestServePprof(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{
		"CALLROUTE_DATA_DIR":   filepath.Join(t.TempDir(), "data"),
		"CALLROUTE_HTTP_ADDR":  "127.0.0.1:0",
		"CALLROUTE_SIP_ADDR":   "127.0.0.1:0",
		"CALLROUTE_LOG_LEVEL":  "warn",
		"CALLROUTE_PPROF_ADDR": addr,
	}
	srv := startServe(t, env)
	base := srv.waitFor(t, regexp.MustCompile(`listening on (http://\S+)`))[1]
	srv.waitFor(t, regexp.MustCompile(`takes calls at`))

	resp, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatalf("GET the profile index: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Errorf("profile index: %d %.200s", resp.StatusCode, body)
	}
	if code, _ := get(t, base+"/debug/pprof/", ""); code == http.StatusOK {
		t.Errorf("the API's port serves profiles too")
	}
}
