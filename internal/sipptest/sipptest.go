// Package sipptest finds SIPp, the real SIP peer of callroute's SIP tests.
package sipptest

import (
	"os"
	"os/exec"
	"testing"
)

// Path finds sipp (Debian package sip-tester). Missing locally, the test
// is skipped; missing in CI (CI=true), it fails, so CI never passes by
// skipping.
func Path(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("sipp not found; CI must install it (apt-get install -y sip-tester)")
		}
		t.Skip("sipp not installed (apt-get install -y sip-tester)")
	}
	return path
}
