package session

import (
	"net/http"
	"testing"
)

func TestSource(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:5123":             "192.0.2.7",
		"[::ffff:192.0.2.7]:5123":    "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:80":  "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":          "fe80::/64",
		"not an address":             "not an address",
		"[2001:db8:1:3::9]:1":        "2001:db8:1:3::/64",
	} {
		if got := Source(&http.Request{RemoteAddr: remote}); got != want {
			t.Errorf("Source(%q) = %q, want %q", remote, got, want)
		}
	}
}

func TestCookieNames(t *testing.T) {
	if got := New(nil, true, nil).CookieName(); got != "__Host-callroute_session" {
		t.Errorf("HTTPS cookie name %q", got)
	}
	if got := New(nil, false, nil).CookieName(); got != "callroute_session" {
		t.Errorf("HTTP cookie name %q", got)
	}
}
