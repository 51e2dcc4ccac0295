package media

import (
	"fmt"
	"net/netip"
	"strings"
)

// Capabilities are the formats we offer and accept.
type Capabilities struct {
	// Codecs in our order of preference for offers: "PCMU", "PCMA".
	Codecs []string
	// TelephoneEvent is the payload type we offer for RFC 4733 events; 0
	// offers none (and refuses telephone-event in offers).
	TelephoneEvent uint8
	// Ptime is the packet time we ask for, in ms (RFC 4566 6); 0 omits it.
	Ptime int
}

// DefaultCapabilities offers PCMU 0, PCMA 8 and telephone-event 101 with
// 20 ms packets.
func DefaultCapabilities() Capabilities {
	return Capabilities{Codecs: []string{"PCMU", "PCMA"}, TelephoneEvent: DefaultTelephoneEventPT, Ptime: 20}
}

// Prefer returns a copy of c with the named codec first, as the B-leg offer
// does with the caller's codec so both legs use one law and nothing is
// transcoded.
func (c Capabilities) Prefer(name string) Capabilities {
	out := c
	out.Codecs = make([]string, 0, len(c.Codecs))
	for _, n := range c.Codecs {
		if strings.EqualFold(n, name) {
			out.Codecs = append(out.Codecs, n)
		}
	}
	for _, n := range c.Codecs {
		if !strings.EqualFold(n, name) {
			out.Codecs = append(out.Codecs, n)
		}
	}
	return out
}

func (c Capabilities) supports(name string) bool {
	for _, n := range c.Codecs {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// Negotiated is the outcome of an offer/answer exchange for the audio stream.
type Negotiated struct {
	// Codec has the payload types the remote side expects to receive,
	// which we send with (RFC 3264 5.1).
	Codec Codec
	// LocalCodec has the payload types in our own SDP, which the remote
	// sends with. When we answer, it equals Codec.
	LocalCodec Codec
	// Remote is where to send RTP, from the remote SDP; invalid when the
	// remote does not want media (port 0 or c=0.0.0.0).
	Remote netip.AddrPort
	// RemoteDirection is the direction the remote SDP gives.
	RemoteDirection Direction
	// Direction is ours: what our answer says, or what the answer to our
	// offer leaves us.
	Direction Direction
	// Ptime is the remote's a=ptime, 0 when absent.
	Ptime int
	// MediaIndex is the index of the audio stream in the remote SDP.
	MediaIndex int
}

// OnHold reports whether the call is on hold as far as receiving goes: the
// remote SDP is not sendrecv (sendonly or inactive when the remote holds us,
// recvonly when it answers our hold) or gives no address. Media timeouts are
// off while on hold (livekit/sip #812): a held party may send nothing at all.
func (n Negotiated) OnHold() bool {
	return n.RemoteDirection != SendRecv || !n.Remote.IsValid()
}

// NegotiateOffer picks the audio codec for our answer to a remote offer: the
// first PCMU or PCMA format in the offer's order that we support (the
// offerer's preference, RFC 3264 6.1), with the offer's payload type numbers,
// and the offer's telephone-event at 8000 Hz if we take telephone-event.
// Our direction is the reverse of the offer's, narrowed by want (SendRecv
// normally; SendOnly when we hold the call).
//
// It returns an error wrapping ErrNoCommonCodec when the offer has no active
// RTP/AVP audio stream or none of its formats is G.711: the SIP layer
// answers 488.
func NegotiateOffer(offer *Description, caps Capabilities, want Direction) (Negotiated, error) {
	idx := offer.Audio()
	if idx < 0 {
		return Negotiated{}, fmt.Errorf("%w: no active RTP/AVP audio stream", ErrNoCommonCodec)
	}
	m := &offer.Media[idx]
	codec, ok := chooseCodec(m, caps)
	if !ok {
		return Negotiated{}, fmt.Errorf("%w: offered %s", ErrNoCommonCodec, strings.Join(m.RawFormat, " "))
	}
	if !m.Addr.IsValid() {
		return Negotiated{}, fmt.Errorf("%w: audio stream without c= address", ErrBadSDP)
	}
	n := Negotiated{
		Codec:           codec,
		LocalCodec:      codec,
		Remote:          m.RTPAddr(),
		RemoteDirection: m.Direction,
		Direction:       answerDirection(m.Direction, want),
		Ptime:           m.Ptime,
		MediaIndex:      idx,
	}
	if m.Addr.IsUnspecified() {
		// c=0.0.0.0: the RFC 2543 way of holding (RFC 3264 8.4).
		n.RemoteDirection = Inactive
		n.Direction = answerDirection(Inactive, want)
	}
	return n, nil
}

// NegotiateAnswer reads the remote answer to our offer: the first format of
// the answer that we support is the codec (RFC 3264 6.1 lets the answerer
// narrow the list; it sends with the first). The answer's payload type
// numbers are what we send with; local gives the ones we offered, which the
// remote sends with. A rejected audio stream (port 0) yields an error wrapping
// ErrNoCommonCodec.
func NegotiateAnswer(answer *Description, caps Capabilities, ours Direction) (Negotiated, error) {
	idx := answer.Audio()
	if idx < 0 {
		return Negotiated{}, fmt.Errorf("%w: audio stream rejected", ErrNoCommonCodec)
	}
	m := &answer.Media[idx]
	codec, ok := chooseCodec(m, caps)
	if !ok {
		return Negotiated{}, fmt.Errorf("%w: answered %s", ErrNoCommonCodec, strings.Join(m.RawFormat, " "))
	}
	if !m.Addr.IsValid() {
		return Negotiated{}, fmt.Errorf("%w: audio stream without c= address", ErrBadSDP)
	}
	local := codec
	if p, ok := codecForName(codec.Name); ok {
		local.PayloadType = p.PayloadType
	}
	if codec.TelephoneEvent != 0 {
		local.TelephoneEvent = caps.TelephoneEvent
	}
	dir := m.Direction
	if m.Addr.IsUnspecified() {
		dir = Inactive
	}
	return Negotiated{
		Codec:           codec,
		LocalCodec:      local,
		Remote:          m.RTPAddr(),
		RemoteDirection: dir,
		Direction:       answerDirection(dir, ours),
		Ptime:           m.Ptime,
		MediaIndex:      idx,
	}, nil
}

// chooseCodec takes the first G.711 format of m we support and its 8 kHz
// telephone-event (RFC 4733 7.1.1).
func chooseCodec(m *Media, caps Capabilities) (Codec, bool) {
	var c Codec
	found := false
	for _, f := range m.Formats {
		if f.ClockRate != ClockRate || f.Channels > 1 {
			continue
		}
		g, ok := codecForName(f.Name)
		if !ok || !caps.supports(g.Name) {
			continue
		}
		c = Codec{Name: g.Name, PayloadType: f.PayloadType}
		found = true
		break
	}
	if !found {
		return Codec{}, false
	}
	if caps.TelephoneEvent != 0 {
		for _, f := range m.Formats {
			if strings.EqualFold(f.Name, "telephone-event") && f.ClockRate == ClockRate {
				c.TelephoneEvent = f.PayloadType
				break
			}
		}
	}
	return c, true
}

// answerDirection is the direction of an answer to an offer with direction
// offer, for an answerer that wants want (RFC 3264 6.1): sendonly is answered
// recvonly or inactive, recvonly with sendonly or inactive, inactive with
// inactive, and sendrecv with whatever the answerer wants.
func answerDirection(offer, want Direction) Direction {
	send := offer.Receives() && want.Sends()
	recv := offer.Sends() && want.Receives()
	switch {
	case send && recv:
		return SendRecv
	case send:
		return SendOnly
	case recv:
		return RecvOnly
	}
	return Inactive
}
