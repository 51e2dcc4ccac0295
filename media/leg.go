package media

import (
	"context"

	"github.com/pion/rtp"
)

// Sender is the sending half of a leg: where generated audio, DTMF and the
// bridge write.
type Sender interface {
	// WriteRTP sends p as part of the leg's one outgoing stream. The leg
	// owns that stream's identity: it rewrites SSRC, sequence number and
	// timestamp through a Rewriter, so the far end sees one continuous
	// stream whatever the source (RFC 3550 5.1). WriteRTP does not keep or
	// modify p. An error wrapping net.ErrClosed (or ErrClosed) means the
	// leg is gone; other errors are transient.
	WriteRTP(p *rtp.Packet) error
	// Codec returns the leg's negotiated codec. It may change after a
	// re-INVITE.
	Codec() Codec
}

// Receiver is the receiving half of a leg.
type Receiver interface {
	// ReadRTP blocks until a packet arrives, ctx ends or the leg ends.
	// Packets carry the payload types of Codec(). The caller owns the
	// packet. It returns ctx.Err() when ctx ends and an error wrapping
	// ErrClosed once the leg is closed.
	ReadRTP(ctx context.Context) (*rtp.Packet, error)
	Codec() Codec
}

// Leg is one side of a call as the bridge sees it: the SIP leg's RTP Session
// here, and later a WebRTC leg whose ReadRTP reads a pion TrackRemote
// (continuing on per-packet errors, ending on io.EOF) and whose WriteRTP passes
// a Rewriter's output to a TrackLocalStaticRTP (which sets PT and SSRC itself
// but not sequence or timestamp).
type Leg interface {
	Sender
	Receiver
}
