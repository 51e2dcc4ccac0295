package sip

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callroute/media"
	"callroute/media/audio"
	"callroute/media/g711"
)

// peerUA is a sipgo user agent on its own loopback UDP socket, used both
// to send (its client leaves from the socket) and to receive.
type peerUA struct {
	ua   *sipgo.UserAgent
	srv  *sipgo.Server
	cli  *sipgo.Client
	port int
}

// newPeerUA starts a user agent; setup registers its handlers before it
// serves.
func newPeerUA(t testing.TB, name string, setup func(*sipgo.Server)) *peerUA {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	setup(srv)
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { _ = srv.ServeUDP(conn); close(served) }()
	t.Cleanup(func() { conn.Close(); ua.Close(); <-served })
	addr := conn.LocalAddr().String()
	waitFor(t, name+" listening", 5*time.Second, func() bool {
		_, err := ua.TransportLayer().GetConnection("udp", addr)
		return err == nil
	})
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientConnectionAddr(addr))
	if err != nil {
		t.Fatal(err)
	}
	return &peerUA{ua: ua, srv: srv, cli: cli, port: conn.LocalAddr().(*net.UDPAddr).Port}
}

func (p *peerUA) contact(user string) sip.ContactHeader {
	return sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: p.port}}
}

// peerMedia is a test peer's RTP: it sends a tone and keeps what it hears.
type peerMedia struct {
	sess  *media.Session
	local *media.LocalSDP
	caps  media.Capabilities

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	heard     []heardFrame
	listening bool
}

type heardFrame struct {
	at  time.Time
	pcm []int16
}

func newPeerMedia(t testing.TB, ports *media.PortAllocator) *peerMedia {
	t.Helper()
	sess, err := media.NewSession(ports, media.WithMediaTimeouts(0, 0), media.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	m := &peerMedia{sess: sess, local: media.NewLocalSDP(netip.MustParseAddr("127.0.0.1"), sess.LocalPort()),
		caps: media.DefaultCapabilities()}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	t.Cleanup(m.close)
	return m
}

// start lets RTP in, records it and sends a tone of hz (none when 0).
func (m *peerMedia) start(hz float64) {
	m.listen()
	if hz > 0 {
		m.wg.Go(func() { _ = media.Play(m.ctx, m.sess, audio.NewTone(hz, -10)) })
	}
}

// listen lets RTP in and records it (once).
func (m *peerMedia) listen() {
	m.mu.Lock()
	if m.listening {
		m.mu.Unlock()
		return
	}
	m.listening = true
	m.mu.Unlock()
	m.sess.Start()
	m.wg.Go(func() {
		for {
			p, err := m.sess.ReadRTP(m.ctx)
			if err != nil {
				return
			}
			c := m.sess.Codec()
			if p.PayloadType != c.PayloadType || len(p.Payload) == 0 {
				continue
			}
			pcm := g711.Decode(nil, c.Law(), p.Payload)
			m.mu.Lock()
			m.heard = append(m.heard, heardFrame{at: time.Now(), pcm: pcm})
			m.mu.Unlock()
		}
	})
}

// since returns the audio heard after t.
func (m *peerMedia) since(t time.Time) []int16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int16
	for _, f := range m.heard {
		if f.at.After(t) {
			out = append(out, f.pcm...)
		}
	}
	return out
}

// hearFor returns d of audio heard from now on: it waits d, and longer
// (up to 3 s more) while packets are late on a loaded machine.
func (m *peerMedia) hearFor(d time.Duration) []int16 {
	from := time.Now()
	time.Sleep(d)
	want := int(d.Milliseconds()) * 8
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if pcm := m.since(from); len(pcm) >= want {
			return pcm
		}
	}
	return m.since(from)
}

func (m *peerMedia) close() {
	m.cancel()
	m.wg.Wait()
	_ = m.sess.Close()
}

// answerOffer negotiates a received offer and returns our answer.
func (m *peerMedia) answerOffer(t testing.TB, body []byte) ([]byte, media.Direction) {
	offer, err := media.ParseSDP(body)
	if err != nil {
		t.Errorf("peer: bad offer: %v", err)
		return nil, 0
	}
	neg, err := media.NegotiateOffer(offer, m.caps, media.SendRecv)
	if err != nil {
		t.Errorf("peer: offer: %v", err)
		return nil, 0
	}
	m.sess.Apply(neg)
	m.local.Bump()
	ans, err := media.BuildAnswer(m.local, offer, neg, 20)
	if err != nil {
		t.Errorf("peer: answer: %v", err)
	}
	return ans, offer.Media[neg.MediaIndex].Direction
}

// applyAnswer takes the answer to our offer.
func (m *peerMedia) applyAnswer(t testing.TB, body []byte, ours media.Direction) media.Direction {
	ans, err := media.ParseSDP(body)
	if err != nil {
		t.Errorf("peer: bad answer: %v", err)
		return 0
	}
	neg, err := media.NegotiateAnswer(ans, m.caps, ours)
	if err != nil {
		t.Errorf("peer: answer: %v", err)
		return 0
	}
	m.sess.Apply(neg)
	return neg.RemoteDirection
}

// phoneMode is how a test phone treats an INVITE.
type phoneMode int

const (
	phoneAnswers phoneMode = iota // rings, answers after answerAfter, sends a tone
	phoneRings                    // rings until cancelled
	phoneSilent                   // answers but sends no RTP
	phoneRejects                  // rings, then rejects with rejectCode
)

// testPhone is a registered SIP phone (a sipgo UAS).
type testPhone struct {
	t           testing.TB
	user        string
	peer        *peerUA
	ports       *media.PortAllocator
	mode        phoneMode
	answerAfter time.Duration
	rejectCode  int
	toneHz      float64

	mu         sync.Mutex
	events     []string
	invites    []*sip.Request
	calls      map[string]*phoneCall
	answeredAt time.Time
	byeReason  string
}

type phoneCall struct {
	dlg   *sipgo.DialogServerSession
	media *peerMedia
}

// newPhone starts a phone and registers it as user with digest auth.
func (e *callEnv) newPhone(user, password string, mode phoneMode, opts ...func(*testPhone)) *testPhone {
	t := e.t
	t.Helper()
	p := &testPhone{t: t, user: user, ports: e.peers, mode: mode, answerAfter: 300 * time.Millisecond,
		rejectCode: sip.StatusBusyHere, toneHz: 440, calls: map[string]*phoneCall{}}
	for _, o := range opts {
		o(p)
	}
	p.peer = newPeerUA(t, "phone-"+user, func(s *sipgo.Server) {
		s.OnInvite(p.onInvite)
		s.OnAck(p.onAck)
		s.OnBye(p.onBye)
	})
	req := newRegister(e.ts, user, p.peer.port)
	res := do(t, p.peer.cli, req)
	ok, err := p.peer.cli.DoDigestAuth(context.Background(), req, res, sipgo.DigestAuth{Username: user, Password: password})
	if err != nil || ok.StatusCode != 200 {
		t.Fatalf("register %s: %v %v", user, ok, err)
	}
	return p
}

func (p *testPhone) event(ev string) {
	p.mu.Lock()
	p.events = append(p.events, ev)
	p.mu.Unlock()
}

func (p *testPhone) has(ev string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.events {
		if e == ev {
			return true
		}
	}
	return false
}

func (p *testPhone) waitEvent(ev string) {
	p.t.Helper()
	waitFor(p.t, p.user+" "+ev, 10*time.Second, func() bool { return p.has(ev) })
}

func (p *testPhone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if tag, ok := req.To().Params.Get("tag"); ok && tag != "" {
		p.onReinvite(req, tx)
		return
	}
	p.mu.Lock()
	p.invites = append(p.invites, req)
	p.mu.Unlock()
	p.event("invite")
	dua := sipgo.DialogUA{Client: p.peer.cli, ContactHDR: p.peer.contact(p.user)}
	dlg, err := dua.ReadInvite(req, tx)
	if err != nil {
		p.t.Errorf("phone: %v", err)
		return
	}
	_ = dlg.Respond(sip.StatusRinging, "Ringing", nil)
	wait := p.answerAfter
	if p.mode == phoneRings {
		wait = time.Hour
	}
	select {
	case <-time.After(wait):
	case <-dlg.Context().Done():
		p.event("cancel")
		return
	}
	if p.mode == phoneRejects {
		_ = dlg.Respond(p.rejectCode, "Rejected", nil)
		return
	}
	m := newPeerMedia(p.t, p.ports)
	answer, _ := m.answerOffer(p.t, req.Body())
	p.mu.Lock()
	p.calls[dlg.ID] = &phoneCall{dlg: dlg, media: m}
	p.answeredAt = time.Now()
	p.mu.Unlock()
	if err := dlg.RespondSDP(answer); err != nil {
		p.event("no-ack")
		return
	}
	p.event("answered")
	hz := p.toneHz
	if p.mode == phoneSilent {
		hz = 0
	}
	m.start(hz)
}

func (p *testPhone) call() *phoneCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.calls {
		return c
	}
	return nil
}

func (p *testPhone) byID(req *sip.Request) *phoneCall {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[id]
}

func (p *testPhone) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := p.byID(req); c != nil {
		_ = c.dlg.ReadAck(req, tx)
		p.event("ack")
	}
}

func (p *testPhone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := p.byID(req)
	if c == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	if h := req.GetHeader("Reason"); h != nil {
		p.mu.Lock()
		p.byeReason = h.Value()
		p.mu.Unlock()
	}
	_ = c.dlg.ReadBye(req, tx)
	c.media.close()
	p.event("bye")
}

// onReinvite answers our re-INVITE (a hold passed on) with its SDP.
func (p *testPhone) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := p.byID(req)
	if c == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	ans, dir := c.media.answerOffer(p.t, req.Body())
	res := sip.NewResponseFromRequest(req, 200, "OK", ans)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ct := p.peer.contact(p.user)
	res.AppendHeader(&ct)
	_ = tx.Respond(res)
	p.event("reinvite:" + dir.String())
}

// hangup sends the phone's BYE.
func (p *testPhone) hangup() {
	p.t.Helper()
	c := p.call()
	if c == nil {
		p.t.Fatal("phone has no call to hang up")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.dlg.Bye(ctx); err != nil {
		p.t.Fatalf("phone BYE: %v", err)
	}
	c.media.close()
	p.event("hungup")
}
