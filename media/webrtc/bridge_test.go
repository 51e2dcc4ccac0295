package webrtc

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"callroute/media"
	"callroute/media/audio"
	"callroute/media/dtmf"
	"callroute/media/g711"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// sipPair is a SIP RTP session (callroute's side of the caller's leg) and
// another session playing the caller's phone, pointed at each other.
func sipPair(t testing.TB, codec media.Codec) (sip, phone *media.Session) {
	t.Helper()
	// The allocator skips ports other processes hold.
	ports, err := media.NewPortAllocator(loopback, 47000, 47999, media.WithDrainTime(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ports.Close() })
	open := func() *media.Session {
		s, err := media.NewSession(ports, media.WithLogger(quiet()), media.WithMediaTimeouts(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	sip, phone = open(), open()
	at := func(s *media.Session) netip.AddrPort { return netip.AddrPortFrom(loopback, uint16(s.LocalPort())) }
	sip.Apply(media.Negotiated{Codec: codec, LocalCodec: codec, Remote: at(phone)})
	phone.Apply(media.Negotiated{Codec: codec, LocalCodec: codec, Remote: at(sip)})
	sip.Start()
	phone.Start()
	return sip, phone
}

// TestBridgeSIPToBrowser joins a SIP RTP session and a browser leg with
// media.NewBridge: the caller's phone hears the browser's microphone, the
// browser hears the phone, and the caller's DTMF reaches the browser as
// RFC 4733 events (and the bridge's DTMF callback).
func TestBridgeSIPToBrowser(t *testing.T) {
	for _, codec := range []media.Codec{media.PCMU, media.PCMA} {
		t.Run(codec.Name, func(t *testing.T) {
			e := newTestEngine(t, testConfig())
			sip, phone := sipPair(t, codec)
			l, b := connect(t, e, LegOptions{Prefer: sip.Codec(), CallID: "bridge-" + codec.Name})
			if l.Codec().Name != codec.Name {
				t.Fatalf("leg codec %v, want %s (no conversion in the bridge)", l.Codec(), codec.Name)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			var mu sync.Mutex
			var keys []rune
			br := media.NewBridge(ctx, sip, l, media.WithBridgeLogger(quiet()), media.WithDTMF(func(from media.Side, key rune) {
				mu.Lock()
				keys = append(keys, key)
				mu.Unlock()
			}))
			defer br.Stop()
			atPhone := readAll(ctx, phone)

			go b.play(ctx, 440, 1500*time.Millisecond)
			if err := media.Play(ctx, phone, audio.Limit(audio.NewTone(1000, -10), 1200)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 3*time.Second, "the browser's tone at the phone", func() bool { return atPhone.count(codec.PayloadType) >= 50 })
			hears(t, "the phone", atPhone, codec.PayloadType, codec.Law(), 440)
			hears(t, "the browser", &b.heard, codec.PayloadType, codec.Law(), 1000)

			if err := media.SendDTMF(ctx, phone, '5', 100*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 2*time.Second, "the key at the browser", func() bool {
				var det dtmf.Detector
				for _, h := range b.heard.all() {
					if h.p.PayloadType == l.Codec().TelephoneEvent {
						if k, ok := det.Feed(h.p.Timestamp, h.p.Payload); ok && k == '5' {
							return true
						}
					}
				}
				return false
			})
			mu.Lock()
			if len(keys) != 1 || keys[0] != '5' {
				t.Errorf("bridge reported keys %q, want \"5\"", string(keys))
			}
			mu.Unlock()
			// The DTMF packets did not go out as audio.
			for _, h := range b.heard.all() {
				if h.p.PayloadType == codec.PayloadType && len(h.p.Payload) != 160 {
					t.Fatalf("audio packet of %d bytes: DTMF sent as audio?", len(h.p.Payload))
				}
			}
			if fwd, _ := br.Packets(media.SideB); fwd < 50 {
				t.Errorf("bridge forwarded %d packets from the browser", fwd)
			}
		})
	}
}

// TestBridgeConvertsWhenBrowserTakesOtherLaw: the caller speaks PCMA, the
// browser leg was offered PCMU first (as for a leg made before the caller's
// codec is known); the bridge converts.
func TestBridgeConvertsWhenBrowserTakesOtherLaw(t *testing.T) {
	e := newTestEngine(t, testConfig())
	sip, phone := sipPair(t, media.PCMA)
	l, b := connect(t, e, LegOptions{Prefer: media.PCMU})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	br := media.NewBridge(ctx, sip, l, media.WithBridgeLogger(quiet()))
	defer br.Stop()
	atPhone := readAll(ctx, phone)
	go b.play(ctx, 440, 1500*time.Millisecond)
	if err := media.Play(ctx, phone, audio.Limit(audio.NewTone(1000, -10), 1200)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "the browser's tone at the phone", func() bool { return atPhone.count(8) >= 50 })
	hears(t, "the phone", atPhone, 8, g711.ALaw, 440)
	hears(t, "the browser", &b.heard, 0, g711.ULaw, 1000)
}
