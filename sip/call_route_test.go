package sip

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// looseProxy is a stateless loose-routing proxy in miniature (RFC 3261
// 16.12): it drops the Route entries naming it and sends the request on to
// its Request-URI. It adds no Via, so responses go straight back.
type looseProxy struct {
	conn *net.UDPConn
	port int

	mu   sync.Mutex
	seen []string // "METHOD route-n,route-n"
}

func newLooseProxy(t *testing.T) *looseProxy {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &looseProxy{conn: conn, port: conn.LocalAddr().(*net.UDPAddr).Port}
	done := make(chan struct{})
	go p.loop(done)
	t.Cleanup(func() { conn.Close(); <-done })
	return p
}

func (p *looseProxy) loop(done chan struct{}) {
	defer close(done)
	readSIP(p.conn, func(msg sip.Message, _ *net.UDPAddr) {
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		var hops []string
		for _, h := range req.GetHeaders("Route") {
			_, n, _ := strings.Cut(h.Value(), "n=")
			hops = append(hops, strings.TrimRight(n, ">"))
		}
		p.mu.Lock()
		p.seen = append(p.seen, string(req.Method)+" "+strings.Join(hops, ","))
		p.mu.Unlock()
		for req.RemoveHeader("Route") {
		}
		to, err := net.ResolveUDPAddr("udp", fmt.Sprintf("%s:%d", req.Recipient.Host, req.Recipient.Port))
		if err == nil {
			_, _ = p.conn.WriteToUDP([]byte(req.String()), to)
		}
	})
}

func (p *looseProxy) saw(what string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.seen {
		if s == what {
			return true
		}
	}
	return false
}

// Two Record-Routes on the caller's INVITE (sip-webrtc.md pitfall 3): the
// caller's ACK follows them reversed, our BYE in their order (RFC 3261
// 12.1.1, 12.1.2), both through the proxy.
func TestRecordRouteSetFollowed(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{})
	proxy := newLooseProxy(t)
	owner := e.newPhone("201", testPassword, phoneAnswers)
	rr := func(n int) sip.Header {
		return sip.NewHeader("Record-Route", fmt.Sprintf("<sip:127.0.0.1:%d;lr;n=%d>", proxy.port, n))
	}
	c := e.dialOffer(knownNumber, nil, rr(1), rr(2))
	c.answered()
	owner.waitEvent("ack")
	waitFor(t, "the caller's ACK through the proxy", 5*time.Second, func() bool { return proxy.saw("ACK 2,1") })
	time.Sleep(200 * time.Millisecond)
	owner.hangup()
	c.waitBye()
	if !proxy.saw("BYE 1,2") {
		proxy.mu.Lock()
		defer proxy.mu.Unlock()
		t.Fatalf("proxy saw %v, want our BYE routed 1,2", proxy.seen)
	}
	e.noDialogsLeft()
}
