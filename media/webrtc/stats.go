package webrtc

import (
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
)

// Stats are a leg's counters, for logs, metrics and the benchmark. Bytes
// are RTP (header and payload) before SRTP.
type Stats struct {
	PacketsSent     uint64 // to the browser
	BytesSent       uint64
	PacketsReceived uint64 // from the browser, delivered or not
	BytesReceived   uint64
	// PacketsLost counts packets from the browser that never came, from
	// its sequence numbers (RFC 3550 6.4.1, A.3), over all its SSRCs.
	PacketsLost int64
	// Dropped counts received packets not handed to ReadRTP: malformed,
	// padding-only, a payload type not negotiated, or no reader keeping up.
	Dropped uint64
	// NotSent counts packets written before Connected, with a payload
	// type not negotiated, or that pion refused.
	NotSent uint64
	// ReadErrors counts per-packet errors from pion's track reader.
	ReadErrors uint64
}

type legStats struct {
	pktsIn, bytesIn, pktsOut, bytesOut atomic.Uint64
	dropped, notSent, readErrors       atomic.Uint64

	mu         sync.Mutex
	ssrc       uint32
	haveSSRC   bool
	baseSeq    int64 // extended sequence numbers of the current SSRC
	maxSeq     int64
	recvd      int64
	lostBefore int64 // lost in earlier SSRCs
}

func (st *legStats) sent(size int) {
	st.pktsOut.Add(1)
	st.bytesOut.Add(uint64(size))
}

// received counts a packet from the browser; p is nil when it did not
// parse, delivered says whether it went on to ReadRTP.
func (st *legStats) received(p *rtp.Packet, size int, delivered bool) {
	st.pktsIn.Add(1)
	st.bytesIn.Add(uint64(size))
	if !delivered {
		st.dropped.Add(1)
	}
	if p == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.haveSSRC || p.SSRC != st.ssrc {
		st.lostBefore += st.lostLocked()
		st.ssrc, st.haveSSRC = p.SSRC, true
		st.baseSeq, st.maxSeq, st.recvd = int64(p.SequenceNumber), int64(p.SequenceNumber), 1
		return
	}
	// Extend the 16-bit sequence number around the highest seen (RFC
	// 3550 A.1).
	if ext := st.maxSeq + int64(int16(p.SequenceNumber-uint16(st.maxSeq))); ext > st.maxSeq {
		st.maxSeq = ext
	}
	st.recvd++
}

func (st *legStats) lostLocked() int64 {
	if !st.haveSSRC {
		return 0
	}
	return max(st.maxSeq-st.baseSeq+1-st.recvd, 0)
}

// Stats returns a snapshot of the leg's counters.
func (l *Leg) Stats() Stats {
	st := &l.stats
	out := Stats{
		PacketsSent:     st.pktsOut.Load(),
		BytesSent:       st.bytesOut.Load(),
		PacketsReceived: st.pktsIn.Load(),
		BytesReceived:   st.bytesIn.Load(),
		Dropped:         st.dropped.Load(),
		NotSent:         st.notSent.Load(),
		ReadErrors:      st.readErrors.Load(),
	}
	st.mu.Lock()
	out.PacketsLost = st.lostBefore + st.lostLocked()
	st.mu.Unlock()
	return out
}
