package media

import (
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"
)

// Source-change thresholds: a jump beyond either is treated like a new source.
const (
	maxSeqJump = 100           // packets (2 s of 20 ms audio)
	maxTSJump  = 5 * ClockRate // timestamp units (5 s)
	// defaultFrameSamples is assumed for the previous source's last packet
	// when its duration is unknown.
	defaultFrameSamples = 160
)

// Rewriter gives one outgoing RTP stream a stable identity: its own SSRC, a
// sequence number that always continues from the last one sent, and a
// timestamp that follows wall-clock time across changes of source.
//
// While the source stays the same, packets keep their spacing: sequence and
// timestamp are shifted by fixed offsets. On a change of source (another SSRC,
// a sequence jump over 100, a timestamp jump over 5 s, or Reset), the next
// packet gets seq = last + 1 and ts = last ts + the wall time elapsed since the
// last packet at 8 samples per millisecond (at least the length of the last
// packet, so frames never overlap), and the marker bit (RFC 3551 4.1: the
// first packet after a silence period; receivers re-sync their playout).
// Browsers go silent for seconds when timestamps go back in time (Janus #2646)
// and some SBCs drop media on a timestamp jump within one SSRC (FreeSWITCH
// #2361), which is why this matters.
//
// A Rewriter is not safe for concurrent use; a Session guards its own.
type Rewriter struct {
	ssrc    uint32
	started bool
	reset   bool

	srcSSRC   uint32
	lastInSeq uint16
	lastInTS  uint32

	seqOffset uint16
	tsOffset  uint32

	lastSeq  uint16 // last sequence number sent
	lastTS   uint32 // last timestamp sent
	lastStep uint32 // timestamp step between the last two packets sent
	lastWall time.Time
}

// NewRewriter returns a rewriter with a random SSRC and random initial
// sequence number and timestamp (RFC 3550 5.1).
func NewRewriter() *Rewriter {
	r := newRewriter()
	return &r
}

func newRewriter() Rewriter {
	return Rewriter{
		ssrc:    rand.Uint32(),
		lastSeq: uint16(rand.Uint32()),
		lastTS:  rand.Uint32(),
	}
}

// SSRC returns the stream's SSRC.
func (r *Rewriter) SSRC() uint32 { return r.ssrc }

// Reset makes the next packet start a new source even if its SSRC is the
// same (after a re-INVITE, or when early media becomes the final media).
func (r *Rewriter) Reset() { r.reset = true }

// Header returns the header to send p with at now: p's version 2 fields
// (payload type, marker, and the source's numbering, rewritten as Rewrite
// does), without p's CSRCs, extensions or padding (a leg sends its own).
// p is not modified.
func (r *Rewriter) Header(p *rtp.Packet, now time.Time) rtp.Header {
	h := rtp.Header{
		Version:        2,
		Marker:         p.Marker,
		PayloadType:    p.PayloadType,
		SequenceNumber: p.SequenceNumber,
		Timestamp:      p.Timestamp,
		SSRC:           p.SSRC,
	}
	r.Rewrite(&h, now)
	return h
}

// Rewrite sets h's SSRC, sequence number, timestamp and, on a change of
// source, marker bit, for a packet sent at now. h is modified in place.
func (r *Rewriter) Rewrite(h *rtp.Header, now time.Time) {
	if !r.started || r.reset || h.SSRC != r.srcSSRC || r.jumped(h) {
		r.rebase(h, now)
		h.Marker = true
	}
	inSeq, inTS := h.SequenceNumber, h.Timestamp
	seq := inSeq + r.seqOffset
	ts := inTS + r.tsOffset
	h.SSRC = r.ssrc
	h.SequenceNumber = seq
	h.Timestamp = ts
	// Only packets newer than the last one move the stream on; a late
	// (reordered) packet keeps its place.
	if int16(seq-r.lastSeq) > 0 {
		if step := ts - r.lastTS; step > 0 && step <= 8*defaultFrameSamples {
			r.lastStep = step
		}
		r.lastSeq, r.lastTS, r.lastWall = seq, ts, now
		r.lastInSeq, r.lastInTS = inSeq, inTS
	}
}

func (r *Rewriter) jumped(h *rtp.Header) bool {
	ds := int16(h.SequenceNumber - r.lastInSeq)
	dt := int32(h.Timestamp - r.lastInTS)
	return ds > maxSeqJump || ds < -maxSeqJump || dt > maxTSJump || dt < -maxTSJump
}

// rebase computes offsets so that h continues the stream.
func (r *Rewriter) rebase(h *rtp.Header, now time.Time) {
	nextSeq := r.lastSeq + 1
	nextTS := r.lastTS
	if r.started {
		adv := uint32(0)
		if el := now.Sub(r.lastWall); el > 0 {
			adv = uint32(el.Microseconds() * ClockRate / 1_000_000)
		}
		step := r.lastStep
		if step == 0 {
			step = defaultFrameSamples
		}
		nextTS += max(adv, step)
	}
	r.seqOffset = nextSeq - h.SequenceNumber
	r.tsOffset = nextTS - h.Timestamp
	r.srcSSRC = h.SSRC
	r.lastInSeq = h.SequenceNumber - 1
	r.lastInTS = h.Timestamp
	r.started = true
	r.reset = false
}
