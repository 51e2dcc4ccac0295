package media

import (
	"context"
	"strings"
	"time"

	"callroute/media/audio"
	"callroute/media/dtmf"
	"callroute/media/g711"
	"callroute/media/wav"
)

// DefaultMaxRecording bounds a recording when no maximum is given.
const DefaultMaxRecording = 3 * time.Minute

// maxGapFill is the longest timestamp gap filled with silence; longer gaps
// (a new source, a long hold) are closed up.
const maxGapFill = time.Second

// RecordOptions configure Record.
type RecordOptions struct {
	// MaxDuration ends the recording after this much audio, or this much
	// wall time plus a second if the leg sends nothing.
	MaxDuration time.Duration
	// StopKeys are DTMF keys that end the recording, e.g. "#".
	StopKeys string
}

// Recording tells how a recording went.
type Recording struct {
	Duration time.Duration // of audio written
	// Reason is "max" (MaxDuration reached), "key" (Key pressed), "done"
	// (ctx ended) or "leg" (the leg ended).
	Reason string
	Key    rune
}

// Record writes the audio a leg receives to a WAV writer (any format of
// package wav: G.711 is decoded and re-encoded as needed) until the maximum
// duration, a stop key, the end of ctx or the end of the leg. Gaps in the
// timestamps up to a second are filled with silence so the recording keeps
// time; comfort noise and other payload types are skipped. The writer is not
// closed. The error is nil for every normal end, including the leg ending.
func Record(ctx context.Context, from Receiver, w *wav.Writer, opts RecordOptions) (Recording, error) {
	limit := opts.MaxDuration
	if limit <= 0 {
		limit = DefaultMaxRecording
	}
	maxSamples := int64(limit / time.Millisecond * ClockRate / 1000)
	parent := ctx
	ctx, cancel := context.WithTimeout(parent, limit+time.Second)
	defer cancel()

	var (
		det      dtmf.Detector
		written  int64
		pcm      []int16
		haveLast bool
		lastSSRC uint32
		nextTS   uint32 // timestamp expected for the next audio packet
	)
	result := func(reason string, key rune) Recording {
		return Recording{Duration: time.Duration(written) * time.Second / ClockRate, Reason: reason, Key: key}
	}
	silence := make([]int16, audio.FrameSamples)
	for written < maxSamples {
		p, err := from.ReadRTP(ctx)
		if err != nil {
			switch {
			case parent.Err() != nil:
				return result("done", 0), nil
			case ctx.Err() != nil:
				return result("max", 0), nil
			}
			return result("leg", 0), nil
		}
		c := from.Codec()
		switch {
		case c.HasTelephoneEvent() && p.PayloadType == c.TelephoneEvent:
			if key, ok := det.Feed(p.Timestamp, p.Payload); ok && strings.ContainsRune(opts.StopKeys, key) {
				return result("key", key), nil
			}
			continue
		case p.PayloadType != c.PayloadType || len(p.Payload) == 0:
			continue
		}
		if haveLast && p.SSRC == lastSSRC {
			gap := int64(int32(p.Timestamp - nextTS))
			if gap < 0 {
				continue // late or duplicate packet: already past it
			}
			if gap <= int64(maxGapFill/time.Millisecond)*ClockRate/1000 {
				for gap > 0 && written < maxSamples {
					n := min(gap, int64(len(silence)), maxSamples-written)
					if err := w.WriteSamples(silence[:n]); err != nil {
						return result("leg", 0), err
					}
					gap -= n
					written += n
				}
			}
		}
		haveLast, lastSSRC = true, p.SSRC
		nextTS = p.Timestamp + uint32(len(p.Payload))
		pcm = g711.Decode(pcm[:0], c.Law(), p.Payload)
		if rest := maxSamples - written; int64(len(pcm)) > rest {
			pcm = pcm[:rest]
		}
		if err := w.WriteSamples(pcm); err != nil {
			return result("leg", 0), err
		}
		written += int64(len(pcm))
	}
	return result("max", 0), nil
}
