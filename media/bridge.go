package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"

	"callroute/media/dtmf"
	"callroute/media/g711"
)

// Side names a leg of a bridge.
type Side uint8

const (
	SideA Side = iota // the first leg given to NewBridge (the caller, by convention)
	SideB             // the second leg (the agent)
)

func (s Side) String() string {
	if s == SideA {
		return "A"
	}
	return "B"
}

// LegError says which leg ended a bridge and why.
type LegError struct {
	Side Side
	Err  error
}

func (e *LegError) Error() string { return fmt.Sprintf("media: leg %v ended: %v", e.Side, e.Err) }
func (e *LegError) Unwrap() error { return e.Err }

// BridgeOption configures a Bridge.
type BridgeOption func(*Bridge)

// WithDTMF calls fn for every key pressed on a leg (RFC 4733 events, each
// reported once, see dtmf.Detector). fn runs on the bridge's goroutine for
// that direction: keep it short.
func WithDTMF(fn func(from Side, key rune)) BridgeOption {
	return func(b *Bridge) { b.onDTMF = fn }
}

// WithBridgeLogger sets the logger (give it the call ID).
func WithBridgeLogger(l *slog.Logger) BridgeOption {
	return func(b *Bridge) { b.log = l }
}

// Bridge copies RTP between two legs, one goroutine per direction, with no
// jitter buffer: G.711 payloads pass through (converted between PCMU and
// PCMA when the legs differ), telephone-event is carried with its payload
// type mapped to the other leg's, comfort noise (PT 13, RFC 3389) and
// padding-only packets are dropped, anything else is dropped. Each written
// packet goes through the receiving leg's Rewriter, so sequence and timestamp
// stay continuous for the far end across whatever played before.
//
// The bridge does not close the legs: whoever made them does.
type Bridge struct {
	a, b   Leg
	onDTMF func(Side, rune)
	log    *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{}
	once   sync.Once
	err    error

	forwarded [2]atomic.Uint64 // packets written, by source side
	discarded [2]atomic.Uint64
}

// NewBridge starts bridging a and b. It runs until ctx ends, Stop is called,
// or a leg ends (its ReadRTP fails, or its WriteRTP reports it closed).
func NewBridge(ctx context.Context, a, b Leg, opts ...BridgeOption) *Bridge {
	br := &Bridge{a: a, b: b, log: slog.Default(), done: make(chan struct{})}
	for _, o := range opts {
		o(br)
	}
	ctx, br.cancel = context.WithCancel(ctx)
	br.wg.Add(2)
	go br.run(ctx, SideA, a, b)
	go br.run(ctx, SideB, b, a)
	go func() {
		br.wg.Wait()
		close(br.done)
	}()
	return br
}

// Done is closed when both directions have stopped.
func (br *Bridge) Done() <-chan struct{} { return br.done }

// Err tells why the bridge stopped, once Done is closed: a *LegError for a
// leg that ended, or the context's error (context.Canceled after Stop).
func (br *Bridge) Err() error {
	<-br.done
	return br.err
}

// Stop ends both directions and waits for them.
func (br *Bridge) Stop() {
	br.cancel()
	<-br.done
}

// Packets returns how many packets went from each side to the other and how
// many were discarded.
func (br *Bridge) Packets(from Side) (forwarded, discarded uint64) {
	return br.forwarded[from].Load(), br.discarded[from].Load()
}

func (br *Bridge) stop(err error) {
	br.once.Do(func() {
		br.err = err
		br.cancel()
	})
}

// run forwards packets from one leg to the other until told to stop.
func (br *Bridge) run(ctx context.Context, side Side, from, to Leg) {
	defer br.wg.Done()
	var det dtmf.Detector
	var scratch []byte
	for {
		p, err := from.ReadRTP(ctx)
		if err != nil {
			if ctx.Err() != nil {
				br.stop(ctx.Err())
			} else {
				br.stop(&LegError{Side: side, Err: err})
			}
			return
		}
		out, ok := br.translate(side, p, from.Codec(), to.Codec(), &det, &scratch)
		if !ok {
			br.discarded[side].Add(1)
			continue
		}
		if err := to.WriteRTP(out); err != nil {
			if isClosed(err) {
				br.stop(&LegError{Side: 1 - side, Err: err})
				return
			}
			br.discarded[side].Add(1)
			continue // transient: ICMP unreachable and the like
		}
		br.forwarded[side].Add(1)
	}
}

// translate maps a packet from one leg's codec to the other's. scratch holds
// converted payloads and is reused for every packet of the direction (the
// leg's WriteRTP does not keep the packet).
func (br *Bridge) translate(side Side, p *rtp.Packet, fc, tc Codec, det *dtmf.Detector, scratch *[]byte) (*rtp.Packet, bool) {
	if len(p.Payload) == 0 {
		return nil, false // padding-only (Chrome sends them; pitfall 25)
	}
	switch {
	case p.PayloadType == fc.PayloadType:
		if fl, tl := fc.Law(), tc.Law(); fl != tl {
			*scratch = g711.Transcode((*scratch)[:0], tl, fl, p.Payload)
			p.Payload = *scratch
		}
		p.PayloadType = tc.PayloadType
		return p, true
	case fc.TelephoneEvent != 0 && p.PayloadType == fc.TelephoneEvent:
		if key, ok := det.Feed(p.Timestamp, p.Payload); ok && br.onDTMF != nil {
			br.onDTMF(side, key)
		}
		if tc.TelephoneEvent == 0 {
			return nil, false // the other leg has no telephone-event
		}
		p.PayloadType = tc.TelephoneEvent
		return p, true
	}
	// Comfort noise (PT 13, RFC 3389) and anything not negotiated: the far
	// end generates its own noise, or did not agree to the format.
	return nil, false
}

// isClosed reports whether a write error means the leg is gone for good.
func isClosed(err error) bool {
	return errors.Is(err, ErrClosed) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, io.ErrClosedPipe) || errors.Is(err, io.EOF)
}
