package main

import (
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"callroute/media/audio"
	"callroute/sip/dialer/dialertest"
)

// dial calls a dialertest UAS in-process, as `callroute dial` would.

// heardRE finds what was heard during the talk (the summary says
// "talked N s, heard F Hz ..."), not the ringback before it.
var heardRE = regexp.MustCompile(`talked [0-9.]+ s, heard ([0-9.]+) Hz at -?[0-9.]+ dBFS`)

func TestDialAnswered(t *testing.T) {
	uas := dialertest.New(t, "udp", dialertest.Behaviour{RingFor: 50 * time.Millisecond})
	rec := filepath.Join(t.TempDir(), "heard.wav")
	r := run(t, map[string]string{"CALLROUTE_DURATION": "1s"}, "",
		"dial", "--from", "+40722000111", "--to", uas.URI(), "--tone", "800", "--record", rec)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	m := heardRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no frequency in %q", r.stdout)
	}
	if hz, _ := strconv.ParseFloat(m[1], 64); math.Abs(hz-440) > 5 {
		t.Errorf("heard %s Hz, want 440", m[1])
	}
	for _, want := range []string{"answered after ", "(100 after ", "180 after ", "PCMU", "talked 1.0 s",
		"packets sent", "received", "we hung up", "to " + rec} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q: %q", want, r.stdout)
		}
	}
	c, ok := uas.Next(5 * time.Second)
	if !ok {
		t.Fatal("the UAS saw no call")
	}
	if a := audio.Analyze(c.PCM); math.Abs(a.PeakHz-800) > 5 || c.From != "+40722000111" {
		t.Errorf("UAS heard %.1f Hz from %q", a.PeakHz, c.From)
	}
}

func TestDialFailed(t *testing.T) {
	busy := dialertest.New(t, "tcp", dialertest.Behaviour{Status: 486})
	r := run(t, nil, "", "dial", "--from", "100", "--to", busy.URI())
	if r.code != exitRuntime || !strings.Contains(r.stderr, "486 Busy Here") || !strings.Contains(r.stdout, "not answered: 486 Busy Here") {
		t.Errorf("busy: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	ringing := dialertest.New(t, "udp", dialertest.Behaviour{NoAnswer: true})
	r = run(t, nil, "", "dial", "--from", "100", "--to", ringing.URI(), "--ring-timeout", "300ms")
	if r.code != exitRuntime || !strings.Contains(r.stderr, "no answer within 300ms") || !strings.Contains(r.stdout, "cancelled") {
		t.Errorf("no answer: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if c, ok := ringing.Next(5 * time.Second); !ok || !c.Cancelled {
		t.Errorf("the UAS was not cancelled: %+v", c)
	}

	// The digest password from CALLROUTE_DIAL_PASSWORD; a wrong one fails.
	auth := dialertest.New(t, "udp", dialertest.Behaviour{Username: "201", Password: "right-password"})
	env := map[string]string{"CALLROUTE_DIAL_PASSWORD": "right-password"}
	r = run(t, env, "", "dial", "--from", "201", "--to", auth.URI(), "--duration", "200ms")
	if r.code != exitOK || !strings.Contains(r.stdout, "answered") {
		t.Errorf("auth: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "", "dial", "--from", "201", "--to", auth.URI(), "--password", "wrong")
	if r.code != exitRuntime || !strings.Contains(r.stderr, "401 Unauthorized") {
		t.Errorf("wrong password: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestDialUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dial"}, "--from is required"},
		{[]string{"dial", "--from", "1", "--tone", "440", "--play", "a.wav"}, "not both"},
		{[]string{"dial", "--from", "1", "--to", "mailto:x"}, "not a sip: URI"},
		{[]string{"dial", "--from", "1", "--transport", "sctp"}, "want udp or tcp"},
		{[]string{"dial", "--from", "1", "--duration", "0s"}, "must be positive"},
		{[]string{"dial", "--from", "1", "--tone", "9000"}, "tone 9000 Hz"},
		{[]string{"dial", "--from", "1", "extra"}, "want 0 argument(s)"},
	} {
		r := run(t, nil, "", tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if got := defaultDialTarget("0.0.0.0:5070"); got != "sip:callroute@127.0.0.1:5070" {
		t.Errorf("default target %q", got)
	}
	if got := defaultDialTarget("[::]:5060"); got != "sip:callroute@[::1]:5060" {
		t.Errorf("default target %q", got)
	}
}
