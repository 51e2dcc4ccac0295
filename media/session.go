package media

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// ErrClosed is returned by a closed Session (and PortAllocator).
var ErrClosed = errors.New("media: closed")

// receiveQueue is how many received packets wait for a reader. When full the
// oldest is dropped, so a reader that starts late (the bridge after ringback)
// gets recent audio, at most 320 ms of it.
const receiveQueue = 16

// relatchAfter is how long the current RTP source must be silent before
// packets from another source are taken (and, when latching, sent to). It
// keeps a stray or hostile sender from hijacking a live stream ("RTP bleed")
// while still following a phone whose NAT mapping changed.
const relatchAfter = time.Second

// Session is one SIP leg's RTP over one UDP socket. It implements Leg.
//
// Life cycle: NewSession binds a port from the allocator and starts the read
// loop, which discards everything until Start (remembering the latest
// source). Start (when the call is answered) lets packets through and arms the
// media timeouts. Apply (after each offer/answer) sets the codec, the remote
// address and the hold state. Close ends the read loop, unblocks readers and
// hands the port back to the allocator to drain.
type Session struct {
	port *Port
	conn *net.UDPConn
	// log is the caller's logger; each line names the port itself (a
	// logger With the port per session cost more than the few lines).
	log *slog.Logger

	symmetric bool       // latch configured
	announced netip.Addr // for the automatic latch decision

	codec   atomic.Pointer[Codec]
	recvMap atomic.Pointer[ptMap]
	started atomic.Bool
	closed  atomic.Bool
	heard   atomic.Bool // a datagram arrived, RTP or not, before or after Start

	// The send side: one outgoing stream.
	sendMu sync.Mutex
	rw     Rewriter
	buf    [1500]byte

	// Addresses, guarded by addrMu.
	addrMu     sync.Mutex
	remote     netip.AddrPort // from SDP
	latch      bool           // send to the source of received RTP
	source     netip.AddrPort // current accepted RTP source
	sourceSeen time.Time      // last packet from source
	dir        Direction
	lastLog    time.Time

	in       chan *rtp.Packet
	closedCh chan struct{}
	loopDone chan struct{}
	timeout  chan error
	onTime   func(error)
	wd       watchdog

	stats sessionStats
}

// defaultCodec is a session's codec until WithCodec or Apply; shared, as
// what the codec pointer points to is never changed.
var defaultCodec = PCMU

// ptMap translates payload types the remote sends with (the numbers in our
// SDP) to the numbers of Codec, when the two differ.
type ptMap struct{ audioFrom, audioTo, teFrom, teTo uint8 }

// SessionOption configures a Session.
type SessionOption func(*Session)

// WithCodec sets the codec before the first Apply (default PCMU with
// telephone-event 101).
func WithCodec(c Codec) SessionOption {
	return func(s *Session) { s.codec.Store(&c) }
}

// WithRemote sets where to send before the first Apply.
func WithRemote(addr netip.AddrPort) SessionOption {
	return func(s *Session) { s.remote = addr }
}

// WithSymmetricRTP makes the session always send to the address the remote's
// RTP comes from (RFC 4961), once a packet arrived; until then to the SDP
// address. Without it the session still latches when the SDP address looks
// wrong (see autoLatch).
func WithSymmetricRTP(on bool) SessionOption {
	return func(s *Session) { s.symmetric = on }
}

// WithAnnouncedAddr gives our announced media address, used to decide the
// automatic latch (a private SDP address is only trusted when we are on a
// private network too). Default: the allocator's bind address.
func WithAnnouncedAddr(a netip.Addr) SessionOption {
	return func(s *Session) { s.announced = a }
}

// WithMediaTimeouts sets the timeouts armed by Start: initial until the first
// packet, ongoing for silence after it. Zero disables one.
func WithMediaTimeouts(initial, ongoing time.Duration) SessionOption {
	return func(s *Session) { s.wd.initial, s.wd.ongoing = initial, ongoing }
}

// WithTimeoutFunc calls fn (once, on a timer goroutine) when a media timeout
// fires, in addition to the Timeout channel.
func WithTimeoutFunc(fn func(error)) SessionOption {
	return func(s *Session) { s.onTime = fn }
}

// WithLogger sets the logger (give it the call ID); default slog.Default().
func WithLogger(l *slog.Logger) SessionOption {
	return func(s *Session) { s.log = l }
}

// NewSession allocates a port and starts the session's read loop.
func NewSession(ports *PortAllocator, opts ...SessionOption) (*Session, error) {
	p, err := ports.Allocate()
	if err != nil {
		return nil, err
	}
	s := &Session{
		port:      p,
		conn:      p.Conn(),
		log:       slog.Default(),
		announced: ports.bind,
		rw:        newRewriter(),
		in:        make(chan *rtp.Packet, receiveQueue),
		closedCh:  make(chan struct{}),
		loopDone:  make(chan struct{}),
		timeout:   make(chan error, 1),
	}
	s.wd.initial, s.wd.ongoing, s.wd.fire = DefaultInitialTimeout, DefaultMediaTimeout, s.fireTimeout
	s.codec.Store(&defaultCodec)
	for _, o := range opts {
		o(s)
	}
	s.latch = s.symmetric || autoLatch(s.remote.Addr(), s.announced)
	go s.readLoop()
	return s, nil
}

// LocalPort returns the bound RTP port, for our SDP.
func (s *Session) LocalPort() int { return s.port.Number() }

// Codec implements Leg.
func (s *Session) Codec() Codec { return *s.codec.Load() }

// Apply takes the outcome of an offer/answer exchange (the first one or a
// re-INVITE): codec, remote address, direction and hold. A changed remote
// address or codec starts a new outgoing source (marker bit, continuous
// sequence numbers) and a new latch.
func (s *Session) Apply(n Negotiated) {
	old := s.Codec()
	c := n.Codec
	s.codec.Store(&c)
	if n.LocalCodec.PayloadType != c.PayloadType || n.LocalCodec.TelephoneEvent != c.TelephoneEvent {
		s.recvMap.Store(&ptMap{n.LocalCodec.PayloadType, c.PayloadType, n.LocalCodec.TelephoneEvent, c.TelephoneEvent})
	} else {
		s.recvMap.Store(nil)
	}
	s.addrMu.Lock()
	changed := s.remote != n.Remote
	s.remote = n.Remote
	s.dir = n.Direction
	if changed {
		s.source = netip.AddrPort{}
		s.latch = s.symmetric || autoLatch(n.Remote.Addr(), s.announced)
	}
	s.addrMu.Unlock()
	if changed || old != c {
		s.ResetStream()
	}
	s.SetHold(n.OnHold())
	if s.log.Enabled(context.Background(), slog.LevelDebug) { // c.String() costs even when not logged
		s.log.Debug("media negotiated", "rtp_port", s.port.Number(), "codec", c.String(), "remote", n.Remote,
			"direction", n.Direction, "hold", n.OnHold())
	}
}

// SetDirection sets our direction: nothing is sent while it is recvonly or
// inactive (RFC 3264 5.1).
func (s *Session) SetDirection(d Direction) {
	s.addrMu.Lock()
	s.dir = d
	s.addrMu.Unlock()
}

// SetHold turns the media timeouts off (on hold) or back on.
func (s *Session) SetHold(hold bool) { s.wd.setHold(hold) }

// ResetStream makes the next packet sent start a new source: marker set,
// sequence continuous, timestamp advanced by wall time.
func (s *Session) ResetStream() {
	s.sendMu.Lock()
	s.rw.Reset()
	s.sendMu.Unlock()
}

// Start lets received RTP through and arms the media timeouts. Call it when
// the call is answered (the 200 OK sent or received).
func (s *Session) Start() {
	if s.started.Swap(true) {
		return
	}
	s.wd.arm()
}

// Timeout delivers the media timeout error (ErrInitialMediaTimeout or
// ErrMediaTimeout) once, if it fires. The session stays open: hanging up is
// the SIP layer's decision.
func (s *Session) Timeout() <-chan error { return s.timeout }

func (s *Session) fireTimeout(err error) {
	s.log.Info("media timeout", "rtp_port", s.port.Number(), "err", err)
	select {
	case s.timeout <- err:
	default:
	}
	if s.onTime != nil {
		s.onTime(err)
	}
}

// Done is closed when the session is closed.
func (s *Session) Done() <-chan struct{} { return s.closedCh }

// Close ends the read loop, wakes up readers with ErrClosed and releases the
// port to drain. It is safe to call more than once.
func (s *Session) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.closedCh)
	s.wd.stop()
	_ = s.conn.SetReadDeadline(time.Now()) // unblock the read loop
	<-s.loopDone
	if s.heard.Load() {
		s.port.Release()
	} else {
		s.port.ReleaseQuiet() // no stream to this port can go stale
	}
	return nil
}

// ReadRTP implements Leg: the next received packet, with the payload types of
// Codec().
func (s *Session) ReadRTP(ctx context.Context) (*rtp.Packet, error) {
	select {
	case p := <-s.in:
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.closedCh:
		return nil, ErrClosed
	}
}
