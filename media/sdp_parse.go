package media

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	pionsdp "github.com/pion/sdp/v3"
)

// MaxSDPSize bounds the body ParseSDP accepts; real offers are under 2 KB.
const MaxSDPSize = 16 << 10

// staticFormats are the RFC 3551 section 6 static payload types a peer may
// list without an rtpmap.
var staticFormats = map[uint8]Format{
	0:  {PayloadType: 0, Name: "PCMU", ClockRate: 8000},
	3:  {PayloadType: 3, Name: "GSM", ClockRate: 8000},
	4:  {PayloadType: 4, Name: "G723", ClockRate: 8000},
	8:  {PayloadType: 8, Name: "PCMA", ClockRate: 8000},
	9:  {PayloadType: 9, Name: "G722", ClockRate: 8000},
	13: {PayloadType: 13, Name: "CN", ClockRate: 8000},
	18: {PayloadType: 18, Name: "G729", ClockRate: 8000},
}

// ParseSDP parses a session description (RFC 4566) as a SIP offer or answer
// carries it. It checks what the media code relies on (addresses, ports,
// payload types) and returns an error wrapping ErrBadSDP for anything it
// cannot use; it never panics on any input.
func ParseSDP(body []byte) (*Description, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrBadSDP)
	}
	if len(body) > MaxSDPSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadSDP, len(body))
	}
	if body[len(body)-1] != '\n' {
		// Some stacks drop the last CRLF (RFC 4566 5 wants it); the
		// parser needs it.
		body = append(body[:len(body):len(body)], '\r', '\n')
	}
	var sd pionsdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	d := &Description{
		Origin:         sd.Origin.Username,
		SessionID:      sd.Origin.SessionID,
		SessionVersion: sd.Origin.SessionVersion,
	}
	if sd.ConnectionInformation != nil {
		addr, err := parseConnection(sd.ConnectionInformation)
		if err != nil {
			return nil, err
		}
		d.Addr = addr
	}
	sessionDir, _ := direction(sd.Attributes)
	if len(sd.MediaDescriptions) == 0 {
		return nil, fmt.Errorf("%w: no m= line", ErrBadSDP)
	}
	d.Media = make([]Media, 0, len(sd.MediaDescriptions))
	for _, md := range sd.MediaDescriptions {
		m, err := parseMedia(md, d.Addr, sessionDir)
		if err != nil {
			return nil, err
		}
		d.Media = append(d.Media, m)
	}
	return d, nil
}

// parseConnection reads "c=IN IP4 192.0.2.1" (RFC 4566 5.7). Host names and
// multicast are refused: a telephone peer sends unicast addresses, and the
// media code does not resolve names.
func parseConnection(c *pionsdp.ConnectionInformation) (netip.Addr, error) {
	if c.NetworkType != "IN" || c.Address == nil {
		return netip.Addr{}, fmt.Errorf("%w: c=%s", ErrBadSDP, c)
	}
	addr, err := netip.ParseAddr(c.Address.Address)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: c= address %q", ErrBadSDP, c.Address.Address)
	}
	addr = addr.Unmap()
	switch {
	case c.AddressType == "IP4" && !addr.Is4(), c.AddressType == "IP6" && !addr.Is6():
		return netip.Addr{}, fmt.Errorf("%w: c= %s address %s", ErrBadSDP, c.AddressType, addr)
	case c.AddressType != "IP4" && c.AddressType != "IP6":
		return netip.Addr{}, fmt.Errorf("%w: c= address type %q", ErrBadSDP, c.AddressType)
	case addr.IsMulticast():
		return netip.Addr{}, fmt.Errorf("%w: multicast c= %s", ErrBadSDP, addr)
	case addr.Zone() != "":
		return netip.Addr{}, fmt.Errorf("%w: zoned c= %s", ErrBadSDP, addr)
	}
	return addr, nil
}

func parseMedia(md *pionsdp.MediaDescription, sessionAddr netip.Addr, sessionDir Direction) (Media, error) {
	m := Media{
		Type:      md.MediaName.Media,
		Port:      md.MediaName.Port.Value,
		Proto:     strings.Join(md.MediaName.Protos, "/"),
		Addr:      sessionAddr,
		RawFormat: md.MediaName.Formats,
		Direction: sessionDir,
	}
	if m.Port < 0 || m.Port > 65535 {
		return Media{}, fmt.Errorf("%w: port %d", ErrBadSDP, m.Port)
	}
	if len(m.RawFormat) == 0 {
		return Media{}, fmt.Errorf("%w: m=%s without formats", ErrBadSDP, m.Type)
	}
	if md.ConnectionInformation != nil {
		addr, err := parseConnection(md.ConnectionInformation)
		if err != nil {
			return Media{}, err
		}
		m.Addr = addr
	}
	if dir, ok := direction(md.Attributes); ok {
		m.Direction = dir
	}
	if !strings.HasPrefix(m.Proto, "RTP/") {
		return m, nil // not RTP: formats are not payload types
	}
	// RFC 4566 5.14: for RTP/AVP the formats are payload type numbers.
	m.Formats = make([]Format, 0, len(m.RawFormat))
	for _, tok := range m.RawFormat {
		pt, err := strconv.ParseUint(tok, 10, 8)
		if err != nil || pt > 127 {
			return Media{}, fmt.Errorf("%w: payload type %q", ErrBadSDP, tok)
		}
		f, ok := staticFormats[uint8(pt)]
		if !ok {
			f = Format{PayloadType: uint8(pt)}
		}
		m.Formats = append(m.Formats, f)
	}
	for _, a := range md.Attributes {
		switch a.Key {
		case "rtpmap":
			pt, name, rate, ch, ok := parseRtpmap(a.Value)
			if !ok {
				return Media{}, fmt.Errorf("%w: a=rtpmap:%s", ErrBadSDP, a.Value)
			}
			for i := range m.Formats {
				if m.Formats[i].PayloadType == pt {
					m.Formats[i].Name, m.Formats[i].ClockRate, m.Formats[i].Channels = name, rate, ch
				}
			}
		case "fmtp":
			ptStr, params, _ := strings.Cut(a.Value, " ")
			if pt, err := strconv.ParseUint(ptStr, 10, 8); err == nil {
				for i := range m.Formats {
					if m.Formats[i].PayloadType == uint8(pt) {
						m.Formats[i].Fmtp = strings.TrimSpace(params)
					}
				}
			}
		case "ptime":
			// RFC 4566 6: packet time in ms; ignored when not a sane number.
			if v, err := strconv.ParseFloat(strings.TrimSpace(a.Value), 64); err == nil && v >= 1 && v <= 1000 {
				m.Ptime = int(v)
			}
		}
	}
	return m, nil
}

// parseRtpmap reads "<pt> <name>/<rate>[/<channels>]" (RFC 4566 6).
func parseRtpmap(v string) (pt uint8, name string, rate uint32, channels int, ok bool) {
	ptStr, enc, found := strings.Cut(strings.TrimSpace(v), " ")
	if !found {
		return 0, "", 0, 0, false
	}
	p, err := strconv.ParseUint(ptStr, 10, 8)
	if err != nil || p > 127 {
		return 0, "", 0, 0, false
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
		return 0, "", 0, 0, false
	}
	r, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil || r == 0 {
		return 0, "", 0, 0, false
	}
	if len(parts) == 3 {
		c, err := strconv.Atoi(parts[2])
		if err != nil || c < 1 || c > 8 {
			return 0, "", 0, 0, false
		}
		channels = c
	}
	return uint8(p), parts[0], uint32(r), channels, true
}

// direction finds a direction attribute (RFC 3264 5.1).
func direction(attrs []pionsdp.Attribute) (Direction, bool) {
	for _, a := range attrs {
		switch a.Key {
		case "sendrecv":
			return SendRecv, true
		case "sendonly":
			return SendOnly, true
		case "recvonly":
			return RecvOnly, true
		case "inactive":
			return Inactive, true
		}
	}
	return SendRecv, false
}
