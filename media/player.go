package media

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"

	"callroute/media/audio"
	"callroute/media/g711"
	"callroute/media/wav"
)

// frameDuration is the packet time of generated audio (RFC 3551 4.5: 20 ms
// is the G.711 default).
const frameDuration = audio.FrameMillis * time.Millisecond

// maxLate is how far behind schedule the player may fall (a stalled process)
// before it skips frames instead of sending a burst.
const maxLate = 5 * frameDuration

// Play sends src to the leg as 20 ms, 160-sample packets in the leg's codec,
// until src ends (nil), ctx ends (ctx.Err()) or the leg is closed. Packets are
// paced on absolute deadlines, start + n x 20 ms, so the rate never drifts.
//
// Play uses its own SSRC, sequence and timestamp; the leg's Rewriter joins it
// to whatever was sent before (ringback, then a prompt, then the bridge) with
// continuous numbers and the marker bit. One source at a time per leg: do not
// run Play and the bridge's direction towards the same leg together.
func Play(ctx context.Context, to Sender, src audio.Source) error {
	ssrc := rand.Uint32()
	seq := uint16(rand.Uint32())
	ts := rand.Uint32()
	frame := make([]int16, audio.FrameSamples)
	payload := make([]byte, 0, audio.FrameSamples)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	start := time.Now()
	for n := 0; ; n++ {
		deadline := start.Add(time.Duration(n) * frameDuration)
		if wait := time.Until(deadline); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
		} else if err := ctx.Err(); err != nil {
			return err
		} else if late := -wait; late > maxLate {
			// Skip the frames we missed; the timestamp still counts them,
			// so the far end sees a gap, not a time warp.
			skip := int(late / frameDuration)
			n += skip
			ts += uint32(skip * audio.FrameSamples)
		}
		if !src.Frame(frame) {
			return nil
		}
		c := to.Codec()
		payload = g711.Encode(payload[:0], c.Law(), frame)
		p := &rtp.Packet{
			Header: rtp.Header{
				Version: 2, Marker: n == 0, PayloadType: c.PayloadType,
				SequenceNumber: seq, Timestamp: ts, SSRC: ssrc,
			},
			Payload: payload,
		}
		if err := to.WriteRTP(p); err != nil && isClosed(err) {
			return err
		}
		seq++
		ts += audio.FrameSamples
	}
}

// PlayWAV plays a WAV file (8 kHz mono PCM, mu-law or A-law) to the leg.
func PlayWAV(ctx context.Context, to Sender, r io.Reader) error {
	src, err := WAVSource(r)
	if err != nil {
		return err
	}
	return Play(ctx, to, src)
}

// WAVSource decodes a WAV file (8 kHz; multi-channel files give their first
// channel) into a source that plays once.
func WAVSource(r io.Reader) (*audio.Clip, error) {
	f, err := wav.Read(r)
	if err != nil {
		return nil, err
	}
	if f.SampleRate != audio.SampleRate {
		return nil, fmt.Errorf("media: WAV at %d Hz, want %d", f.SampleRate, audio.SampleRate)
	}
	return audio.NewClip(f.PCM()), nil
}

// WAVBytesSource is WAVSource for a file in memory (an embedded prompt).
func WAVBytesSource(b []byte) (*audio.Clip, error) { return WAVSource(bytes.NewReader(b)) }
