package webrtc

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"

	"callroute/media"
	"callroute/media/g711"
)

// receiveQueue is how many packets from the browser wait for a reader; when
// full the oldest is dropped, so a reader that starts late (the bridge,
// after the answer) gets recent audio: at most 320 ms of it, as a SIP
// Session does.
const receiveQueue = 16

// maxReadErrors ends a track reader that gets nothing but errors: a failing
// stream must not spin.
const maxReadErrors = 1000

// ReadRTP implements media.Leg: the next packet from the browser, with the
// payload types of Codec(), no header extensions, CSRCs or padding. It
// returns ctx.Err() when ctx ends and an error wrapping media.ErrClosed
// (and the leg's Err) once the leg has ended.
func (l *Leg) ReadRTP(ctx context.Context) (*rtp.Packet, error) {
	select {
	case p := <-l.in:
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, l.ioErr
	}
}

// WriteRTP implements media.Leg: p goes to the browser through the leg's
// Rewriter (own SSRC, continuous sequence and timestamp across sources,
// marker on a switch; pion rewrites neither sequence nor timestamp).
//
// Audio (Codec().PayloadType) and telephone-event (Codec().TelephoneEvent)
// keep their payload types in one RTP stream, as RFC 4733 2.1 has them: the
// leg's track is PT-preserving, unlike pion's TrackLocalStaticRTP, which
// would stamp the audio PT on a DTMF packet and make the browser play it
// as noise. Anything else is not sent. Writes before Connected are dropped
// quietly (nil), as SRTP is not up; after the leg has ended WriteRTP
// returns an error wrapping media.ErrClosed.
func (l *Leg) WriteRTP(p *rtp.Packet) error {
	if l.isDone() {
		return l.ioErr
	}
	c := l.Codec()
	if !l.isConnected.Load() || (p.PayloadType != c.PayloadType && (c.TelephoneEvent == 0 || p.PayloadType != c.TelephoneEvent)) {
		l.stats.notSent.Add(1)
		return nil
	}
	l.sendMu.Lock()
	h := l.rw.Header(p, time.Now())
	_, err := l.track.write(&h, p.Payload)
	l.sendMu.Unlock()
	if err != nil {
		if l.isDone() {
			return l.ioErr
		}
		l.stats.notSent.Add(1)
		return err
	}
	l.stats.sent(h.MarshalSize() + len(p.Payload))
	return nil
}

// onTrack runs on pion's goroutine for the browser's track (when its first
// packet arrives) and reads it until it ends.
func (l *Leg) onTrack(track *pion.TrackRemote, _ *pion.RTPReceiver) {
	l.wgMu.Lock()
	if l.closing {
		l.wgMu.Unlock()
		return
	}
	l.wg.Add(1)
	l.wgMu.Unlock()
	defer l.wg.Done()
	l.log.Debug("browser track", "ssrc", uint32(track.SSRC()), "codec", track.Codec().MimeType)
	buf := make([]byte, 1500)
	errs := 0
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			// A packet pion could not take (a payload type not
			// negotiated, say) is an error for that packet only; the
			// track ends with io.EOF or a closed pipe.
			if l.isDone() || errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) {
				return
			}
			l.stats.readErrors.Add(1)
			if errs++; errs >= maxReadErrors {
				l.log.Warn("browser track: giving up after read errors", "err", err)
				return
			}
			continue
		}
		errs = 0
		p, ok := parseInbound(buf[:n], l.Codec())
		l.stats.received(p, n, ok)
		if ok {
			l.deliver(p)
		}
	}
}

// parseInbound turns a packet from the browser into one for the bridge: a
// copy (the caller owns it), without header extensions (RFC 8285; nothing
// on the SIP side negotiated them), CSRCs or padding, audio in c's law and
// payload type, telephone-event with c's payload type. The browser sends
// with the payload types of our offer (RFC 3264 5.1): 0, 8 and 101. It
// drops what is not RTP, padding-only packets (Chrome sends them with
// transport-cc; pitfall 25) and any other payload type (comfort noise, say).
// The packet is returned even when not ok, for the counters, if it parsed.
func parseInbound(b []byte, c media.Codec) (*rtp.Packet, bool) {
	data := make([]byte, len(b))
	copy(data, b)
	p := &rtp.Packet{}
	if err := p.Unmarshal(data); err != nil {
		return nil, false
	}
	if len(p.Payload) == 0 {
		return p, false
	}
	p.Extension, p.ExtensionProfile, p.Extensions = false, 0, nil
	p.Padding, p.PaddingSize = false, 0
	p.CSRC = nil
	switch p.PayloadType {
	case media.PayloadPCMU, media.PayloadPCMA:
		from := g711.ULaw
		if p.PayloadType == media.PayloadPCMA {
			from = g711.ALaw
		}
		if to := c.Law(); to != from {
			// The browser sends the other law than the one we send:
			// give the bridge one law per leg.
			p.Payload = g711.Transcode(make([]byte, 0, len(p.Payload)), to, from, p.Payload)
		}
		p.PayloadType = c.PayloadType
		return p, true
	case uint8(codecTelephoneEvent.PayloadType):
		if c.TelephoneEvent == 0 {
			return p, false
		}
		p.PayloadType = c.TelephoneEvent
		return p, true
	}
	return p, false
}

// deliver queues p for ReadRTP, dropping the oldest packet when full.
func (l *Leg) deliver(p *rtp.Packet) {
	select {
	case l.in <- p:
		return
	default:
	}
	select {
	case <-l.in:
		l.stats.dropped.Add(1)
	default:
	}
	select {
	case l.in <- p:
	default:
		l.stats.dropped.Add(1)
	}
}

// sendTrack is the leg's outgoing track: a pion TrackLocal that writes
// packets as given (payload type included) on the SSRC pion negotiated.
type sendTrack struct {
	id, streamID string

	mu   sync.RWMutex
	w    pion.TrackLocalWriter
	ssrc uint32
}

var errNotBound = errors.New("webrtc: track not bound yet")

// Bind implements pion.TrackLocal. It picks the answer's first G.711 codec
// (the codec parameters come in the answer's order); telephone-event rides
// on the same SSRC with its own payload type.
func (t *sendTrack) Bind(ctx pion.TrackLocalContext) (pion.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, pion.MimeTypePCMU) || strings.EqualFold(c.MimeType, pion.MimeTypePCMA) {
			t.mu.Lock()
			t.w, t.ssrc = ctx.WriteStream(), uint32(ctx.SSRC())
			t.mu.Unlock()
			return c, nil
		}
	}
	return pion.RTPCodecParameters{}, pion.ErrUnsupportedCodec
}

// Unbind implements pion.TrackLocal.
func (t *sendTrack) Unbind(pion.TrackLocalContext) error {
	t.mu.Lock()
	t.w = nil
	t.mu.Unlock()
	return nil
}

func (t *sendTrack) ID() string              { return t.id }
func (t *sendTrack) RID() string             { return "" }
func (t *sendTrack) StreamID() string        { return t.streamID }
func (t *sendTrack) Kind() pion.RTPCodecType { return pion.RTPCodecTypeAudio }

// write sends one packet with the bound SSRC.
func (t *sendTrack) write(h *rtp.Header, payload []byte) (int, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.w == nil {
		return 0, errNotBound
	}
	h.SSRC = t.ssrc
	return t.w.WriteRTP(h, payload)
}
