package media

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Stats are a session's counters.
type Stats struct {
	PacketsReceived uint64
	BytesReceived   uint64
	PacketsSent     uint64
	BytesSent       uint64
	// PacketsLost is the cumulative number of packets lost, from sequence
	// numbers per SSRC (RFC 3550 6.4.1, A.3); never negative.
	PacketsLost int64
	// Malformed counts datagrams that were not RTP.
	Malformed uint64
	// Dropped counts packets discarded: before Start, from a foreign
	// source, or because no reader kept up.
	Dropped uint64
	// NotSent counts packets not sent for want of an address or because
	// our direction forbids sending.
	NotSent     uint64
	FirstPacket time.Time // zero until the first packet after Start
	LastPacket  time.Time
}

type sessionStats struct {
	pktsIn, bytesIn, pktsOut, bytesOut atomic.Uint64
	malformed, dropped, notSent        atomic.Uint64

	mu          sync.Mutex
	first, last time.Time
	ssrc        uint32
	haveSSRC    bool
	baseSeq     int64 // extended sequence numbers
	maxSeq      int64
	recvd       int64 // packets of the current SSRC
	lostBefore  int64 // lost in earlier SSRCs
}

func (st *sessionStats) received(p *rtp.Packet, size int, now time.Time) {
	st.pktsIn.Add(1)
	st.bytesIn.Add(uint64(size))
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.first.IsZero() {
		st.first = now
	}
	st.last = now
	if !st.haveSSRC || p.SSRC != st.ssrc {
		st.lostBefore += st.lostLocked()
		st.ssrc, st.haveSSRC = p.SSRC, true
		st.baseSeq, st.maxSeq, st.recvd = int64(p.SequenceNumber), int64(p.SequenceNumber), 1
		return
	}
	// Extend the 16-bit sequence number around the highest seen (RFC
	// 3550 A.1).
	ext := st.maxSeq + int64(int16(p.SequenceNumber-uint16(st.maxSeq)))
	if ext > st.maxSeq {
		st.maxSeq = ext
	}
	st.recvd++
}

func (st *sessionStats) lostLocked() int64 {
	if !st.haveSSRC {
		return 0
	}
	return max(st.maxSeq-st.baseSeq+1-st.recvd, 0)
}

func (st *sessionStats) sent(size int) {
	st.pktsOut.Add(1)
	st.bytesOut.Add(uint64(size))
}

// Stats returns a snapshot of the counters.
func (s *Session) Stats() Stats {
	st := &s.stats
	out := Stats{
		PacketsReceived: st.pktsIn.Load(),
		BytesReceived:   st.bytesIn.Load(),
		PacketsSent:     st.pktsOut.Load(),
		BytesSent:       st.bytesOut.Load(),
		Malformed:       st.malformed.Load(),
		Dropped:         st.dropped.Load(),
		NotSent:         st.notSent.Load(),
	}
	st.mu.Lock()
	out.PacketsLost = st.lostBefore + st.lostLocked()
	out.FirstPacket, out.LastPacket = st.first, st.last
	st.mu.Unlock()
	return out
}
