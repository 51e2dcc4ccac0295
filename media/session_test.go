package media

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"

	"callroute/media/dtmf"
)

func TestSessionsExchangeTone(t *testing.T) {
	a := newAllocator(t, 8)
	x, y := newSession(t, a), newSession(t, a)
	connect(x, y, PCMU, PCMU)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got := collect(ctx, y)
	playFor(t, ctx, x, 1000, 700*time.Millisecond)
	waitFor(t, 2*time.Second, "35 packets", func() bool { return len(got.packets()) >= 35 })
	heard(t, got, PCMU, 1000)

	pkts := got.packets()
	for i := 1; i < len(pkts); i++ {
		p, q := pkts[i-1].p, pkts[i].p
		// A player that fell far behind (a stalled machine) skips frames
		// but keeps counting them in the timestamp.
		step := q.Timestamp - p.Timestamp
		if q.SequenceNumber != p.SequenceNumber+1 || step == 0 || step%160 != 0 || q.SSRC != p.SSRC {
			t.Fatalf("packet %d not continuous: %v after %v", i, q.Header, p.Header)
		}
	}
	if !pkts[0].p.Marker {
		t.Error("first packet without marker")
	}
	st := y.Stats()
	if st.PacketsReceived < 35 || st.PacketsLost != 0 || st.BytesReceived < 35*172 {
		t.Errorf("receiver stats %+v", st)
	}
	if xs := x.Stats(); xs.PacketsSent < 35 {
		t.Errorf("sender stats %+v", xs)
	}
}

// rawSender sends datagrams to a session from its own socket.
func rawSender(t *testing.T, to *Session) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(addrOf(to)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func rtpBytes(t testing.TB, seq uint16, pt uint8, payload []byte) []byte {
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 42}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readWithin(s *Session, d time.Duration) (*rtp.Packet, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.ReadRTP(ctx)
}

func TestSessionDiscardsBeforeStartAndMalformed(t *testing.T) {
	a := newAllocator(t, 4)
	s := newSession(t, a)
	c := rawSender(t, s)
	c.Write(rtpBytes(t, 1, 0, make([]byte, 160)))
	if p, err := readWithin(s, 150*time.Millisecond); err == nil {
		t.Fatalf("packet before Start delivered: %v", p.Header)
	}
	s.Start()
	garbage := [][]byte{
		{},
		{0x80},
		[]byte("INVITE sip:x SIP/2.0"),
		{0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, // version 1
		{0x80, 200, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4},     // RTCP SR on the RTP port
		{0xA0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0},                // padding of 0 bytes
		{0x8F, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2},             // 15 CSRCs announced, none there
		{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 9}, // extension longer than packet
	}
	for _, g := range garbage {
		c.Write(g)
	}
	c.Write(rtpBytes(t, 2, 0, make([]byte, 160)))
	p, err := readWithin(s, 2*time.Second)
	if err != nil || p.SequenceNumber != 2 {
		t.Fatalf("valid packet after garbage: %v %v", p, err)
	}
	waitFor(t, time.Second, "malformed count", func() bool { return s.Stats().Malformed >= uint64(len(garbage)-1) })
	if st := s.Stats(); st.PacketsReceived != 1 || st.Dropped != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSessionSymmetricLatch(t *testing.T) {
	a := newAllocator(t, 8)
	phone := newSession(t, a)
	// The phone's SDP says 10.1.2.3 (behind NAT): private, while we are
	// on loopback, so the session latches on its own.
	s := newSession(t, a, WithRemote(netip.MustParseAddrPort("10.1.2.3:4000")))
	phone.Apply(Negotiated{Codec: PCMU, LocalCodec: PCMU, Remote: addrOf(s)})
	phone.Start()
	s.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	got := collect(ctx, phone)
	// Until RTP arrives we send to the SDP address.
	if s.Remote().String() != "10.1.2.3:4000" {
		t.Fatalf("remote before latch %v", s.Remote())
	}
	go playFor(t, ctx, phone, 440, 300*time.Millisecond)
	waitFor(t, 2*time.Second, "latch", func() bool { return s.Remote() == addrOf(phone) })
	playFor(t, ctx, s, 1000, 200*time.Millisecond)
	waitFor(t, 2*time.Second, "latched media", func() bool { return len(got.packets()) >= 5 })

	if !autoLatch(netip.MustParseAddr("192.168.1.5"), netip.MustParseAddr("203.0.113.1")) ||
		autoLatch(netip.MustParseAddr("192.168.1.5"), netip.MustParseAddr("192.168.1.1")) ||
		autoLatch(netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("203.0.113.1")) ||
		!autoLatch(netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("203.0.113.1")) ||
		!autoLatch(netip.MustParseAddr("100.64.1.1"), netip.MustParseAddr("203.0.113.1")) ||
		!autoLatch(netip.Addr{}, netip.MustParseAddr("203.0.113.1")) {
		t.Error("autoLatch rules")
	}
}

func TestSessionForeignSourceAndLoss(t *testing.T) {
	a := newAllocator(t, 4)
	s := newSession(t, a)
	s.Start()
	real, intruder := rawSender(t, s), rawSender(t, s)
	for _, seq := range []uint16{10, 11, 13, 14} { // 12 lost
		real.Write(rtpBytes(t, seq, 0, make([]byte, 160)))
		intruder.Write(rtpBytes(t, seq+1000, 0, make([]byte, 160)))
		time.Sleep(5 * time.Millisecond)
	}
	for range 4 {
		p, err := readWithin(s, time.Second)
		if err != nil || p.SequenceNumber >= 1000 {
			t.Fatalf("got %v %v", p, err)
		}
	}
	if p, err := readWithin(s, 100*time.Millisecond); err == nil {
		t.Fatalf("intruder packet delivered: %v", p.Header)
	}
	st := s.Stats()
	if st.PacketsLost != 1 || st.PacketsReceived != 4 || st.Dropped != 4 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSessionDirectionAndClose(t *testing.T) {
	a := newAllocator(t, 8)
	x, y := newSession(t, a), newSession(t, a)
	connect(x, y, PCMU, PCMU)
	x.SetDirection(RecvOnly) // we were put on hold: send nothing
	p := &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: make([]byte, 160)}
	if err := x.WriteRTP(p); err != nil {
		t.Fatal(err)
	}
	if _, err := readWithin(y, 150*time.Millisecond); err == nil {
		t.Fatal("sent while recvonly")
	}
	if x.Stats().NotSent != 1 {
		t.Fatal("NotSent not counted")
	}
	// Close wakes a blocked reader and refuses writes.
	errc := make(chan error, 1)
	go func() { _, err := y.ReadRTP(context.Background()); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	y.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("reader got %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("reader not woken by Close")
	}
	if err := y.WriteRTP(p); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	y.Close() // twice is fine
}

func TestSessionReceivePayloadTypeMap(t *testing.T) {
	a := newAllocator(t, 4)
	s := newSession(t, a)
	// We offered PCMU 0 + te 101; the phone answered te 96: it sends 101
	// to us, we send 96 to it, and ReadRTP shows 96 (the Codec's).
	s.Apply(Negotiated{Codec: Codec{"PCMU", 0, 96}, LocalCodec: Codec{"PCMU", 0, 101}, Remote: netip.MustParseAddrPort("127.0.0.1:9")})
	s.Start()
	c := rawSender(t, s)
	c.Write(rtpBytes(t, 1, 101, []byte{1, 0, 0, 160}))
	p, err := readWithin(s, time.Second)
	if err != nil || p.PayloadType != 96 {
		t.Fatalf("got %v %v", p, err)
	}
}

func TestMediaTimeouts(t *testing.T) {
	a := newAllocator(t, 8)
	t.Run("initial", func(t *testing.T) {
		s := newSession(t, a, WithMediaTimeouts(150*time.Millisecond, time.Hour))
		time.Sleep(250 * time.Millisecond) // not armed before Start
		select {
		case err := <-s.Timeout():
			t.Fatalf("fired before Start: %v", err)
		default:
		}
		s.Start()
		select {
		case err := <-s.Timeout():
			if !errors.Is(err, ErrInitialMediaTimeout) {
				t.Fatal(err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("initial timeout did not fire")
		}
	})
	t.Run("ongoing", func(t *testing.T) {
		fired := make(chan error, 1)
		s := newSession(t, a, WithMediaTimeouts(time.Hour, 300*time.Millisecond), WithTimeoutFunc(func(err error) { fired <- err }))
		s.Start()
		c := rawSender(t, s)
		for i := range 15 { // 300 ms of media keeps it quiet
			c.Write(rtpBytes(t, uint16(i), 0, make([]byte, 160)))
			time.Sleep(20 * time.Millisecond)
		}
		select {
		case err := <-fired:
			t.Fatalf("fired while media flowed: %v", err)
		default:
		}
		start := time.Now()
		select {
		case err := <-fired:
			if !errors.Is(err, ErrMediaTimeout) || time.Since(start) > time.Second {
				t.Fatal(err, time.Since(start))
			}
		case <-time.After(2 * time.Second):
			t.Fatal("ongoing timeout did not fire")
		}
	})
	t.Run("not on hold", func(t *testing.T) {
		s := newSession(t, a, WithMediaTimeouts(100*time.Millisecond, 100*time.Millisecond))
		s.Apply(Negotiated{Codec: PCMU, LocalCodec: PCMU, Remote: netip.MustParseAddrPort("127.0.0.1:9"), RemoteDirection: SendOnly, Direction: RecvOnly})
		s.Start()
		select {
		case err := <-s.Timeout():
			t.Fatalf("fired on hold: %v", err)
		case <-time.After(400 * time.Millisecond):
		}
		s.SetHold(false) // resumed: the timeout runs again
		select {
		case <-s.Timeout():
		case <-time.After(2 * time.Second):
			t.Fatal("no timeout after resume")
		}
	})
}

func FuzzSessionReceive(f *testing.F) {
	f.Add(rtpBytes(f, 1, 0, make([]byte, 160)))
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 1, 0x10, 0xFF, 0, 0})
	f.Add([]byte{0xA0, 0x65, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 5, 0x80, 0, 0, 2})
	a := newAllocator(f, 4)
	s := newSession(f, a)
	s.Apply(Negotiated{Codec: Codec{"PCMA", 8, 96}, LocalCodec: Codec{"PCMA", 8, 101}, Remote: netip.MustParseAddrPort("127.0.0.1:9")})
	s.Start()
	var det bridgeFuzzState
	from := netip.MustParseAddr("127.0.0.1")
	f.Fuzz(func(t *testing.T, b []byte) {
		s.receive(b, from, 5000)
		select {
		case p := <-s.in:
			det.feed(p, s.Codec())
		default:
		}
	})
}

// bridgeFuzzState runs a received packet through the bridge's translation
// too, so the whole read path is fuzzed.
type bridgeFuzzState struct {
	br      Bridge
	det     dtmf.Detector
	scratch []byte
}

func (st *bridgeFuzzState) feed(p *rtp.Packet, c Codec) {
	st.br.translate(SideA, p, c, PCMU, &st.det, &st.scratch)
}
