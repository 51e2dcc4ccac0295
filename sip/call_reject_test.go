package sip

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// An INVITE whose offer we cannot take is refused before any routing: no
// lookup, no ringing, nothing left behind, and the server goes on serving.
func TestInviteRefusedBeforeRouting(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{})
	c := newClient(t, "127.0.0.1")
	g729 := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
	cases := []struct {
		name        string
		ctype, body string
		noTag       bool
		want        int
		header      string // a header the answer must carry
		value       string
	}{
		{name: "G.729 only", ctype: "application/sdp", body: g729, want: 488, header: "Warning", value: "305 "},
		{name: "not SDP", ctype: "text/plain", body: "hello", want: 415, header: "Accept", value: "application/sdp"},
		{name: "SDP with parameters", ctype: "Application/SDP; charset=x", body: g729, want: 488},
		{name: "broken SDP", ctype: "application/sdp", body: "v=0\r\nthis is not SDP\r\n", want: 400},
		{name: "no offer", want: 488, header: "Warning", value: "399 "},
		{name: "no From tag", ctype: "application/sdp", body: g729, noTag: true, want: 400},
	}
	for _, tc := range cases {
		req := sip.NewRequest(sip.INVITE, e.ts.uri("+4930500500"))
		from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: knownNumber, Host: "127.0.0.1"}, Params: sip.NewParams()}
		if !tc.noTag {
			from.Params.Add("tag", sip.GenerateTagN(8))
		}
		req.AppendHeader(from)
		req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5099}})
		if tc.ctype != "" {
			req.AppendHeader(sip.NewHeader("Content-Type", tc.ctype))
		}
		if tc.body != "" {
			req.SetBody([]byte(tc.body))
		}
		res := do(t, c, req)
		if res.StatusCode != tc.want {
			t.Errorf("%s: %s, want %d", tc.name, res.StartLine(), tc.want)
			continue
		}
		if tc.header != "" {
			if h := res.GetHeader(tc.header); h == nil || !strings.Contains(h.Value(), tc.value) {
				t.Errorf("%s: %s header %v", tc.name, tc.header, h)
			}
		}
	}
	if n := e.lookup.calls.Load(); n != 0 {
		t.Fatalf("%d refused calls were routed", n)
	}
	if res := do(t, c, sip.NewRequest(sip.OPTIONS, e.ts.uri(""))); res.StatusCode != 200 {
		t.Fatalf("OPTIONS after the refusals: %s", res.StartLine())
	}
	e.noDialogsLeft()
}

// In-dialog requests for no dialog get 481 before admission, even from a
// source that must authenticate a new INVITE (which still gets 401).
func TestInDialogRequestsWithoutDialog(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{config: func(c *Config) {
		c.Trunks = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
	}})
	c := newClient(t, "127.0.0.1")
	inDialog := func(m sip.RequestMethod) *sip.Request {
		req := sip.NewRequest(m, e.ts.uri("x"))
		from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "a", Host: "127.0.0.1"}, Params: sip.NewParams()}
		from.Params.Add("tag", "f1")
		to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "x", Host: "127.0.0.1"}, Params: sip.NewParams()}
		to.Params.Add("tag", "no-such-dialog")
		req.AppendHeader(from)
		req.AppendHeader(to)
		req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5099}})
		return req
	}
	for _, m := range []sip.RequestMethod{sip.INVITE, sip.BYE, sip.OPTIONS, sip.INFO} {
		if res := do(t, c, inDialog(m)); res.StatusCode != 481 {
			t.Errorf("%s in no dialog: %s, want 481", m, res.StartLine())
		}
	}
	if res := do(t, c, newInvite(e.ts)); res.StatusCode != 401 {
		t.Errorf("a new INVITE from a non-trunk: %s, want 401", res.StartLine())
	}
}

// A BYE for a live call from a foreign address (Call-ID and tags are sent
// in the clear) is refused; the call stays up.
func TestForeignSourceCannotEndCall(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{})
	owner := e.newPhone("201", testPassword, phoneAnswers)
	c := e.dial(knownNumber)
	c.answered()
	owner.waitEvent("ack")

	ua, err := sipgo.NewUA(sipgo.WithUserAgent("intruder"), sipgo.WithUserAgentHostname("127.0.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	if l, err := net.ListenPacket("udp", "127.0.0.2:0"); err != nil {
		t.Skipf("no 127.0.0.2 on this host: %v", err)
	} else {
		l.Close()
	}
	intruder, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.2"), sipgo.WithClientConnectionAddr("127.0.0.2:0"))
	if err != nil {
		t.Fatal(err)
	}
	bye := sip.NewRequest(sip.BYE, e.ts.uri(""))
	bye.AppendHeader(sip.HeaderClone(c.dlg.InviteRequest.From()))
	bye.AppendHeader(sip.HeaderClone(c.dlg.InviteResponse.To()))
	bye.AppendHeader(sip.HeaderClone(c.dlg.InviteRequest.CallID()))
	bye.AppendHeader(&sip.CSeqHeader{SeqNo: 99999, MethodName: sip.BYE})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := intruder.Do(ctx, bye)
	if err != nil || res.StatusCode != 481 {
		t.Fatalf("foreign BYE: %v %v", res, err)
	}
	time.Sleep(200 * time.Millisecond)
	if owner.has("bye") || c.gotBye() {
		t.Fatal("a foreign BYE ended the call")
	}
	c.hangup()
	owner.waitEvent("bye")
	e.noDialogsLeft()
}
