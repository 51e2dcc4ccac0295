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

// DefaultDrainTime is how long a released port that received media stays
// bound (what still arrives is dropped) before it can be handed out again.
const DefaultDrainTime = 10 * time.Second

// DefaultQuietDrainTime is the drain of a port that never received a
// datagram: no stream to it can go stale, only packets its peer sent in the
// last moments of the call can still be on their way.
const DefaultQuietDrainTime = time.Second

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
//   - Draining: a released socket stays bound for the drain time, so a new
//     call never receives stale media (livekit draining_port.go); a socket
//     that never received anything (ReleaseQuiet) for the shorter quiet
//     drain time. Nothing reads it meanwhile: its receive buffer is shrunk
//     to the kernel's minimum, so late media of the last call is dropped
//     by the kernel and the few packets held are discarded when it closes.
//     One goroutine closes the drained sockets, in release order per drain
//     time; it runs only while ports are draining.
//
// Ports taken by other processes are skipped. A PortAllocator is safe for
// concurrent use.
type PortAllocator struct {
	bind  netip.Addr
	first int // first even port
	last  int
	drain time.Duration
	quiet time.Duration // drain of a port that never received anything

	mu       sync.Mutex
	next     int
	busy     map[int]bool // allocated or draining
	draining map[int]*net.UDPConn
	queues   [2][]drainingPort // full and quiet drains, each oldest first
	drainer  bool              // the drainer goroutine runs
	closed   bool
	stop     chan struct{} // closed by Close
	wg       sync.WaitGroup
}

// drainingPort is a released socket waiting for its drain time to pass.
type drainingPort struct {
	port int
	conn *net.UDPConn
	due  time.Time
}

// drainReadBuffer is the receive buffer of a draining socket: the kernel
// raises it to its minimum (a few packets), and drops what does not fit.
const drainReadBuffer = 1

// PortOption configures a PortAllocator.
type PortOption func(*PortAllocator)

// WithDrainTime sets how long released ports drain; 0 releases at once
// (quiet ones too).
func WithDrainTime(d time.Duration) PortOption {
	return func(a *PortAllocator) { a.drain = max(d, 0) }
}

// WithQuietDrainTime sets how long a port that never received a datagram
// drains (ReleaseQuiet); at most the drain time.
func WithQuietDrainTime(d time.Duration) PortOption {
	return func(a *PortAllocator) { a.quiet = max(d, 0) }
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
		bind: bind, first: first, last: maxPort, drain: DefaultDrainTime, quiet: DefaultQuietDrainTime,
		next: first, busy: map[int]bool{}, draining: map[int]*net.UDPConn{}, stop: make(chan struct{}),
	}
	for _, o := range opts {
		o(a)
	}
	a.quiet = min(a.quiet, a.drain)
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

// Release starts draining the port: the socket stays bound, unread, for
// the drain time, then is closed and the port freed. Calling it (or
// ReleaseQuiet) again does nothing.
func (p *Port) Release() {
	p.once.Do(func() { p.a.release(p, false) })
}

// ReleaseQuiet is Release for a socket that never received a datagram: it
// drains for the quiet drain time only.
func (p *Port) ReleaseQuiet() {
	p.once.Do(func() { p.a.release(p, true) })
}

func (a *PortAllocator) release(p *Port, quiet bool) {
	d, q := a.drain, 0
	if quiet {
		d, q = a.quiet, 1
	}
	a.mu.Lock()
	if a.closed || d == 0 {
		delete(a.busy, p.num)
		a.mu.Unlock()
		p.conn.Close()
		return
	}
	a.mu.Unlock()
	_ = p.conn.SetReadBuffer(drainReadBuffer)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed { // Close ran meanwhile
		delete(a.busy, p.num)
		p.conn.Close()
		return
	}
	a.draining[p.num] = p.conn
	a.queues[q] = append(a.queues[q], drainingPort{port: p.num, conn: p.conn, due: time.Now().Add(d)})
	if !a.drainer {
		a.drainer = true
		a.wg.Add(1)
		go a.drainLoop()
	}
}

// drainLoop closes drained sockets when their time is up, and ends when
// none is left (release starts it again) or the allocator is closed.
func (a *PortAllocator) drainLoop() {
	defer a.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		a.mu.Lock()
		if a.closed || len(a.queues[0])+len(a.queues[1]) == 0 {
			a.drainer = false
			a.queues = [2][]drainingPort{}
			a.mu.Unlock()
			return
		}
		now := time.Now()
		var due []drainingPort
		wait := time.Duration(-1) // until the next one is due; -1: none left
		for q := range a.queues {
			queue := a.queues[q]
			n := 0
			for n < len(queue) && !queue[n].due.After(now) {
				n++
			}
			due = append(due, queue[:n]...)
			a.queues[q] = queue[n:]
			if n < len(queue) {
				if w := queue[n].due.Sub(now); wait < 0 || w < wait {
					wait = w
				}
			}
		}
		a.mu.Unlock()
		for _, d := range due {
			d.conn.Close()
		}
		a.mu.Lock()
		for _, d := range due {
			if a.draining[d.port] == d.conn {
				delete(a.draining, d.port)
				delete(a.busy, d.port)
			}
		}
		a.mu.Unlock()
		if wait <= 0 {
			continue
		}
		t.Reset(wait)
		select {
		case <-t.C:
		case <-a.stop:
		}
	}
}

// Close stops allocating and closes the draining sockets at once (for
// shutdown). Sockets still held by sessions are theirs to close.
func (a *PortAllocator) Close() error {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.stop)
	}
	for _, c := range a.draining {
		c.Close()
	}
	a.mu.Unlock()
	a.wg.Wait()
	return nil
}
