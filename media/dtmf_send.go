package media

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"

	"callroute/media/dtmf"
)

// DTMF sending parameters (RFC 4733 2.5).
const (
	dtmfUpdate   = 50 * time.Millisecond // interval between packets of one event
	dtmfVolume   = 10                    // -10 dBm0, a typical keypad level
	dtmfEndCount = 3                     // the end packet is sent three times (RFC 4733 2.5.1.4)
	// DefaultDTMFDuration is how long a key is held when none is given.
	DefaultDTMFDuration = 100 * time.Millisecond
)

// ErrNoTelephoneEvent is returned when the leg did not negotiate
// telephone-event.
var ErrNoTelephoneEvent = errors.New("media: telephone-event not negotiated")

// SendDTMF sends one key press as RFC 4733 telephone-events: a first packet
// with the marker bit, updates every 50 ms with a growing duration, all with
// the event's start timestamp (RFC 4733 2.5.1.1), then the end packet (E bit)
// three times (RFC 4733 2.5.1.4) with new sequence numbers. Packets are paced
// on absolute deadlines. Do not play audio to the leg at the same time.
func SendDTMF(ctx context.Context, to Sender, key rune, hold time.Duration) error {
	code, ok := dtmf.Code(key)
	if !ok {
		return fmt.Errorf("media: %q is not a DTMF key", key)
	}
	c := to.Codec()
	if !c.HasTelephoneEvent() {
		return ErrNoTelephoneEvent
	}
	if hold <= 0 {
		hold = DefaultDTMFDuration
	}
	ssrc := rand.Uint32()
	seq := uint16(rand.Uint32())
	ts := rand.Uint32()
	updates := max(int((hold+dtmfUpdate-1)/dtmfUpdate), 1)
	total := uint16(min(hold.Milliseconds()*ClockRate/1000, 0xFFFF))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	start := time.Now()
	payload := make([]byte, 0, dtmf.PayloadSize)
	for i := range updates + dtmfEndCount {
		if wait := time.Until(start.Add(time.Duration(i) * dtmfUpdate)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
		}
		ev := dtmf.Event{Code: code, Volume: dtmfVolume, End: i >= updates}
		if ev.End {
			ev.Duration = total
		} else {
			ev.Duration = uint16(min(int64(i)*dtmfUpdate.Milliseconds()*ClockRate/1000, int64(total)))
		}
		p := &rtp.Packet{
			Header: rtp.Header{
				Version: 2, Marker: i == 0, PayloadType: c.TelephoneEvent,
				SequenceNumber: seq, Timestamp: ts, SSRC: ssrc,
			},
			Payload: ev.AppendTo(payload[:0]),
		}
		if err := to.WriteRTP(p); err != nil && isClosed(err) {
			return err
		}
		seq++
	}
	return nil
}
