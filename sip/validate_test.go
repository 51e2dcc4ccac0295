package sip

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// Header names match case-insensitively, like sipgo's GetHeader: a
// duplicate, a scanner's User-Agent or a Require in any case is caught.
func TestCheckHeaderNamesAnyCase(t *testing.T) {
	ip := newInProcess(t)
	options := func(extra ...string) *sip.Request {
		lines := append([]string{"OPTIONS sip:127.0.0.1 SIP/2.0",
			"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-case",
			"From: <sip:a@127.0.0.1>;tag=1", "To: <sip:127.0.0.1>", "Call-ID: case-1",
			"CSeq: 1 OPTIONS", "Max-Forwards: 70"}, extra...)
		return parseRequest(t, append(lines, "Content-Length: 0", "", "")...)
	}
	for _, tt := range []struct {
		extra []string
		drop  bool
		code  int
		why   string
	}{
		{extra: []string{"expires: 60", "EXPIRES: 70"}, code: 400, why: "duplicate Expires"},
		{extra: []string{"call-id: case-2"}, code: 400, why: "duplicate Call-ID"},
		{extra: []string{"user-agent: friendly-scanner"}, drop: true, why: "scanner user agent"},
		{extra: []string{"User-Agent: ok/1", "User-Agent: sipvicious"}}, // the first one counts
		{extra: []string{"REQUIRE: foo"}, code: 420, why: "require: foo"},
		{extra: []string{"Expires: 60", "X-Expires: 60"}},
	} {
		v := ip.s.check(options(tt.extra...))
		if v.drop != tt.drop || v.code != tt.code || v.why != tt.why {
			t.Errorf("%s: %+v, want drop %v code %d why %q", strings.Join(tt.extra, ", "), v, tt.drop, tt.code, tt.why)
		}
	}
}
