package media

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"

	pionsdp "github.com/pion/sdp/v3"
)

// LocalSDP describes our side of the audio stream for the SDP we send.
// Keep one per leg for the life of the call and call Bump before each new
// offer or answer that changes anything (RFC 3264 8: the o= version must
// increase with every change and stay the same otherwise).
type LocalSDP struct {
	// Addr is the announced media address (CALLROUTE_RTP_ANNOUNCE), not
	// necessarily the address the socket is bound to.
	Addr      netip.Addr
	Port      int
	SessionID uint64
	Version   uint64
	// Username for o=; "callroute" when empty.
	Username string
}

// NewLocalSDP returns a LocalSDP with a random session ID (RFC 4566 5.2
// suggests an NTP timestamp; any unique number works).
func NewLocalSDP(addr netip.Addr, port int) *LocalSDP {
	id := rand.Uint64() >> 2 // keep it well inside int64 for peers that parse signed
	return &LocalSDP{Addr: addr, Port: port, SessionID: id, Version: id}
}

// Bump increases the session version before sending a changed SDP.
func (l *LocalSDP) Bump() { l.Version++ }

// BuildOffer writes our offer: one audio stream with the capabilities' codecs
// in order, telephone-event, a=ptime and the direction (SendRecv normally,
// SendOnly to put the other side on hold, RFC 3264 8.4).
func BuildOffer(l *LocalSDP, caps Capabilities, dir Direction) ([]byte, error) {
	formats := make([]Format, 0, len(caps.Codecs)+1)
	for _, name := range caps.Codecs {
		c, ok := codecForName(name)
		if !ok {
			return nil, fmt.Errorf("media: cannot offer codec %q", name)
		}
		formats = append(formats, Format{PayloadType: c.PayloadType, Name: c.Name, ClockRate: ClockRate})
	}
	if len(formats) == 0 {
		return nil, fmt.Errorf("media: nothing to offer")
	}
	if caps.TelephoneEvent != 0 {
		formats = append(formats, telephoneEvent(caps.TelephoneEvent, ""))
	}
	audio := audioMedia(l, formats, caps.Ptime, dir)
	return marshalSDP(l, []*pionsdp.MediaDescription{audio})
}

// BuildAnswer writes our answer to offer after NegotiateOffer: the same
// number of m= lines in the same order (RFC 3264 6), the audio stream with the
// one chosen codec and telephone-event under the offer's payload types, every
// other stream rejected with port 0.
func BuildAnswer(l *LocalSDP, offer *Description, n Negotiated, ptime int) ([]byte, error) {
	if n.MediaIndex < 0 || n.MediaIndex >= len(offer.Media) {
		return nil, fmt.Errorf("media: negotiated stream %d not in offer", n.MediaIndex)
	}
	mds := make([]*pionsdp.MediaDescription, 0, len(offer.Media))
	for i := range offer.Media {
		om := &offer.Media[i]
		if i != n.MediaIndex {
			mds = append(mds, rejectedMedia(om))
			continue
		}
		formats := make([]Format, 1, 2)
		formats[0] = Format{PayloadType: n.Codec.PayloadType, Name: n.Codec.Name, ClockRate: ClockRate}
		if n.Codec.TelephoneEvent != 0 {
			f, _ := om.Format(n.Codec.TelephoneEvent)
			formats = append(formats, telephoneEvent(n.Codec.TelephoneEvent, f.Fmtp))
		}
		mds = append(mds, audioMedia(l, formats, ptime, n.Direction))
	}
	return marshalSDP(l, mds)
}

// telephoneEvent is the RFC 4733 format; DTMF events 0-15 plus flash (16)
// unless the offer listed its own set.
func telephoneEvent(pt uint8, fmtp string) Format {
	if fmtp == "" {
		fmtp = "0-16"
	}
	return Format{PayloadType: pt, Name: "telephone-event", ClockRate: ClockRate, Fmtp: fmtp}
}

func audioMedia(l *LocalSDP, formats []Format, ptime int, dir Direction) *pionsdp.MediaDescription {
	md := &pionsdp.MediaDescription{
		MediaName: pionsdp.MediaName{
			Media:   "audio",
			Port:    pionsdp.RangedPort{Value: l.Port},
			Protos:  []string{"RTP", "AVP"},
			Formats: make([]string, 0, len(formats)),
		},
		// rtpmap and fmtp for each format, ptime, the direction.
		Attributes: make([]pionsdp.Attribute, 0, 2*len(formats)+2),
	}
	for _, f := range formats {
		pt := strconv.Itoa(int(f.PayloadType))
		md.MediaName.Formats = append(md.MediaName.Formats, pt)
		md.Attributes = append(md.Attributes, pionsdp.NewAttribute("rtpmap", rtpmap(pt, f)))
		if f.Fmtp != "" {
			md.Attributes = append(md.Attributes, pionsdp.NewAttribute("fmtp", pt+" "+f.Fmtp))
		}
	}
	if ptime > 0 {
		md.Attributes = append(md.Attributes, pionsdp.NewAttribute("ptime", strconv.Itoa(ptime)))
	}
	md.Attributes = append(md.Attributes, pionsdp.NewPropertyAttribute(dir.String()))
	return md
}

// rtpmap is the value of a=rtpmap (RFC 4566 6), "<pt> <name>/<rate>",
// built in one allocation: this runs for every format of every SDP we send.
func rtpmap(pt string, f Format) string {
	b := make([]byte, 0, 48)
	b = append(b, pt...)
	b = append(b, ' ')
	b = append(b, f.Name...)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(f.ClockRate), 10)
	return string(b)
}

// rejectedMedia answers a stream we do not take: port 0 and the offer's
// first format (RFC 3264 6: "at least one media format").
func rejectedMedia(om *Media) *pionsdp.MediaDescription {
	protos := []string{"RTP", "AVP"}
	if om.Proto != "" {
		protos = []string{om.Proto}
	}
	formats := om.RawFormat
	if len(formats) > 1 {
		formats = formats[:1]
	}
	return &pionsdp.MediaDescription{
		MediaName: pionsdp.MediaName{Media: om.Type, Port: pionsdp.RangedPort{Value: 0}, Protos: protos, Formats: formats},
	}
}

func marshalSDP(l *LocalSDP, mds []*pionsdp.MediaDescription) ([]byte, error) {
	if !l.Addr.IsValid() {
		return nil, fmt.Errorf("media: no announced address for SDP")
	}
	if l.Port <= 0 || l.Port > 65535 {
		return nil, fmt.Errorf("media: SDP port %d", l.Port)
	}
	user := l.Username
	if user == "" {
		user = "callroute"
	}
	addr := l.Addr.Unmap()
	host := addr.String()
	addrType := "IP4"
	if addr.Is6() {
		addrType = "IP6"
	}
	// RFC 4566 5: v=, o=, s=, c= at session level, t=0 0 (a permanent
	// session), then the media.
	sd := pionsdp.SessionDescription{
		Version: 0,
		Origin: pionsdp.Origin{
			Username: user, SessionID: l.SessionID, SessionVersion: l.Version,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: host,
		},
		SessionName: "callroute",
		ConnectionInformation: &pionsdp.ConnectionInformation{
			NetworkType: "IN", AddressType: addrType, Address: &pionsdp.Address{Address: host},
		},
		TimeDescriptions:  []pionsdp.TimeDescription{{Timing: pionsdp.Timing{StartTime: 0, StopTime: 0}}},
		MediaDescriptions: mds,
	}
	return sd.Marshal()
}
