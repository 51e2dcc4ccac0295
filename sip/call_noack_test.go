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

// rawCaller sends one INVITE from a bare UDP socket and never ACKs: what a
// caller whose ACK is lost looks like.
type rawCaller struct {
	conn *net.UDPConn

	mu     sync.Mutex
	codes  []int
	byes   int
	callID string
}

func newRawCaller(t *testing.T, e *callEnv, from string) *rawCaller {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c := &rawCaller{conn: conn, callID: "noack-" + sip.GenerateTagN(8)}
	done := make(chan struct{})
	go c.loop(done)
	t.Cleanup(func() { conn.Close(); <-done })

	m := newPeerMedia(t, e.peers)
	offer := offerSDP(m.sess.LocalPort(), "0", "sendrecv")
	port := conn.LocalAddr().(*net.UDPAddr).Port
	msg := strings.Join([]string{
		fmt.Sprintf("INVITE sip:+4930500500@127.0.0.1:%d SIP/2.0", e.ts.port),
		fmt.Sprintf("Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-%s;rport", port, sip.GenerateTagN(8)),
		"Max-Forwards: 70",
		fmt.Sprintf("From: <sip:%s@127.0.0.1>;tag=rawcaller", from),
		"To: <sip:+4930500500@127.0.0.1>",
		"Call-ID: " + c.callID,
		"CSeq: 1 INVITE",
		fmt.Sprintf("Contact: <sip:caller@127.0.0.1:%d>", port),
		"Content-Type: application/sdp",
		fmt.Sprintf("Content-Length: %d", len(offer)),
		"",
		offer,
	}, "\r\n")
	if _, err := conn.WriteToUDP([]byte(msg), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: e.ts.port}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *rawCaller) loop(done chan struct{}) {
	defer close(done)
	readSIP(c.conn, func(msg sip.Message, from *net.UDPAddr) {
		switch m := msg.(type) {
		case *sip.Response:
			c.mu.Lock()
			c.codes = append(c.codes, m.StatusCode)
			c.mu.Unlock()
		case *sip.Request:
			if m.Method == sip.BYE {
				c.mu.Lock()
				c.byes++
				c.mu.Unlock()
				_, _ = c.conn.WriteToUDP([]byte(sip.NewResponseFromRequest(m, 200, "OK", nil).String()), from)
			}
		}
	})
}

func (c *rawCaller) count(code int) (n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, got := range c.codes {
		if got == code {
			n++
		}
	}
	return n
}

// Our 2xx is never ACKed: it is re-sent (RFC 3261 13.3.1.4) for 64*T1,
// then the call ends with a BYE to both sides (pitfall 8). This pins
// sipgo's RespondSDP behaviour; it takes 32 s.
func TestNoAckEndsTheCall(t *testing.T) {
	if testing.Short() {
		t.Skip("32 s: the 2xx is re-sent for 64*T1")
	}
	t.Parallel()
	e := newCallEnv(t, envOpts{})
	owner := e.newPhone("201", testPassword, phoneAnswers)
	c := newRawCaller(t, e, knownNumber)
	owner.waitEvent("answered")
	waitFor(t, "the BYE after no ACK", 45*time.Second, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.byes > 0
	})
	if n := c.count(200); n < 5 {
		t.Fatalf("2xx sent %d times, want it re-sent until 64*T1", n)
	}
	owner.waitEvent("bye")
	e.written(c.callID)
	e.noDialogsLeft()
}
