package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// WriteRTP implements Leg. It sends p through the session's Rewriter (own
// SSRC, continuous sequence and timestamp), without header extensions, CSRCs
// or padding, to the latched source or the SDP address. Nothing is sent, and
// nil returned, while our direction is recvonly or inactive or no address is
// known.
func (s *Session) WriteRTP(p *rtp.Packet) error {
	if s.closed.Load() {
		return ErrClosed
	}
	dst, ok := s.destination()
	if !ok {
		s.stats.notSent.Add(1)
		return nil
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	h := s.rw.Header(p, time.Now())
	n, err := h.MarshalTo(s.buf[:])
	if err != nil {
		return err
	}
	if n+len(p.Payload) > len(s.buf) {
		return fmt.Errorf("media: RTP payload of %d bytes too large", len(p.Payload))
	}
	n += copy(s.buf[n:], p.Payload)
	if _, err := s.conn.WriteToUDPAddrPort(s.buf[:n], dst); err != nil {
		if errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("%w: %w", ErrClosed, err)
		}
		return err
	}
	s.stats.sent(n)
	return nil
}

// destination is where to send: the latched source when latching and one is
// known, else the SDP address.
func (s *Session) destination() (netip.AddrPort, bool) {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	if !s.dir.Sends() {
		return netip.AddrPort{}, false
	}
	if s.latch && s.source.IsValid() {
		return s.source, true
	}
	return s.remote, s.remote.IsValid()
}

// Remote returns the address RTP is currently sent to (invalid if none).
func (s *Session) Remote() netip.AddrPort {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	if s.latch && s.source.IsValid() {
		return s.source
	}
	return s.remote
}

// sdpRemote returns the SDP address and whether the session latches.
func (s *Session) sdpRemote() (netip.AddrPort, bool) {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.remote, s.latch
}
