package dialer_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"callroute/sip/dialer"
	"callroute/sip/dialer/dialertest"
)

// The calls that fail, and the responses that make no sense.

func TestBusy(t *testing.T) {
	t.Parallel()
	uas := dialertest.New(t, "udp", dialertest.Behaviour{Status: 486})
	rep, err := dial(t, t.Context(), uas, dialer.Options{})
	var se *dialer.StatusError
	if !errors.As(err, &se) || se.Status != 486 || !strings.Contains(err.Error(), "486 Busy Here") {
		t.Fatalf("err %v, want 486 Busy Here", err)
	}
	if rep == nil || rep.Answered || rep.FinalStatus != 486 || rep.FinalReason != "Busy Here" || rep.HungUp != "" {
		t.Fatalf("report %+v", rep)
	}
	if s := rep.Summary(); !strings.Contains(s, "not answered: 486 Busy Here") {
		t.Errorf("summary %q", s)
	}
}

func TestNoAnswerCancels(t *testing.T) {
	t.Parallel()
	uas := dialertest.New(t, "udp", dialertest.Behaviour{NoAnswer: true})
	start := time.Now()
	rep, err := dial(t, t.Context(), uas, dialer.Options{RingTimeout: 500 * time.Millisecond})
	if !errors.Is(err, dialer.ErrNoAnswer) {
		t.Fatalf("err %v, want no answer", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if rep.FinalStatus != 487 || rep.Answered {
		t.Errorf("final %d, answered %v; want 487 after our CANCEL", rep.FinalStatus, rep.Answered)
	}
	if c := next(t, uas); !c.Cancelled || c.Answered {
		t.Errorf("UAS: %+v, want cancelled", c)
	}
}

func TestCancelWhenCtxEnds(t *testing.T) {
	t.Parallel()
	uas := dialertest.New(t, "udp", dialertest.Behaviour{NoAnswer: true})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := dial(t, ctx, uas, dialer.Options{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the context's", err)
	}
	if c := next(t, uas); !c.Cancelled {
		t.Errorf("UAS: %+v, want cancelled", c)
	}
}

func TestByeWhenCtxEndsDuringTalk(t *testing.T) {
	t.Parallel()
	uas := dialertest.New(t, "udp", dialertest.Behaviour{})
	ctx, cancel := context.WithTimeout(t.Context(), 700*time.Millisecond)
	defer cancel()
	rep, err := dial(t, ctx, uas, dialer.Options{Duration: 10 * time.Second})
	if !errors.Is(err, context.DeadlineExceeded) || !rep.Answered || rep.HungUp != dialer.HungUpLocal {
		t.Fatalf("err %v, report %+v", err, rep)
	}
	if c := next(t, uas); !c.ByeReceived {
		t.Errorf("UAS: no BYE: %+v", c)
	}
}

func TestAnswerWithoutSDP(t *testing.T) {
	t.Parallel()
	uas := dialertest.New(t, "udp", dialertest.Behaviour{NoSDP: true})
	rep, err := dial(t, t.Context(), uas, dialer.Options{})
	if err == nil || !strings.Contains(err.Error(), "no SDP") {
		t.Fatalf("err %v, want no SDP", err)
	}
	if rep.HungUp != dialer.HungUpLocal {
		t.Errorf("hung up %q", rep.HungUp)
	}
	if c := next(t, uas); !c.ByeReceived {
		t.Errorf("UAS: no BYE after the bad answer: %+v", c)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []dialer.Options{
		{To: "sip:a@127.0.0.1"},
		{From: "1", To: "127.0.0.1:5060"},
		{From: "1", To: "sips:a@127.0.0.1"},
		{From: "1\r\nX: y", To: "sip:a@127.0.0.1"},
		{From: "1", To: "sip:a@127.0.0.1", Transport: "sctp"},
		{From: "1", To: "sip:a@127.0.0.1", Tone: 440, Play: "x.wav"},
		{From: "1", To: "sip:a@127.0.0.1", Tone: 5000},
		{From: "1", To: "sip:a@127.0.0.1", LocalAddr: "localhost"},
		{From: "1", To: "sip:a@127.0.0.1", RTPPorts: "9-1"},
	} {
		if _, err := dialer.Dial(t.Context(), o); !errors.Is(err, dialer.ErrBadOptions) {
			t.Errorf("%+v: err %v, want bad options", o, err)
		}
	}
	_, err := dialer.Dial(t.Context(), dialer.Options{From: "1", To: "sip:a@127.0.0.1", Play: filepath.Join(t.TempDir(), "none.wav")})
	if err == nil || errors.Is(err, dialer.ErrBadOptions) {
		t.Errorf("missing file: %v", err)
	}
}

// oddPhone answers INVITEs over raw UDP with responses a real phone should
// not send: a 180 without a To tag, a 183 whose body is not SDP, then a
// 200 without Contact whose SDP offers no codec we have. It answers BYE.
type oddPhone struct {
	conn net.PacketConn
	done chan struct{}
	mu   sync.Mutex
	got  []string // methods received
}

func newOddPhone(t *testing.T) *oddPhone {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &oddPhone{conn: conn, done: make(chan struct{})}
	go p.serve()
	t.Cleanup(func() { conn.Close(); <-p.done })
	return p
}

func (p *oddPhone) serve() {
	defer close(p.done)
	buf := make([]byte, 65535)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		msg, err := sip.ParseMessage(buf[:n])
		req, ok := msg.(*sip.Request)
		if err != nil || !ok {
			continue
		}
		p.mu.Lock()
		p.got = append(p.got, string(req.Method))
		p.mu.Unlock()
		send := func(code int, reason string, tag bool, body string) {
			res := sip.NewResponseFromRequest(req, code, reason, nil)
			if tag {
				res.To().Params.Add("tag", "odd")
			}
			if body != "" {
				res.SetBody([]byte(body))
				res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			}
			_, _ = p.conn.WriteTo([]byte(res.String()), from)
		}
		switch req.Method {
		case sip.INVITE:
			send(180, "Ringing", false, "")
			send(183, "Session Progress", true, "this is not SDP")
			send(200, "OK", true, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n")
		case sip.BYE:
			send(200, "OK", false, "")
		}
	}
}

func (p *oddPhone) methods() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got...)
}

func TestOddResponses(t *testing.T) {
	t.Parallel()
	p := newOddPhone(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	rep, err := dialer.Dial(ctx, dialer.Options{From: "100", To: "sip:odd@" + p.conn.LocalAddr().String(), Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "no common codec") {
		t.Fatalf("err %v, want no common codec", err)
	}
	if rep.Answered || rep.HungUp != dialer.HungUpLocal || rep.FinalStatus != 200 {
		t.Errorf("report %+v", rep)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(strings.Join(p.methods(), " "), "ACK BYE") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := strings.Join(p.methods(), " "); got != "INVITE ACK BYE" {
		t.Errorf("the phone got %q, want INVITE ACK BYE", got)
	}
}

func TestReInviteAnswered(t *testing.T) {
	t.Parallel()
	uas := dialertest.New(t, "udp", dialertest.Behaviour{ReInvite: true})
	if _, err := dial(t, t.Context(), uas, dialer.Options{Duration: 500 * time.Millisecond}); err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := next(t, uas)
	if c.ReInviteStatus != 200 || c.ReInviteDirection != "recvonly" {
		t.Errorf("re-INVITE (hold): %d %q, want 200 recvonly", c.ReInviteStatus, c.ReInviteDirection)
	}
}

func TestNoResponse(t *testing.T) {
	t.Parallel()
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	start := time.Now()
	rep, err := dialer.Dial(t.Context(), dialer.Options{From: "100", To: "sip:x@" + silent.LocalAddr().String(),
		RingTimeout: 300 * time.Millisecond, Logger: testLogger(t)})
	if !errors.Is(err, dialer.ErrNoResponse) || rep.Summary() != "not answered: no response" {
		t.Fatalf("err %v, summary %q", err, rep.Summary())
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
}
