package sip

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callroute/media"
)

// BenchmarkCall drives whole calls through the call layer over loopback: a
// known caller's INVITE (100, 183 with ringback, 200 once the phone
// answered, ACK), the INVITE to the owner's phone (180, 200, ACK), the
// caller's BYE and ours to the phone. allocs/op is the whole process's per
// call, the lean test peers and the routing layer included: compare it
// between commits, and use -memprofile to see this package's share.
func BenchmarkCall(b *testing.B) {
	e := newCallEnv(b, envOpts{})
	phone := newBenchPhone(b, e, "201", testPassword)
	caller := newBenchCaller(b, e)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		caller.call(b, phone)
	}
	b.StopTimer()
	e.noDialogsLeft()
}

// benchPhone is a registered phone that answers at once with a fixed SDP
// answer and sends no RTP: as little test work per call as can be.
type benchPhone struct {
	tb   testing.TB
	peer *peerUA
	m    *peerMedia
	user string

	mu     sync.Mutex
	answer []byte
	dlgs   map[string]*sipgo.DialogServerSession
	byes   chan struct{}
}

func newBenchPhone(tb testing.TB, e *callEnv, user, password string) *benchPhone {
	p := &benchPhone{tb: tb, user: user, dlgs: map[string]*sipgo.DialogServerSession{}, byes: make(chan struct{}, 1)}
	p.peer = newPeerUA(tb, "phone-"+user, func(s *sipgo.Server) {
		s.OnInvite(p.onInvite)
		s.OnAck(p.onAck)
		s.OnBye(p.onBye)
	})
	p.m = newPeerMedia(tb, e.peers)
	req := newRegister(e.ts, user, p.peer.port)
	res := do(tb, p.peer.cli, req)
	ok, err := p.peer.cli.DoDigestAuth(context.Background(), req, res, sipgo.DigestAuth{Username: user, Password: password})
	if err != nil || ok.StatusCode != 200 {
		tb.Fatalf("register %s: %v %v", user, ok, err)
	}
	return p
}

func (p *benchPhone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	dua := sipgo.DialogUA{Client: p.peer.cli, ContactHDR: p.peer.contact(p.user)}
	dlg, err := dua.ReadInvite(req, tx)
	if err != nil {
		return
	}
	_ = dlg.Respond(sip.StatusRinging, "Ringing", nil)
	p.mu.Lock()
	if p.answer == nil { // every offer of the benchmark is the same
		p.answer, _ = p.m.answerOffer(p.tb, req.Body())
	}
	answer := p.answer
	p.dlgs[dlg.ID] = dlg
	p.mu.Unlock()
	_ = dlg.RespondSDP(answer)
}

func (p *benchPhone) dialog(req *sip.Request) *sipgo.DialogServerSession {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dlgs[id]
}

func (p *benchPhone) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if d := p.dialog(req); d != nil {
		_ = d.ReadAck(req, tx)
	}
}

func (p *benchPhone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	d := p.dialog(req)
	if d == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	_ = d.ReadBye(req, tx)
	p.mu.Lock()
	delete(p.dlgs, d.ID)
	p.mu.Unlock()
	p.byes <- struct{}{}
}

// benchCaller is a trunk on one socket that calls the same offer each time.
type benchCaller struct {
	e     *callEnv
	peer  *peerUA
	offer []byte
}

func newBenchCaller(tb testing.TB, e *callEnv) *benchCaller {
	c := &benchCaller{e: e}
	c.peer = newPeerUA(tb, "caller", func(s *sipgo.Server) {
		s.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	})
	m := newPeerMedia(tb, e.peers)
	var err error
	if c.offer, err = media.BuildOffer(m.local, m.caps, media.SendRecv); err != nil {
		tb.Fatal(err)
	}
	return c
}

// call makes one call from knownNumber, answered by phone, hung up by the
// caller, and waits until the call layer has let go of it.
func (c *benchCaller) call(tb testing.TB, phone *benchPhone) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := sip.NewRequest(sip.INVITE, c.e.ts.uri("+4930500500"))
	f := &sip.FromHeader{DisplayName: "Caller", Address: sip.Uri{Scheme: "sip", User: knownNumber, Host: "127.0.0.1"}}
	f.Params = sip.NewParams()
	f.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(f)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(c.offer)
	dua := sipgo.DialogUA{Client: c.peer.cli, ContactHDR: c.peer.contact("caller")}
	dlg, err := dua.WriteInvite(ctx, req)
	if err != nil {
		tb.Fatal(err)
	}
	defer dlg.Close()
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		tb.Fatalf("call not answered: %v", err)
	}
	if err := dlg.Ack(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := dlg.Bye(ctx); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-phone.byes:
	case <-ctx.Done():
		tb.Fatal("no BYE reached the phone")
	}
	callID := req.CallID().Value()
	for {
		if _, ok := c.e.rec.get(callID); ok && c.e.ts.LiveDialogs() == 0 {
			return
		}
		if ctx.Err() != nil {
			tb.Fatal("the call did not end")
		}
		time.Sleep(time.Millisecond)
	}
}
