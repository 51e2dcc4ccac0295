package webrtc

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestConfigRefusesBadValues(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Listen: netip.MustParseAddrPort("[::1]:0")}, "Config.Listen"},
		{Config{Listen: netip.MustParseAddrPort("0.0.0.0:0")}, "Config.Listen"},
		{Config{Listen: netip.MustParseAddrPort("0.0.0.0:20999"), Announce: []netip.Addr{netip.MustParseAddr("203.0.113.7")}}, "Config.Listen"},
		{Config{Announce: []netip.Addr{netip.MustParseAddr("2001:db8::1")}}, "Config.Announce[0]"},
		{Config{Announce: []netip.Addr{{}}}, "Config.Announce[0]"},
		{Config{AnnouncePort: 3478}, "Config.AnnouncePort"},
		{Config{FailedTimeout: -time.Second}, "Config.FailedTimeout"},
		{Config{KeepaliveInterval: -1}, "Config.KeepaliveInterval"},
	} {
		_, err := NewEngine(tc.cfg, quiet())
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: err %v, want one naming %s", tc.cfg, err, tc.field)
		}
	}
	c, err := Config{}.withDefaults()
	if err != nil || c.Listen.String() != "127.0.0.1:20999" || c.DetectionTime() != 5*time.Second {
		t.Errorf("defaults %+v, %v", c, err)
	}
}

// TestAnnouncedAddress: behind a 1:1 NAT the offer carries the public
// address as a host candidate, not the bound one.
func TestAnnouncedAddress(t *testing.T) {
	cfg := testConfig()
	cfg.Announce = []netip.Addr{netip.MustParseAddr("203.0.113.7")}
	cfg.AnnouncePort = 3478
	e := newTestEngine(t, cfg)
	l, err := e.NewLeg(context.Background(), LegOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	offer := l.Offer()
	if !strings.Contains(offer, "203.0.113.7 3478 typ host") || strings.Contains(offer, "127.0.0.1 ") {
		t.Fatalf("offer candidates:\n%s", offer)
	}
}

func TestOfferIsG711Only(t *testing.T) {
	e := newTestEngine(t, testConfig())
	l, err := e.NewLeg(context.Background(), LegOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	offer := l.Offer()
	for _, want := range []string{"m=audio 9 UDP/TLS/RTP/SAVPF 0 8 101", "a=rtpmap:101 telephone-event/8000", "a=setup:actpass", "typ host"} {
		if !strings.Contains(offer, want) {
			t.Errorf("offer lacks %q", want)
		}
	}
	for _, unwanted := range []string{"opus", "transport-cc", "nack", "a=extmap:", ".local"} {
		if strings.Contains(offer, unwanted) {
			t.Errorf("offer has %q", unwanted)
		}
	}
	if t.Failed() {
		t.Log(offer)
	}
}

// TestCloseIsIdempotentAndLeavesNoGoroutines: legs in every state (never
// answered, connected, ended by the browser), closed twice, the engine
// closed twice, and nothing of pion's or ours is left running.
func TestCloseIsIdempotentAndLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	e, err := NewEngine(testConfig(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	unanswered, err := e.NewLeg(context.Background(), LegOptions{})
	if err != nil {
		t.Fatal(err)
	}
	open := func() (*Leg, *browser) {
		l, err := e.NewLeg(context.Background(), LegOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t)
		if err := l.Accept(b.answer(l.Offer())); err != nil {
			t.Fatal(err)
		}
		select {
		case <-l.Connected():
		case <-time.After(10 * time.Second):
			t.Fatal("not connected")
		}
		b.waitConnected()
		return l, b
	}
	connected, b1 := open()
	hungUp, b2 := open()
	b2.close()
	<-hungUp.Done()
	left, b3 := open() // closed by the engine

	for range 2 {
		if err := unanswered.Close(); err != nil {
			t.Fatal(err)
		}
		if err := connected.Close(); err != nil {
			t.Fatal(err)
		}
		if err := hungUp.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if !errors.Is(connected.Err(), ErrClosed) || !errors.Is(hungUp.Err(), ErrPeerClosed) {
		t.Fatalf("errs %v, %v", connected.Err(), hungUp.Err())
	}
	if n := e.Legs(); n != 1 {
		t.Fatalf("engine holds %d legs, want 1", n)
	}
	for range 2 {
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-left.Done():
	default:
		t.Fatal("engine closed, leg still up")
	}
	if _, err := e.NewLeg(context.Background(), LegOptions{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewLeg on a closed engine: %v", err)
	}
	b1.close()
	b3.close()
}
