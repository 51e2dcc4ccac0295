package media

import (
	"fmt"
	"strings"

	"callroute/media/g711"
)

// Static RTP payload types (RFC 3551 section 6, table 4).
const (
	PayloadPCMU = 0  // G.711 mu-law, 8000 Hz
	PayloadPCMA = 8  // G.711 A-law, 8000 Hz
	PayloadCN   = 13 // comfort noise, RFC 3389
)

// DefaultTelephoneEventPT is the dynamic payload type we offer for RFC 4733
// telephone-event, as most phones and trunks do.
const DefaultTelephoneEventPT = 101

// ClockRate is the RTP clock rate of G.711 and of telephone-event alongside it
// (RFC 3551 4.5.14, RFC 4733 2.1): 8 samples per millisecond.
const ClockRate = 8000

// Codec is what a leg negotiated: its G.711 audio format and, when agreed, the
// payload type of RFC 4733 telephone-event. Payload types are the ones on the
// wire: a Leg's ReadRTP returns packets with these, and WriteRTP expects them.
type Codec struct {
	Name           string // "PCMU" or "PCMA"
	PayloadType    uint8  // 0 or 8 normally; a dynamic PT if the peer mapped G.711 to one
	TelephoneEvent uint8  // telephone-event PT (96-127); 0 when not negotiated
}

// PCMU is mu-law with telephone-event 101.
var PCMU = Codec{Name: "PCMU", PayloadType: PayloadPCMU, TelephoneEvent: DefaultTelephoneEventPT}

// PCMA is A-law with telephone-event 101.
var PCMA = Codec{Name: "PCMA", PayloadType: PayloadPCMA, TelephoneEvent: DefaultTelephoneEventPT}

// Law returns the codec's G.711 law; an unknown name yields mu-law.
func (c Codec) Law() g711.Law {
	if strings.EqualFold(c.Name, "PCMA") {
		return g711.ALaw
	}
	return g711.ULaw
}

// HasTelephoneEvent reports whether telephone-event was negotiated.
func (c Codec) HasTelephoneEvent() bool { return c.TelephoneEvent != 0 }

// String describes the codec for logs, such as "PCMA/8 te=101".
func (c Codec) String() string {
	if !c.HasTelephoneEvent() {
		return fmt.Sprintf("%s/%d", c.Name, c.PayloadType)
	}
	return fmt.Sprintf("%s/%d te=%d", c.Name, c.PayloadType, c.TelephoneEvent)
}

// codecForName returns the codec of a G.711 encoding name.
func codecForName(name string) (Codec, bool) {
	switch {
	case strings.EqualFold(name, "PCMU"):
		return Codec{Name: "PCMU", PayloadType: PayloadPCMU}, true
	case strings.EqualFold(name, "PCMA"):
		return Codec{Name: "PCMA", PayloadType: PayloadPCMA}, true
	}
	return Codec{}, false
}
