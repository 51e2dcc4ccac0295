// Package dtmf reads and writes RFC 4733 telephone-event payloads and turns a
// stream of them into key presses.
package dtmf

import (
	"errors"
	"fmt"
)

// PayloadSize is the size of one telephone-event payload block (RFC 4733 2.3).
const PayloadSize = 4

// ErrShortPayload is returned for a payload shorter than one event block.
var ErrShortPayload = errors.New("dtmf: telephone-event payload shorter than 4 bytes")

// Event is one RFC 4733 telephone-event payload block (RFC 4733 2.3):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     event     |E|R| volume    |          duration             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type Event struct {
	Code     uint8  // event code, RFC 4733 3.2: 0-9, 10 '*', 11 '#', 12-15 A-D, 16 flash
	End      bool   // E bit: the last packet(s) of the event
	Volume   uint8  // power level in -dBm0, 0-63
	Duration uint16 // in timestamp units since the event's timestamp
}

// Parse reads the first event block of a telephone-event payload. Extra bytes
// (redundant blocks, RFC 4733 2.5.1.5) are ignored.
func Parse(payload []byte) (Event, error) {
	if len(payload) < PayloadSize {
		return Event{}, ErrShortPayload
	}
	return Event{
		Code:     payload[0],
		End:      payload[1]&0x80 != 0,
		Volume:   payload[1] & 0x3F,
		Duration: uint16(payload[2])<<8 | uint16(payload[3]),
	}, nil
}

// AppendTo appends the event's 4-byte payload to b. The R bit is sent as zero
// (RFC 4733 2.3).
func (e Event) AppendTo(b []byte) []byte {
	flags := e.Volume & 0x3F
	if e.End {
		flags |= 0x80
	}
	return append(b, e.Code, flags, byte(e.Duration>>8), byte(e.Duration))
}

// String describes the event for logs.
func (e Event) String() string {
	d, _ := Digit(e.Code)
	return fmt.Sprintf("event %d (%q) end=%v volume=-%d duration=%d", e.Code, d, e.End, e.Volume, e.Duration)
}

// digits maps event codes 0-16 to keys (RFC 4733 3.2, table 7); 'F' stands for
// hook flash.
const digits = "0123456789*#ABCDF"

// Digit returns the key of a DTMF event code and whether the code is one.
func Digit(code uint8) (rune, bool) {
	if int(code) >= len(digits) {
		return 0, false
	}
	return rune(digits[code]), true
}

// Code returns the event code of a key ('0'-'9', '*', '#', 'A'-'D', 'F' for
// flash; lower case accepted) and whether the key is one.
func Code(key rune) (uint8, bool) {
	if key >= 'a' && key <= 'f' {
		key -= 'a' - 'A'
	}
	for i, d := range digits {
		if d == key {
			return uint8(i), true
		}
	}
	return 0, false
}
