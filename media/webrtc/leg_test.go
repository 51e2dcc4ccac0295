package webrtc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"callroute/media"
	"callroute/media/audio"
	"callroute/media/g711"
)

func TestLegCarriesTonesBothWays(t *testing.T) {
	e := newTestEngine(t, testConfig())
	l, b := connect(t, e, LegOptions{Prefer: media.PCMU, CallID: "tones@example"})
	if c := l.Codec(); c.Name != "PCMU" || c.PayloadType != 0 || c.TelephoneEvent != 101 {
		t.Fatalf("codec %v, want PCMU/0 te=101", c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := readAll(ctx, l)
	go b.play(ctx, 440, 1500*time.Millisecond)
	if err := media.Play(ctx, l, audio.Limit(audio.NewTone(1000, -10), 1200)); err != nil {
		t.Fatalf("play to the browser: %v", err)
	}
	waitFor(t, 3*time.Second, "the browser's tone", func() bool { return got.count(0) >= 50 })
	hears(t, "the leg", got, 0, g711.ULaw, 440)
	hears(t, "the browser", &b.heard, 0, g711.ULaw, 1000)

	// What the browser got is one continuous stream.
	heard := b.heard.all()
	for i := 1; i < len(heard); i++ {
		p, q := heard[i-1].p, heard[i].p
		if q.SequenceNumber != p.SequenceNumber+1 || q.Timestamp-p.Timestamp != 160 || q.SSRC != p.SSRC {
			t.Fatalf("browser packet %d not continuous: %v after %v", i, q.Header, p.Header)
		}
	}
	for _, h := range got.all() {
		if h.p.Extension || len(h.p.Payload) != 160 {
			t.Fatalf("leg delivered %v with %d bytes", h.p.Header, len(h.p.Payload))
		}
	}
	st := l.Stats()
	if st.PacketsSent < 55 || st.PacketsReceived < 50 || st.PacketsLost != 0 || st.BytesSent < 55*172 {
		t.Errorf("stats %+v", st)
	}
}

func TestLegPrefersPCMA(t *testing.T) {
	e := newTestEngine(t, testConfig())
	l, b := connect(t, e, LegOptions{Prefer: media.PCMA})
	if c := l.Codec(); c.Name != "PCMA" || c.PayloadType != 8 {
		t.Fatalf("codec %v, want PCMA/8", c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := readAll(ctx, l)
	go b.play(ctx, 440, time.Second)
	if err := media.Play(ctx, l, audio.Limit(audio.NewTone(1000, -10), 800)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "the browser's tone", func() bool { return got.count(8) >= 30 })
	hears(t, "the leg", got, 8, g711.ALaw, 440)
	hears(t, "the browser", &b.heard, 8, g711.ALaw, 1000)
	if n := b.heard.count(0); n != 0 {
		t.Errorf("the browser got %d PCMU packets", n)
	}
}

func TestLegDropsWritesBeforeConnected(t *testing.T) {
	e := newTestEngine(t, testConfig())
	l, err := e.NewLeg(context.Background(), LegOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0}, Payload: make([]byte, 160)}
	if err := l.WriteRTP(p); err != nil {
		t.Fatalf("write before connected: %v", err)
	}
	if st := l.Stats(); st.NotSent != 1 || st.PacketsSent != 0 {
		t.Fatalf("stats %+v", st)
	}
	if !strings.Contains(l.Offer(), "m=audio") || !strings.Contains(l.Offer(), "a=candidate:") {
		t.Fatalf("offer without audio or candidates:\n%s", l.Offer())
	}
}

// anAnswer is a real answer from a pion browser to a fresh leg's offer.
func anAnswer(t *testing.T, e *Engine) string {
	t.Helper()
	l, err := e.NewLeg(context.Background(), LegOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return newBrowser(t).answer(l.Offer())
}

func TestAcceptRefusesBadAnswers(t *testing.T) {
	e := newTestEngine(t, testConfig())
	good := anAnswer(t, e)
	var lines []string
	for _, line := range strings.Split(good, "\r\n") {
		if !strings.HasPrefix(line, "a=fingerprint:") {
			lines = append(lines, line)
		}
	}
	noFingerprint := strings.Join(lines, "\r\n")
	opusOnly := strings.NewReplacer(
		"UDP/TLS/RTP/SAVPF 0 8 101", "UDP/TLS/RTP/SAVPF 111",
		"a=rtpmap:0 PCMU/8000", "a=rtpmap:111 opus/48000/2",
	).Replace(good)
	if opusOnly == good {
		t.Fatalf("answer not as expected:\n%s", good)
	}
	for _, tc := range []struct {
		name, sdp string
		want      error
	}{
		{"empty", "", ErrBadAnswer},
		{"garbage", "hello, this is not SDP", ErrBadAnswer},
		{"no audio", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n", ErrBadAnswer},
		{"opus only", opusOnly, ErrNoCommonCodec},
		{"no fingerprint", noFingerprint, ErrFingerprint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := e.NewLeg(context.Background(), LegOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			err = l.Accept(tc.sdp)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Accept: %v, want %v", err, tc.want)
			}
			select {
			case <-l.Done():
			case <-time.After(time.Second):
				t.Fatal("a refused answer left the leg running")
			}
			if !errors.Is(l.Err(), tc.want) {
				t.Fatalf("Err %v", l.Err())
			}
			if err := l.Accept(good); err == nil {
				t.Fatal("a second Accept was taken")
			}
		})
	}
	if !errors.Is(ErrNoCommonCodec, media.ErrNoCommonCodec) || !errors.Is(ErrBadAnswer, media.ErrBadSDP) {
		t.Error("errors do not wrap media's")
	}
}

func TestFingerprintMismatchEndsLeg(t *testing.T) {
	e := newTestEngine(t, testConfig())
	other := anAnswer(t, e) // another browser's certificate
	fpOf := func(sdp string) string {
		for _, line := range strings.Split(sdp, "\r\n") {
			if strings.HasPrefix(line, "a=fingerprint:") {
				return line
			}
		}
		t.Fatalf("no fingerprint in\n%s", sdp)
		return ""
	}
	l, err := e.NewLeg(context.Background(), LegOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ans := newBrowser(t).answer(l.Offer())
	forged := strings.Replace(ans, fpOf(ans), fpOf(other), 1)
	if err := l.Accept(forged); err != nil {
		t.Fatalf("Accept: %v (the mismatch shows in the handshake)", err)
	}
	select {
	case <-l.Done():
	case <-l.Connected():
		t.Fatal("connected with a certificate that does not match the answer")
	case <-time.After(10 * time.Second):
		t.Fatal("leg still running")
	}
	if !errors.Is(l.Err(), ErrFingerprint) {
		t.Fatalf("Err %v, want ErrFingerprint", l.Err())
	}
}

func TestVanishedBrowserEndsLeg(t *testing.T) {
	cfg := testConfig()
	e := newTestEngine(t, cfg)
	l, b := connect(t, e, LegOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.play(ctx, 440, time.Minute)
	got := readAll(ctx, l)
	waitFor(t, 3*time.Second, "audio", func() bool { return got.count(0) >= 10 })

	b.vanish()
	gone := time.Now()
	// ICE checks on its keepalive tick: allow a tick and some slack for a
	// loaded machine on top of the configured detection time.
	limit := cfg.DetectionTime() + cfg.KeepaliveInterval + 3*time.Second
	select {
	case <-l.Done():
	case <-time.After(limit):
		t.Fatalf("leg still up %v after the browser vanished", limit)
	}
	if since := time.Since(gone); since < cfg.DisconnectedTimeout {
		t.Errorf("leg ended %v after the browser vanished, before the disconnected timeout", since)
	}
	if !errors.Is(l.Err(), ErrICEFailed) {
		t.Fatalf("Err %v, want ErrICEFailed", l.Err())
	}
	if _, err := l.ReadRTP(ctx); !errors.Is(err, media.ErrClosed) || !errors.Is(err, ErrICEFailed) {
		t.Fatalf("ReadRTP after the end: %v", err)
	}
	if err := l.WriteRTP(&rtp.Packet{Payload: []byte{1}}); !errors.Is(err, media.ErrClosed) {
		t.Fatalf("WriteRTP after the end: %v", err)
	}
}

func TestBrowserHangsUp(t *testing.T) {
	e := newTestEngine(t, testConfig())
	l, b := connect(t, e, LegOptions{})
	if err := b.pc.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("leg still up after the browser closed")
	}
	if !errors.Is(l.Err(), ErrPeerClosed) {
		t.Fatalf("Err %v, want ErrPeerClosed", l.Err())
	}
}

func TestLegEndsWithItsContext(t *testing.T) {
	e := newTestEngine(t, testConfig())
	ctx, cancel := context.WithCancel(context.Background())
	l, err := e.NewLeg(ctx, LegOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-l.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("leg outlived its context")
	}
	if !errors.Is(l.Err(), context.Canceled) {
		t.Fatalf("Err %v", l.Err())
	}
	l.Close()
	if n := e.Legs(); n != 0 {
		t.Fatalf("engine still holds %d legs", n)
	}
}

func TestNewLegRefusesOtherCodecs(t *testing.T) {
	e := newTestEngine(t, testConfig())
	_, err := e.NewLeg(context.Background(), LegOptions{Prefer: media.Codec{Name: "G729"}})
	if err == nil || !strings.Contains(err.Error(), "LegOptions.Prefer") {
		t.Fatalf("err %v", err)
	}
}
