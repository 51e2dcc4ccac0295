package media

import (
	"errors"
	"net/netip"
)

// Errors of SDP parsing and negotiation.
var (
	// ErrBadSDP wraps every parse error: the body is not an SDP we can use.
	// The SIP layer answers 400 (or 488) to it.
	ErrBadSDP = errors.New("media: bad SDP")
	// ErrNoCommonCodec means no active audio stream offers PCMU or PCMA.
	// The SIP layer answers 488 Not Acceptable Here (RFC 3261 21.4.26).
	ErrNoCommonCodec = errors.New("media: no common codec")
)

// Direction is an SDP stream direction attribute (RFC 4566 6, RFC 3264 5.1).
type Direction uint8

const (
	SendRecv Direction = iota // the default when no attribute is given
	SendOnly
	RecvOnly
	Inactive
)

// String returns the attribute name, such as "sendrecv".
func (d Direction) String() string {
	switch d {
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	}
	return "sendrecv"
}

// Sends reports whether the side that wrote this direction sends media.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether the side that wrote this direction receives media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

// Reverse returns the direction seen from the other side: sendonly becomes
// recvonly and the other way round (RFC 3264 6.1).
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// Format is one payload format of a media description: a payload type with
// its rtpmap and fmtp (RFC 4566 6).
type Format struct {
	PayloadType uint8
	Name        string // encoding name, e.g. "PCMU", "telephone-event"
	ClockRate   uint32
	Channels    int    // 0 when not given
	Fmtp        string // format parameters, e.g. "0-16"
}

// Media is one "m=" line with its connection address and attributes
// (RFC 4566 5.14).
type Media struct {
	Type      string     // "audio", "video", ...
	Port      int        // 0: stream rejected or disabled (RFC 3264 6, 8.2)
	Proto     string     // "RTP/AVP", ...
	Addr      netip.Addr // media-level c= or else session-level c=; invalid if neither
	Formats   []Format   // in "m=" order, the sender's preference (RFC 3264 5.1)
	RawFormat []string   // the "m=" format tokens as written
	Direction Direction
	Ptime     int // a=ptime in ms, 0 when absent
}

// RTPAddr returns the address media for this stream should be sent to. It is
// invalid when the stream is rejected or the address is unspecified (the old
// "c=0.0.0.0" hold, RFC 3264 8.4).
func (m *Media) RTPAddr() netip.AddrPort {
	if m.Port == 0 || !m.Addr.IsValid() || m.Addr.IsUnspecified() {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(m.Addr, uint16(m.Port))
}

// Format returns the format with payload type pt.
func (m *Media) Format(pt uint8) (Format, bool) {
	for _, f := range m.Formats {
		if f.PayloadType == pt {
			return f, true
		}
	}
	return Format{}, false
}

// Description is a parsed session description.
type Description struct {
	Origin         string // o= username
	SessionID      uint64
	SessionVersion uint64
	Addr           netip.Addr // session-level c=, if any
	Media          []Media
}

// Audio returns the index of the first audio stream over RTP/AVP with a
// non-zero port, or -1.
func (d *Description) Audio() int {
	for i := range d.Media {
		m := &d.Media[i]
		if m.Type == "audio" && m.Port != 0 && isAVP(m.Proto) {
			return i
		}
	}
	return -1
}

// isAVP reports whether proto is plain RTP (RFC 3551), which is all the SIP
// side speaks: no SRTP (RTP/SAVP) and no DTLS (UDP/TLS/RTP/SAVPF).
func isAVP(proto string) bool { return proto == "RTP/AVP" || proto == "RTP/AVPF" }
