package media

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/rtp"

	"callroute/media/audio"
	"callroute/media/g711"
)

// HoldLeg wraps a leg whose user can put the call on hold from their own
// side (the browser softphone's hold button), where no re-INVITE tells the
// other party: while held, what the bridge reads from the leg is hold music,
// paced at 20 ms, and what it writes to the leg is dropped, so the caller
// hears music and the agent hears nothing. The far side's Rewriter joins the
// music and the agent's audio into one stream (RFC 3550 5.1).
//
// A reader goroutine drains the wrapped leg all the time, so that a resume
// never delivers the audio buffered during the hold; it ends when the
// wrapped leg or ctx ends.
type HoldLeg struct {
	inner Leg

	in      chan *rtp.Packet
	readErr error
	readEnd chan struct{}

	mu      sync.Mutex
	held    bool
	changed chan struct{} // closed and replaced at every change

	music *holdMusic // the reader's, while held
}

// NewHoldLeg wraps inner; ctx bounds the reader goroutine.
func NewHoldLeg(ctx context.Context, inner Leg) *HoldLeg {
	h := &HoldLeg{inner: inner, in: make(chan *rtp.Packet, 4), readEnd: make(chan struct{}),
		changed: make(chan struct{})}
	go h.read(ctx)
	return h
}

func (h *HoldLeg) read(ctx context.Context) {
	defer close(h.readEnd)
	for {
		p, err := h.inner.ReadRTP(ctx)
		if err != nil {
			h.readErr = err
			return
		}
		if h.Held() {
			continue
		}
		select {
		case h.in <- p:
		default: // the bridge is behind: drop, as a jitter buffer would
		}
	}
}

// SetHold puts the leg on hold or resumes it.
func (h *HoldLeg) SetHold(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held == on {
		return
	}
	h.held = on
	close(h.changed)
	h.changed = make(chan struct{})
}

// Held reports whether the leg is on hold.
func (h *HoldLeg) Held() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held
}

func (h *HoldLeg) state() (bool, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held, h.changed
}

// Codec implements Leg.
func (h *HoldLeg) Codec() Codec { return h.inner.Codec() }

// WriteRTP implements Leg: dropped while held.
func (h *HoldLeg) WriteRTP(p *rtp.Packet) error {
	if h.Held() {
		return nil
	}
	return h.inner.WriteRTP(p)
}

// ReadRTP implements Leg: the wrapped leg's packets, or hold music while
// held. One goroutine reads (the bridge's), as for any Leg.
func (h *HoldLeg) ReadRTP(ctx context.Context) (*rtp.Packet, error) {
	for {
		held, changed := h.state()
		var tick <-chan time.Time
		switch {
		case held && h.music == nil:
			h.music = newHoldMusic()
			fallthrough
		case held:
			tick = h.music.ticker.C
		case h.music != nil:
			h.music.stop()
			h.music = nil
		}
		select {
		case p := <-h.in:
			if !held {
				return p, nil
			}
		case <-tick:
			return h.music.next(h.Codec()), nil
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-h.readEnd:
			h.music.stop()
			return nil, h.readErr
		}
	}
}

// holdMusic generates the music of one ReadRTP's hold: a packet per tick,
// its own SSRC and numbering.
type holdMusic struct {
	ticker  *time.Ticker
	src     audio.Source
	frame   []int16
	ssrc    uint32
	seq     uint16
	ts      uint32
	started bool
}

func newHoldMusic() *holdMusic {
	return &holdMusic{ticker: time.NewTicker(frameDuration), src: audio.HoldMusic(),
		frame: make([]int16, audio.FrameSamples), ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32()}
}

func (m *holdMusic) next(c Codec) *rtp.Packet {
	m.src.Frame(m.frame)
	p := &rtp.Packet{
		Header: rtp.Header{Version: 2, Marker: !m.started, PayloadType: c.PayloadType,
			SequenceNumber: m.seq, Timestamp: m.ts, SSRC: m.ssrc},
		Payload: g711.Encode(nil, c.Law(), m.frame),
	}
	m.started = true
	m.seq++
	m.ts += audio.FrameSamples
	return p
}

func (m *holdMusic) stop() {
	if m != nil {
		m.ticker.Stop()
	}
}
