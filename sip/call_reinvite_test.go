package sip

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"

	"callroute/media"
)

// The caller holds (sendonly) and resumes (sendrecv): each re-INVITE is
// answered, the hold is passed on to the phone, the short media timeouts do
// not fire while held, and audio flows again after the resume.
func TestHoldAndResumeKeepTheCall(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{media: func(m *MediaConfig) {
		m.InitialTimeout, m.Timeout = 2*time.Second, time.Second
	}})
	owner := e.newPhone("201", testPassword, phoneAnswers)
	c := e.dial(knownNumber)
	c.answered()
	owner.waitEvent("ack")

	code, dir := c.reinvite(media.SendOnly)
	if code != 200 || dir != media.RecvOnly {
		t.Fatalf("hold: %d %v, want 200 recvonly", code, dir)
	}
	owner.waitEvent("reinvite:sendonly")
	time.Sleep(1500 * time.Millisecond) // longer than the media timeout
	if c.gotBye() || owner.has("bye") {
		t.Fatal("the call ended while on hold")
	}

	code, dir = c.reinvite(media.SendRecv)
	if code != 200 || dir != media.SendRecv {
		t.Fatalf("resume: %d %v, want 200 sendrecv", code, dir)
	}
	owner.waitEvent("reinvite:sendrecv")
	time.Sleep(300 * time.Millisecond)
	heardTone(t, "caller after resume", c.media.hearFor(800*time.Millisecond), 440)
	heardTone(t, "phone after resume", owner.call().media.since(time.Now().Add(-800*time.Millisecond)), 1000)

	// A re-INVITE without SDP (a session refresh): our offer in the 2xx,
	// the answer in the ACK (RFC 3261 14.2, 13.2.1).
	target := c.dlg.InviteResponse.Contact().Address
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.dlg.Do(ctx, sip.NewRequest(sip.INVITE, target))
	if err != nil || res.StatusCode != 200 || !isSDP(res.ContentType()) {
		t.Fatalf("offerless re-INVITE: %v %v", res, err)
	}
	ans, _ := c.media.answerOffer(t, res.Body())
	ack := sip.NewRequest(sip.ACK, target)
	ack.SetBody(ans)
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	if err := c.dlg.WriteRequest(ack); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	heardTone(t, "caller after the refresh", c.media.hearFor(600*time.Millisecond), 440)
	c.hangup()
	owner.waitEvent("bye")
	e.noDialogsLeft()
}

// fakeReinviteLeg records what serveReinvite tells the leg.
type fakeReinviteLeg struct {
	done  chan struct{}
	noack bool
	holds []media.Direction
}

func (f *fakeReinviteLeg) legDone() <-chan struct{} { return f.done }
func (f *fakeReinviteLeg) contact() sip.ContactHeader {
	return sip.ContactHeader{Address: sip.Uri{Host: "127.0.0.1"}}
}
func (f *fakeReinviteLeg) logger() *slog.Logger { return quietLogger() }
func (f *fakeReinviteLeg) noAck()               { f.noack = true }
func (f *fakeReinviteLeg) holdChanged(d media.Direction) {
	f.holds = append(f.holds, d)
}

func reinviteReq(t *testing.T, cseq int, ctype, body string) *sip.Request {
	lines := []string{
		"INVITE sip:callroute@127.0.0.1 SIP/2.0",
		"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-re" + fmt.Sprint(cseq),
		"From: <sip:a@127.0.0.1>;tag=remote",
		"To: <sip:b@127.0.0.1>;tag=local",
		"Call-ID: reinvite-unit",
		fmt.Sprintf("CSeq: %d INVITE", cseq),
		"Contact: <sip:a@127.0.0.1:5070>",
	}
	if ctype != "" {
		lines = append(lines, "Content-Type: "+ctype)
	}
	lines = append(lines, fmt.Sprintf("Content-Length: %d", len(body)), "", body)
	req := parseRequest(t, lines...)
	req.SetSource("127.0.0.1:5070")
	req.SetTransport("UDP")
	return req
}

func offerSDP(port int, formats, dir string) string {
	return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		fmt.Sprintf("m=audio %d RTP/AVP %s\r\na=%s\r\n", port, formats, dir)
}

// Every refusal of a re-INVITE, and the glare rule (RFC 3261 14.2), in
// process: no socket but the RTP one.
func TestReinviteRefusals(t *testing.T) {
	ports, err := media.NewPortAllocator(netip.MustParseAddr("127.0.0.1"), 39000, 39099, media.WithDrainTime(0))
	if err != nil {
		t.Fatal(err)
	}
	defer ports.Close()
	sess, err := media.NewSession(ports, media.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	caps := media.DefaultCapabilities()
	local := media.NewLocalSDP(netip.MustParseAddr("127.0.0.1"), sess.LocalPort())
	offer, _ := media.ParseSDP([]byte(offerSDP(4000, "0", "sendrecv")))
	neg, _ := media.NegotiateOffer(offer, caps, media.SendRecv)
	sess.Apply(neg)
	dm := newDialogMedia(sess, caps, local, neg, nil)
	dm.setRemoteCSeq(10)
	leg := &fakeReinviteLeg{done: make(chan struct{})}
	warn := func(code int, text string) sip.Header {
		return sip.NewHeader("Warning", fmt.Sprintf("%d x %q", code, text))
	}

	// Every case is refused, so serveReinvite returns once it answered.
	serve := func(req *sip.Request) *sip.Response {
		tx := siptest.NewServerTxRecorder(req)
		defer tx.Terminate()
		r := &request{ctx: context.Background(), req: req, tx: &trackedTx{ServerTransaction: tx}, log: quietLogger()}
		serveReinvite(r, dm, leg, warn)
		res := tx.Result()
		if len(res) == 0 {
			t.Fatal("no response to the re-INVITE")
		}
		return res[len(res)-1]
	}
	cases := []struct {
		name        string
		cseq        int
		ctype, body string
		setup       func()
		want        int
	}{
		{"lower CSeq", 9, "application/sdp", offerSDP(4000, "0", "sendonly"), nil, 500},
		{"not SDP", 11, "text/plain", "hello", nil, 415},
		{"bad SDP", 12, "application/sdp", "v=0\r\nnonsense\r\n", nil, 400},
		{"G.729 only", 13, "application/sdp", offerSDP(4000, "18", "sendonly"), nil, 488},
		{"glare", 14, "application/sdp", offerSDP(4000, "0", "sendonly"), func() { dm.outgoing = true }, 491},
		{"another in progress", 15, "application/sdp", offerSDP(4000, "0", "sendonly"),
			func() { dm.outgoing = false; dm.incoming = &pendingAck{cseq: 1} }, 500},
	}
	for _, tc := range cases {
		if tc.setup != nil {
			dm.mu.Lock()
			tc.setup()
			dm.mu.Unlock()
		}
		res := serve(reinviteReq(t, tc.cseq, tc.ctype, tc.body))
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.want)
		}
		switch tc.want {
		case 415:
			if h := res.GetHeader("Accept"); h == nil || h.Value() != "application/sdp" {
				t.Errorf("%s: Accept %v", tc.name, h)
			}
		case 488:
			if res.GetHeader("Warning") == nil {
				t.Errorf("%s: no Warning", tc.name)
			}
		case 500:
			if tc.name == "another in progress" && res.GetHeader("Retry-After") == nil {
				t.Errorf("%s: no Retry-After", tc.name)
			}
		}
	}
	// None of the refused offers changed the session (RFC 3261 14.2).
	if dm.onHold() || sess.Codec().Name != "PCMU" || len(leg.holds) != 0 {
		t.Fatalf("session changed by refused offers: hold %v codec %v holds %v", dm.onHold(), sess.Codec(), leg.holds)
	}
}
