package webrtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"

	"callroute/media"
	"callroute/media/audio"
	"callroute/media/g711"
)

// The far end in these tests is a real pion PeerConnection acting as the
// browser: it answers our offer as Chrome does (the first offered G.711 as
// its microphone's codec, a=setup:active), sends a tone and records what it
// hears. Its UDP socket can be cut off (vanish) to play a browser whose
// network disappears without a word.

// quiet is the logger of tests: only warnings and errors.
func quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{}

func (testWriter) Write(p []byte) (int, error) { return len(p), nil }

// testConfig is an engine on loopback, any free port, quick timeouts.
func testConfig() Config {
	return Config{
		Listen:              netip.MustParseAddrPort("127.0.0.1:0"),
		DisconnectedTimeout: time.Second,
		FailedTimeout:       time.Second,
		KeepaliveInterval:   250 * time.Millisecond,
	}
}

func newTestEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := NewEngine(cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// switchConn is a UDP socket that can be cut off: reads and writes are
// swallowed once dead, as if the browser's machine left the network.
type switchConn struct {
	*net.UDPConn
	dead atomic.Bool
}

func (c *switchConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFrom(b)
		if err != nil || !c.dead.Load() {
			return n, addr, err
		}
	}
}

func (c *switchConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.dead.Load() {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

// heardPacket is a packet the browser (or a leg reader) received.
type heardPacket struct {
	p  *rtp.Packet
	at time.Time
}

// packets is a list of received packets, safe for concurrent use.
type packets struct {
	mu   sync.Mutex
	list []heardPacket
}

func (ps *packets) add(p *rtp.Packet) {
	ps.mu.Lock()
	ps.list = append(ps.list, heardPacket{p, time.Now()})
	ps.mu.Unlock()
}

func (ps *packets) all() []heardPacket {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]heardPacket(nil), ps.list...)
}

func (ps *packets) count(pt uint8) int {
	n := 0
	for _, h := range ps.all() {
		if h.p.PayloadType == pt {
			n++
		}
	}
	return n
}

// pcm decodes the last ms milliseconds of packets with payload type pt.
func (ps *packets) pcm(pt uint8, law g711.Law, ms int) []int16 {
	var pcm []int16
	for _, h := range ps.all() {
		if h.p.PayloadType == pt {
			pcm = g711.Decode(pcm, law, h.p.Payload)
		}
	}
	if n := ms * 8; len(pcm) > n {
		pcm = pcm[len(pcm)-n:]
	}
	return pcm
}

// browser is the pion peer standing in for Chrome.
type browser struct {
	t         testing.TB
	pc        *pion.PeerConnection
	conn      *switchConn
	mux       ice.UDPMux
	mic       *pion.TrackLocalStaticRTP
	micLaw    g711.Law
	connected chan struct{}
	heard     packets
	sink      func(*rtp.Packet) // instead of heard, when set
	wg        sync.WaitGroup
}

func newBrowser(t testing.TB) *browser { return newBrowserSink(t, nil) }

// newBrowserSink makes a browser that hands what it hears to sink (nil:
// keep it in heard), closed with the test.
func newBrowserSink(t testing.TB, sink func(*rtp.Packet)) *browser {
	t.Helper()
	b, err := makeBrowser(sink)
	if err != nil {
		t.Fatal(err)
	}
	b.t = t
	t.Cleanup(b.close)
	return b
}

// makeBrowser makes a browser without a test (for the capacity far end,
// whose goroutines may not fail a test); the caller closes it.
func makeBrowser(sink func(*rtp.Packet)) (*browser, error) {
	me := &pion.MediaEngine{}
	// Chrome's audio codecs, the ones that matter here: opus first.
	for _, c := range []pion.RTPCodecParameters{
		{RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111},
		codecPCMU, codecPCMA, codecTelephoneEvent,
	} {
		if err := me.RegisterCodec(c, pion.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	ir := &interceptor.Registry{}
	if err := pion.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	b := &browser{conn: &switchConn{UDPConn: udp}, connected: make(chan struct{}), sink: sink}
	b.mux = pion.NewICEUDPMux(nil, b.conn)
	se := pion.SettingEngine{}
	se.SetICEUDPMux(b.mux)
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetPrflxAcceptanceMinWait(0)
	se.LoggerFactory = slogFactory{quiet()}
	api := pion.NewAPI(pion.WithMediaEngine(me), pion.WithSettingEngine(se), pion.WithInterceptorRegistry(ir))
	if b.pc, err = api.NewPeerConnection(pion.Configuration{}); err != nil {
		b.mux.Close()
		return nil, err
	}
	var once sync.Once
	b.pc.OnConnectionStateChange(func(s pion.PeerConnectionState) {
		if s == pion.PeerConnectionStateConnected {
			once.Do(func() { close(b.connected) })
		}
	})
	b.pc.OnTrack(func(tr *pion.TrackRemote, _ *pion.RTPReceiver) {
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || b.pc.ConnectionState() == pion.PeerConnectionStateClosed {
					return
				}
				continue // a packet pion could not take
			}
			if b.sink != nil {
				b.sink(p)
			} else {
				b.heard.add(p)
			}
		}
	})
	return b, nil
}

// answer answers the leg's offer, failing the test on error.
func (b *browser) answer(offer string) string {
	b.t.Helper()
	ans, err := b.answerSDP(offer)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return ans
}

// answerSDP answers the leg's offer. The microphone uses the first G.711 of
// the offer, as Chrome's answer keeps the offer's order.
func (b *browser) answerSDP(offer string) (string, error) {
	if err := b.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("set offer: %w", err)
	}
	c := codecPCMU
	b.micLaw = g711.ULaw
	if firstG711(offer) == media.PayloadPCMA {
		c, b.micLaw = codecPCMA, g711.ALaw
	}
	var err error
	if b.mic, err = pion.NewTrackLocalStaticRTP(c.RTPCodecCapability, "mic", "browser"); err != nil {
		return "", err
	}
	sender, err := b.pc.AddTrack(b.mic)
	if err != nil {
		return "", err
	}
	b.wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	})
	ans, err := b.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := pion.GatheringCompletePromise(b.pc)
	if err := b.pc.SetLocalDescription(ans); err != nil {
		return "", err
	}
	<-gathered
	return b.pc.LocalDescription().SDP, nil
}

// firstG711 is the first of PT 0 and 8 on the offer's m=audio line.
func firstG711(sdp string) uint8 {
	for _, line := range strings.Split(sdp, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[0] == "m=audio" {
			for _, pt := range f[3:] {
				switch pt {
				case "0":
					return media.PayloadPCMU
				case "8":
					return media.PayloadPCMA
				}
			}
		}
	}
	return media.PayloadPCMU
}

// waitConnected waits for the browser's side of the connection.
func (b *browser) waitConnected() {
	b.t.Helper()
	select {
	case <-b.connected:
	case <-time.After(10 * time.Second):
		b.t.Fatal("browser never connected")
	}
}

// play sends a tone from the microphone for d, 20 ms packets paced on
// absolute deadlines, marker on the first.
func (b *browser) play(ctx context.Context, hz float64, d time.Duration) {
	tone := audio.NewTone(hz, -10)
	frame := make([]int16, audio.FrameSamples)
	start := time.Now()
	p := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: 1000, Timestamp: 5000, SSRC: 1}}
	for n := 0; time.Duration(n)*20*time.Millisecond < d; n++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(time.Duration(n) * 20 * time.Millisecond))):
		}
		tone.Frame(frame)
		p.Payload = g711.Encode(p.Payload[:0], b.micLaw, frame)
		if err := b.mic.WriteRTP(p); err != nil {
			return
		}
		p.Marker = false
		p.SequenceNumber++
		p.Timestamp += audio.FrameSamples
	}
}

// vanish cuts the browser off the network: no packet in or out, no close.
func (b *browser) vanish() { b.conn.dead.Store(true) }

func (b *browser) close() {
	_ = b.pc.GracefulClose()
	b.wg.Wait()
	_ = b.mux.Close()
}

// connect makes a leg, lets the browser answer, and waits until both sides
// are connected.
func connect(t testing.TB, e *Engine, opts LegOptions) (*Leg, *browser) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	l, err := e.NewLeg(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	b := newBrowser(t)
	if err := l.Accept(b.answer(l.Offer())); err != nil {
		t.Fatalf("accept: %v", err)
	}
	select {
	case <-l.Connected():
	case <-l.Done():
		t.Fatalf("leg ended before connecting: %v", l.Err())
	case <-time.After(10 * time.Second):
		t.Fatal("leg never connected")
	}
	b.waitConnected()
	return l, b
}

// readAll collects what a media.Receiver delivers until ctx ends or the leg
// ends.
func readAll(ctx context.Context, r media.Receiver) *packets {
	ps := &packets{}
	go func() {
		for {
			p, err := r.ReadRTP(ctx)
			if err != nil {
				return
			}
			ps.add(p)
		}
	}()
	return ps
}

// hears checks the dominant frequency of the last 500 ms of what ps got,
// as the browser tests do (browser-testing.md section 7).
func hears(t testing.TB, who string, ps *packets, pt uint8, law g711.Law, hz float64) {
	t.Helper()
	pcm := ps.pcm(pt, law, 500)
	if len(pcm) < 4000 {
		t.Fatalf("%s: only %d samples of PT %d (%d packets in all)", who, len(pcm), pt, len(ps.all()))
	}
	a := audio.Analyze(pcm)
	if d := a.PeakHz - hz; d > 5 || d < -5 || a.RMSDBFS < -40 || a.PeakFraction < 0.5 {
		t.Fatalf("%s heard %.1f Hz at %.1f dBFS (fraction %.2f), want %v Hz", who, a.PeakHz, a.RMSDBFS, a.PeakFraction, hz)
	}
}

// waitFor polls cond every 10 ms until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
