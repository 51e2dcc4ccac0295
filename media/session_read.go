package media

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// readLoop owns the socket's receive side until Close.
func (s *Session) readLoop() {
	defer close(s.loopDone)
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if s.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue // transient (an ICMP error surfaced on read, say)
		}
		s.receive(buf[:n], from.Addr().Unmap(), from.Port())
	}
}

// receive handles one datagram: parse, filter, count, deliver. Malformed
// packets are dropped, never trusted.
func (s *Session) receive(b []byte, fromAddr netip.Addr, fromPort uint16) {
	if !s.heard.Load() {
		s.heard.Store(true)
	}
	from := netip.AddrPortFrom(fromAddr, fromPort)
	p, ok := parseRTP(b)
	if !ok {
		s.stats.malformed.Add(1)
		return
	}
	now := time.Now()
	if !s.acceptSource(from, now) {
		s.stats.dropped.Add(1)
		return
	}
	if !s.started.Load() {
		// RTP before the call is answered is discarded (only its source
		// is remembered, for the latch).
		s.stats.dropped.Add(1)
		return
	}
	if s.stats.pktsIn.Load() == 0 {
		remote, latch := s.sdpRemote()
		s.log.Info("first RTP", "rtp_port", s.port.Number(), "from", from, "sdp_remote", remote, "latch", latch)
	}
	s.wd.packet(now)
	s.stats.received(p, len(b), now)
	if m := s.recvMap.Load(); m != nil {
		switch p.PayloadType {
		case m.audioFrom:
			p.PayloadType = m.audioTo
		case m.teFrom:
			if m.teFrom != 0 {
				p.PayloadType = m.teTo
			}
		}
	}
	s.deliver(p)
}

// parseRTP copies and parses a datagram as RTP (RFC 3550 5.1), rejecting what
// is not RTP version 2 or is RTCP multiplexed on the port (RFC 5761 4: second
// byte 200-204 reads as marker plus payload type 72-76).
func parseRTP(b []byte) (*rtp.Packet, bool) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return nil, false
	}
	if pt := b[1] & 0x7F; pt >= 72 && pt <= 76 {
		return nil, false
	}
	data := make([]byte, len(b))
	copy(data, b)
	p := &rtp.Packet{}
	if err := p.Unmarshal(data); err != nil {
		return nil, false
	}
	return p, true
}

// acceptSource decides whether a packet from from belongs to the stream: the
// first source is taken; another one only after the current one has been
// silent for relatchAfter. Before Start the latest source is simply
// remembered (and, when latching, early media such as ringback goes there).
func (s *Session) acceptSource(from netip.AddrPort, now time.Time) bool {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	switch {
	case from == s.source:
	case !s.source.IsValid():
		s.source = from
	case !s.started.Load() || now.Sub(s.sourceSeen) >= relatchAfter:
		if s.started.Load() && now.Sub(s.lastLog) >= time.Second {
			s.lastLog = now
			s.log.Info("RTP source changed", "rtp_port", s.port.Number(), "from", s.source, "to", from, "latch", s.latch)
		}
		s.source = from
	default:
		return false
	}
	s.sourceSeen = now
	return true
}

// deliver queues p for ReadRTP, dropping the oldest packet when full.
func (s *Session) deliver(p *rtp.Packet) {
	select {
	case s.in <- p:
		return
	default:
	}
	select {
	case <-s.in:
		s.stats.dropped.Add(1)
	default:
	}
	select {
	case s.in <- p:
	default:
		s.stats.dropped.Add(1)
	}
}
