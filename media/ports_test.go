package media

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// freeRange finds a block of n free ports on loopback for a test.
func freeRange(t testing.TB, n int) (int, int) {
	t.Helper()
	for base := 30000 + int(time.Now().UnixNano()%20000)&^1; base < 65000; base += n + 2 {
		ok := true
		var conns []*net.UDPConn
		for p := base; p < base+n; p++ {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
			if err != nil {
				ok = false
				break
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		if ok {
			return base, base + n - 1
		}
	}
	t.Fatal("no free port range")
	return 0, 0
}

func TestPortAllocatorEvenRoundRobin(t *testing.T) {
	lo, hi := freeRange(t, 8)
	a, err := NewPortAllocator(loopback, lo+1, hi, WithDrainTime(0)) // odd min: starts at lo+2
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Capacity() != 3 {
		t.Fatalf("capacity %d", a.Capacity())
	}
	p1, _ := a.Allocate()
	p2, _ := a.Allocate()
	if p1.Number()%2 != 0 || p2.Number()%2 != 0 || p1.Number() != lo+2 || p2.Number() != lo+4 {
		t.Fatalf("ports %d %d from %d-%d", p1.Number(), p2.Number(), lo+1, hi)
	}
	p1.Release()
	// Round robin: the freed port is not handed out next.
	p3, _ := a.Allocate()
	if p3.Number() == p1.Number() {
		t.Fatalf("just-freed port %d reused at once", p1.Number())
	}
	p4, err := a.Allocate()
	if err != nil || p4.Number() != p1.Number() {
		t.Fatalf("wrap-around: %v %v", p4, err)
	}
	if _, err := a.Allocate(); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("exhausted range: %v", err)
	}
	for _, p := range []*Port{p2, p3, p4} {
		p.Release()
	}
	p2.Release() // twice is harmless
}

func TestPortDraining(t *testing.T) {
	lo, hi := freeRange(t, 2)
	a, _ := NewPortAllocator(loopback, lo, hi, WithDrainTime(300*time.Millisecond))
	defer a.Close()
	p, err := a.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	p.Release()
	if inUse, draining := a.Counts(); inUse != 0 || draining != 1 {
		t.Fatalf("counts %d %d", inUse, draining)
	}
	// Still bound: nobody else can take it, and it is not handed out.
	if c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p.Number()}); err == nil {
		c.Close()
		t.Fatal("draining port not bound")
	}
	if _, err := a.Allocate(); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("draining port handed out: %v", err)
	}
	// Traffic to it is swallowed quietly.
	snd, _ := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p.Number()})
	defer snd.Close()
	for range 5 {
		if _, err := snd.Write([]byte("late media")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		if _, draining := a.Counts(); draining == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("port never finished draining")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p2, err := a.Allocate()
	if err != nil || p2.Number() != p.Number() {
		t.Fatalf("after draining: %v %v", p2, err)
	}
	p2.Release()
}

func TestPortAllocatorSkipsTakenPorts(t *testing.T) {
	lo, hi := freeRange(t, 4)
	other, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: lo})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	a, _ := NewPortAllocator(loopback, lo, hi, WithDrainTime(0))
	defer a.Close()
	p, err := a.Allocate()
	if err != nil || p.Number() != lo+2 {
		t.Fatalf("got %v %v", p, err)
	}
	p.Release()
}

func TestParsePortRange(t *testing.T) {
	lo, hi, err := ParsePortRange(" 20000-20999 ")
	if err != nil || lo != 20000 || hi != 20999 {
		t.Fatal(lo, hi, err)
	}
	for _, bad := range []string{"", "20000", "b-c", "3-1", "0-10", "1-70000"} {
		if _, _, err := ParsePortRange(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := NewPortAllocator(loopback, 21, 21); err == nil {
		t.Error("range without even port accepted")
	}
}

// waitDrained waits until no port of a drains, and returns how long it took.
func waitDrained(t *testing.T, a *PortAllocator, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if _, draining := a.Counts(); draining == 0 {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("ports still draining after %v", within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestQuietPortsDrainShorter: a port nothing ever reached drains for the
// quiet time; one that received media for the full drain time, both
// staying bound meanwhile.
func TestQuietPortsDrainShorter(t *testing.T) {
	lo, hi := freeRange(t, 4)
	a, _ := NewPortAllocator(loopback, lo, hi, WithDrainTime(2*time.Second), WithQuietDrainTime(50*time.Millisecond))
	defer a.Close()
	quiet, _ := a.Allocate()
	quiet.ReleaseQuiet()
	if took := waitDrained(t, a, 3*time.Second); took > 1500*time.Millisecond {
		t.Errorf("a quiet port drained in %v, want about 50 ms (not the 2 s drain)", took)
	}
	heard, _ := a.Allocate()
	heard.Release()
	if c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: heard.Number()}); err == nil {
		c.Close()
		t.Fatal("draining port not bound")
	}
	if took := waitDrained(t, a, 5*time.Second); took < 1900*time.Millisecond {
		t.Errorf("a port that had media drained in %v, want 2 s", took)
	}
}

// TestSessionDrainDependsOnWhatArrived: a session that received any
// datagram releases its port for the full drain; one that received
// nothing, for the quiet drain.
func TestSessionDrainDependsOnWhatArrived(t *testing.T) {
	lo, hi := freeRange(t, 4)
	a, _ := NewPortAllocator(loopback, lo, hi, WithDrainTime(2*time.Second), WithQuietDrainTime(10*time.Millisecond))
	defer a.Close()
	silent := newSession(t, a)
	silent.Close()
	if took := waitDrained(t, a, 3*time.Second); took > 1500*time.Millisecond {
		t.Errorf("a session that got nothing drained %v, want about 10 ms (not the 2 s drain)", took)
	}
	s := newSession(t, a)
	snd, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: s.LocalPort()})
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	if _, err := snd.Write([]byte("not even RTP")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !s.heard.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s.Close()
	time.Sleep(300 * time.Millisecond)
	if _, draining := a.Counts(); draining != 1 {
		t.Errorf("a session that got a datagram stopped draining within 300 ms of a 2 s drain")
	}
}
