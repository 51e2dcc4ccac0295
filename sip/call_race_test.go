package sip

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// rawPhone is a UAS on a bare UDP socket, for what a sipgo UAS never does:
// answer 200 after a CANCEL (a 2xx that crossed it on the wire, RFC 3261
// 9.1).
type rawPhone struct {
	t     *testing.T
	conn  *net.UDPConn
	media *peerMedia

	mu       sync.Mutex
	methods  []string
	reason   string
	invite   *sip.Request
	toTag    string
	from     *net.UDPAddr
	finished chan struct{}
}

func newRawPhone(t *testing.T, e *callEnv) *rawPhone {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &rawPhone{t: t, conn: conn, media: newPeerMedia(t, e.peers), toTag: sip.GenerateTagN(8), finished: make(chan struct{})}
	go p.loop()
	t.Cleanup(func() { conn.Close(); <-p.finished })
	// Registered straight in the registrar's store, and online for routing.
	port := conn.LocalAddr().(*net.UDPAddr).Port
	b := Binding{UserID: ownerID, Username: "201", Contact: "sip:201@127.0.0.1:" + strconv.Itoa(port), Key: "raw",
		Source: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)), Transport: "UDP",
		Expires: time.Now().Add(time.Hour)}
	if err := e.ts.Registrar().store.Update(context.Background(), ownerID, func([]Binding) ([]Binding, error) {
		return []Binding{b}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.router.SetDevices(context.Background(), ownerID, "sip", 1); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *rawPhone) loop() {
	defer close(p.finished)
	buf := make([]byte, 65535)
	for {
		n, from, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		msg, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
		if err != nil {
			continue
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			continue // responses to nothing of ours
		}
		p.mu.Lock()
		p.methods = append(p.methods, string(req.Method))
		p.from = from
		p.mu.Unlock()
		p.handle(req, from)
	}
}

func (p *rawPhone) send(res *sip.Response, to *net.UDPAddr) {
	_, _ = p.conn.WriteToUDP([]byte(res.String()), to)
}

func (p *rawPhone) response(req *sip.Request, code int, reason string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(req, code, reason, body)
	if to := res.To(); to != nil && req.Method == sip.INVITE {
		to.Params.Remove("tag")
		to.Params.Add("tag", p.toTag)
	}
	return res
}

func (p *rawPhone) handle(req *sip.Request, from *net.UDPAddr) {
	switch req.Method {
	case sip.INVITE:
		p.mu.Lock()
		p.invite = req
		p.mu.Unlock()
		p.send(p.response(req, 180, "Ringing", nil), from)
	case sip.CANCEL:
		p.send(sip.NewResponseFromRequest(req, 200, "OK", nil), from)
		// Our 200 to the INVITE "crossed" the CANCEL: no 487.
		p.mu.Lock()
		inv := p.invite
		p.mu.Unlock()
		ans, _ := p.media.answerOffer(p.t, inv.Body())
		res := p.response(inv, 200, "OK", ans)
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		port := p.conn.LocalAddr().(*net.UDPAddr).Port
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "201", Host: "127.0.0.1", Port: port}})
		p.send(res, from)
	case sip.BYE:
		if h := req.GetHeader("Reason"); h != nil {
			p.mu.Lock()
			p.reason = h.Value()
			p.mu.Unlock()
		}
		p.send(sip.NewResponseFromRequest(req, 200, "OK", nil), from)
	}
}

func (p *rawPhone) seen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.methods, " ")
}

// The owner's phone answers just as the ring time ends: its 200 crosses our
// CANCEL. It is ACKed, then BYEd with "Call completed elsewhere" (RFC 3261
// 13.2.2.4, RFC 3326); the call goes on to the desk; nothing leaks.
func TestAnswerRacingCancelIsAckedAndByed(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{})
	owner := newRawPhone(t, e)
	desk := e.newPhone("202", "other-pass-202", phoneAnswers)

	c := e.dial(knownNumber)
	c.answered()
	desk.waitEvent("answered")
	waitFor(t, "ACK and BYE to the late 2xx", 10*time.Second, func() bool {
		return strings.HasSuffix(owner.seen(), "INVITE CANCEL ACK BYE")
	})
	owner.mu.Lock()
	reason := owner.reason
	owner.mu.Unlock()
	if !strings.Contains(reason, "cause=200") {
		t.Fatalf("BYE Reason %q", reason)
	}
	c.hangup()
	desk.waitEvent("bye")
	it := e.written(c.callID())
	if it.AnsweredBy != deskID || !strings.Contains(string(it.Route), `"stage":"owner","user_id":100`) {
		t.Fatalf("interaction %+v route %s", it, it.Route)
	}
	e.noDialogsLeft()
}
