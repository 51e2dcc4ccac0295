package sip

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Bad input and floods over loopback UDP: a clear answer or a silent drop,
// never a panic, and everyone else keeps being served.

// rawPeer is a bare UDP socket for sending bytes sipgo would not build.
type rawPeer struct {
	conn *net.UDPConn
	to   *net.UDPAddr
}

func newRawPeer(t *testing.T, bindIP string, port int) *rawPeer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(bindIP)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawPeer{conn: conn, to: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}}
}

func (p *rawPeer) send(t *testing.T, lines ...string) {
	t.Helper()
	if _, err := p.conn.WriteToUDP([]byte(strings.Join(lines, "\r\n")), p.to); err != nil {
		t.Fatal(err)
	}
}

// read returns the status lines received until quiet for wait.
func (p *rawPeer) read(wait time.Duration) []string {
	var out []string
	buf := make([]byte, 65535)
	for {
		p.conn.SetReadDeadline(time.Now().Add(wait))
		n, err := p.conn.Read(buf)
		if err != nil {
			return out
		}
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		out = append(out, line)
	}
}

func (p *rawPeer) options(branch string, extra ...string) []string {
	lines := []string{
		fmt.Sprintf("OPTIONS sip:127.0.0.1:%d SIP/2.0", p.to.Port),
		fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport", p.conn.LocalAddr(), branch),
		"Max-Forwards: 70",
		"From: <sip:raw@127.0.0.1>;tag=raw1",
		"To: <sip:127.0.0.1>",
		"Call-ID: raw-" + branch,
		"CSeq: 1 OPTIONS",
	}
	lines = append(lines, extra...)
	return append(lines, "Content-Length: 0", "", "")
}

func TestMalformedRequestsThenOptions(t *testing.T) {
	ts := startServer(t, nil, Deps{})
	p := newRawPeer(t, "127.0.0.1", ts.port)

	p.send(t, "\x00\x01garbage that is not SIP\r\n\r\n")
	p.send(t, p.options("bad1", "CSeq: abc OPTIONS")...) // unparsable header: dropped by the parser
	missingFrom := p.options("bad2")
	missingFrom = append(missingFrom[:3], missingFrom[4:]...)
	p.send(t, missingFrom...)                                                                            // 400
	p.send(t, p.options("bad3", "X-Evil: a\nInjected: b")...)                                            // bare LF in a value: dropped
	p.send(t, strings.Replace(strings.Join(p.options("bad4"), "\r\n"), "SIP/2.0\r\n", "SIP/7.0\r\n", 1)) // 505
	p.send(t, p.options("bad5", "Require: 100rel, foo")...)
	p.send(t, p.options("bad6", "User-Agent: friendly-scanner")...) // scanner: dropped                                              // 420

	got := strings.Join(p.read(700*time.Millisecond), "|")
	for _, want := range []string{"SIP/2.0 400", "SIP/2.0 505", "SIP/2.0 420"} {
		if !strings.Contains(got, want) {
			t.Errorf("responses %q lack %q", got, want)
		}
	}
	if strings.Contains(got, " 200 ") || strings.Count(got, "SIP/2.0") != 3 {
		t.Errorf("unexpected responses %q", got)
	}
	p.send(t, p.options("good")...)
	if got := p.read(time.Second); len(got) != 1 || got[0] != "SIP/2.0 200 OK" {
		t.Fatalf("OPTIONS after malformed input: %q", got)
	}
}

func TestFloodFromOneSourceDoesNotStarveAnother(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.Trunks = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")} // loopback not exempt
		c.RatePerSecond, c.RateBurst = 20, 20
	}, Deps{})
	flood := newRawPeer(t, "127.0.0.1", ts.port)
	for i := range 500 {
		flood.send(t, flood.options(fmt.Sprintf("f%d", i))...)
	}
	// Another source is served while the first is over its rate.
	c := newClient(t, "127.0.0.2")
	if res := do(t, c, sip.NewRequest(sip.OPTIONS, ts.uri(""))); res.StatusCode != 200 {
		t.Fatalf("OPTIONS from 127.0.0.2: %s", res.StartLine())
	}
	answered := len(flood.read(500 * time.Millisecond))
	if answered < 20 || answered > 60 {
		t.Fatalf("flood of 500: %d answered, want about the burst of 20", answered)
	}
	t.Logf("flood: %d answered, %d dropped", answered, ts.limiter.dropped.Load())
	// The rest were dropped by the limiter, or by the kernel when the flood
	// outran the socket's reader.
	if ts.limiter.dropped.Load() < 100 {
		t.Fatalf("dropped %d", ts.limiter.dropped.Load())
	}
}
