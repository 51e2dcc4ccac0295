package sip

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestRateLimiterPerSource(t *testing.T) {
	clock := newFakeClock()
	trunk := netip.MustParseAddr("10.0.0.1")
	l := newRateLimiter(50, 100, time.Minute, 1000, func(ip netip.Addr) bool { return ip == trunk }, clock.Now)
	a, b := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")

	allowed, starts := 0, 0
	for range 1000 {
		ok, started := l.allow(a)
		if ok {
			allowed++
		}
		if started {
			starts++
		}
	}
	if allowed != 100 || starts != 1 {
		t.Fatalf("flood from a: %d allowed (want the burst, 100), %d flood starts (want 1)", allowed, starts)
	}
	if ok, _ := l.allow(b); !ok {
		t.Fatal("b is limited by a's flood")
	}
	for range 1000 {
		if ok, _ := l.allow(trunk); !ok {
			t.Fatal("trunk limited")
		}
	}
	// Refill at 50/s.
	clock.Add(time.Second)
	allowed = 0
	for range 100 {
		if ok, _ := l.allow(a); ok {
			allowed++
		}
	}
	if allowed != 50 {
		t.Fatalf("after 1 s: %d allowed, want 50", allowed)
	}
	if got := l.dropped.Load(); got != 900+50 {
		t.Fatalf("dropped %d", got)
	}
}

func TestRateLimiterBoundedMemory(t *testing.T) {
	clock := newFakeClock()
	l := newRateLimiter(1, 2, time.Minute, 10, nil, clock.Now)
	for i := range 1000 {
		l.allow(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
	}
	if n := l.size(); n != 10 {
		t.Fatalf("%d buckets, want the cap of 10", n)
	}
	// Newcomers beyond the cap share the overflow bucket (already empty).
	if ok, _ := l.allow(netip.MustParseAddr("10.9.9.9")); ok {
		t.Fatal("overflow bucket not shared")
	}
	// A known source keeps its own bucket.
	if ok, _ := l.allow(netip.AddrFrom4([4]byte{10, 0, 0, 0})); !ok {
		t.Fatal("known source lost its bucket")
	}
	clock.Add(2 * time.Minute)
	l.sweep()
	if n := l.size(); n != 0 {
		t.Fatalf("%d buckets after idle sweep", n)
	}
}

func TestRateLimiterReadFilter(t *testing.T) {
	clock := newFakeClock()
	l := newRateLimiter(1, 1, time.Minute, 10, nil, clock.Now)
	f := l.readFilter(100, nil)
	udp := sip.TransportReadProps{Transport: "UDP", RemoteAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5070}}
	if out, err := f(udp, []byte("OPTIONS")); err != nil || string(out) != "OPTIONS" {
		t.Fatalf("first read: %q %v", out, err)
	}
	// Over the rate: UDP drops without an error (an error would stop sipgo's reader).
	if out, err := f(udp, []byte("OPTIONS")); err != nil || out != nil {
		t.Fatalf("limited UDP read: %q %v", out, err)
	}
	tcp := sip.TransportReadProps{Transport: "TCP", RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5071}}
	if _, err := f(tcp, []byte("x")); err == nil {
		t.Fatal("limited TCP read must close the connection")
	}
	clock.Add(time.Hour)
	if out, _ := f(udp, make([]byte, 101)); out != nil {
		t.Fatal("oversized datagram passed")
	}
}
