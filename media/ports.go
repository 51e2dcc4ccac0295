package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultDrainTime is how long a released port stays bound, discarding
// whatever still arrives, before it can be handed out again.
const DefaultDrainTime = 10 * time.Second

// ErrNoPorts is returned when every port of the range is in use or draining.
var ErrNoPorts = errors.New("media: no free RTP port in range")

// PortAllocator hands out UDP sockets for RTP on even ports of a range.
//
//   - Even ports only: RFC 3550 11 has RTP on an even port and RTCP on the
//     next odd one, and some gateways misroute media on odd ports. callroute
//     sends no RTCP and does not bind the odd port (a fixed RTP+1 bind gave
//     "address already in use" at scale, diago #101); a peer's RTCP to port+1
//     is answered with ICMP port unreachable, which peers ignore. Size the
//     range at two ports per concurrent leg, plus the draining ones.
//   - Round robin: the search for a free port starts after the last port
//     handed out, so a port just freed is the last to be used again.
//   - Draining: a released socket stays bound for the drain time and
//     discards what arrives (late media of the last call), so a new call
//     never receives stale media (livekit draining_port.go).
//
// Ports taken by other processes are skipped. A PortAllocator is safe for
// concurrent use.
type PortAllocator struct {
	bind  netip.Addr
	first int // first even port
	last  int
	drain time.Duration

	mu       sync.Mutex
	next     int
	busy     map[int]bool // allocated or draining
	draining map[int]*net.UDPConn
	closed   bool
	wg       sync.WaitGroup
}

// PortOption configures a PortAllocator.
type PortOption func(*PortAllocator)

// WithDrainTime sets how long released ports drain; 0 releases at once.
func WithDrainTime(d time.Duration) PortOption {
	return func(a *PortAllocator) { a.drain = max(d, 0) }
}

// NewPortAllocator allocates ports in [min, max] bound to bind (the local
// address, not the announced one; 0.0.0.0 or :: for all).
func NewPortAllocator(bind netip.Addr, minPort, maxPort int, opts ...PortOption) (*PortAllocator, error) {
	if !bind.IsValid() {
		return nil, fmt.Errorf("media: invalid RTP bind address")
	}
	if minPort < 1 || maxPort > 65535 || minPort > maxPort {
		return nil, fmt.Errorf("media: RTP port range %d-%d", minPort, maxPort)
	}
	first := minPort + minPort%2
	if first > maxPort {
		return nil, fmt.Errorf("media: RTP port range %d-%d has no even port", minPort, maxPort)
	}
	a := &PortAllocator{
		bind: bind, first: first, last: maxPort, drain: DefaultDrainTime,
		next: first, busy: map[int]bool{}, draining: map[int]*net.UDPConn{},
	}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

// ParsePortRange reads a range such as "20000-20999".
func ParsePortRange(s string) (minPort, maxPort int, err error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return 0, 0, fmt.Errorf("media: port range %q: want MIN-MAX", s)
	}
	minPort, err1 := strconv.Atoi(strings.TrimSpace(lo))
	maxPort, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || minPort < 1 || maxPort > 65535 || minPort > maxPort {
		return 0, 0, fmt.Errorf("media: port range %q", s)
	}
	return minPort, maxPort, nil
}

// Capacity returns the number of even ports in the range.
func (a *PortAllocator) Capacity() int { return (a.last-a.first)/2 + 1 }

// Counts returns the ports in use by sessions and the ports draining.
func (a *PortAllocator) Counts() (inUse, draining int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.busy) - len(a.draining), len(a.draining)
}

// Port is an allocated RTP socket. Release it exactly once, after its reader
// has stopped reading.
type Port struct {
	a    *PortAllocator
	conn *net.UDPConn
	num  int
	once sync.Once
}

// Conn returns the bound socket.
func (p *Port) Conn() *net.UDPConn { return p.conn }

// Number returns the port number.
func (p *Port) Number() int { return p.num }

// Allocate binds the next free even port.
func (a *PortAllocator) Allocate() (*Port, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, ErrClosed
	}
	n := a.Capacity()
	for range n {
		port := a.next
		a.next += 2
		if a.next > a.last {
			a.next = a.first
		}
		if a.busy[port] {
			continue
		}
		conn, err := listenUDP(a.bind, port)
		if err != nil {
			continue // taken by someone else
		}
		a.busy[port] = true
		return &Port{a: a, conn: conn, num: port}, nil
	}
	return nil, ErrNoPorts
}

func listenUDP(bind netip.Addr, port int) (*net.UDPConn, error) {
	network := "udp4"
	if bind.Is6() {
		network = "udp6"
		if bind.IsUnspecified() {
			network = "udp" // dual stack
		}
	}
	return net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(bind, uint16(port))))
}

// Release starts draining the port: the socket stays bound and discards
// traffic for the drain time, then is closed and the port freed. Calling it
// again does nothing.
func (p *Port) Release() {
	p.once.Do(func() { p.a.release(p) })
}

func (a *PortAllocator) release(p *Port) {
	a.mu.Lock()
	if a.closed || a.drain == 0 {
		delete(a.busy, p.num)
		a.mu.Unlock()
		p.conn.Close()
		return
	}
	a.draining[p.num] = p.conn
	a.wg.Add(1)
	a.mu.Unlock()
	go a.drainPort(p.num, p.conn)
}

// drainPort reads and discards until the drain time is over or the socket
// is closed by Close.
func (a *PortAllocator) drainPort(port int, conn *net.UDPConn) {
	defer a.wg.Done()
	_ = conn.SetReadDeadline(time.Now().Add(a.drain))
	buf := make([]byte, 1500)
	for {
		if _, _, err := conn.ReadFromUDPAddrPort(buf); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && !ne.Timeout() && !errors.Is(err, net.ErrClosed) {
				continue // e.g. ICMP-induced errors: keep draining
			}
			break
		}
	}
	conn.Close()
	a.mu.Lock()
	if a.draining[port] == conn {
		delete(a.draining, port)
		delete(a.busy, port)
	}
	a.mu.Unlock()
}

// Close stops allocating and closes the draining sockets at once (for
// shutdown). Sockets still held by sessions are theirs to close.
func (a *PortAllocator) Close() error {
	a.mu.Lock()
	a.closed = true
	for _, c := range a.draining {
		c.Close()
	}
	a.mu.Unlock()
	a.wg.Wait()
	return nil
}
