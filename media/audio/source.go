// Package audio holds generated and recorded telephone audio as 8 kHz 16-bit
// PCM sources (tones, ringback, hold music, clips) and the analysis that tests
// use to check what was heard.
//
// A Source yields one 20 ms frame at a time; the pacing (real time) is the
// player's job in package media, so sources are plain, fast and testable.
package audio

import "math"

const (
	// SampleRate is the G.711 sampling rate, RFC 3551 4.5.14.
	SampleRate = 8000
	// FrameMillis is the packetisation interval of generated audio (RFC 3551
	// 4.5: 20 ms is the default for G.711).
	FrameMillis = 20
	// FrameSamples is the number of samples in one frame.
	FrameSamples = SampleRate * FrameMillis / 1000
)

// Source yields audio one frame at a time.
type Source interface {
	// Frame fills pcm (FrameSamples long) and reports false once the
	// source has ended, in which case pcm is left unspecified.
	Frame(pcm []int16) bool
}

// Level converts a level in dBFS (0 = full scale sine peak) to a linear peak
// amplitude.
func Level(dbfs float64) float64 {
	return 32767 * math.Pow(10, dbfs/20)
}

func clamp16(v float64) int16 {
	switch {
	case v > 32767:
		return 32767
	case v < -32768:
		return -32768
	}
	return int16(math.Round(v))
}

// silence is an endless source of zeros.
type silence struct{}

func (silence) Frame(pcm []int16) bool {
	clear(pcm)
	return true
}

// Silence returns a source of digital silence that never ends.
func Silence() Source { return silence{} }

// Clip plays a buffer of samples once, or in a loop.
type Clip struct {
	pcm  []int16
	pos  int
	loop bool
}

// NewClip returns a source that plays pcm once; the last frame is padded with
// silence.
func NewClip(pcm []int16) *Clip { return &Clip{pcm: pcm} }

// Loop returns a source that plays pcm again and again.
func Loop(pcm []int16) *Clip { return &Clip{pcm: pcm, loop: true} }

// Frame implements Source.
func (c *Clip) Frame(pcm []int16) bool {
	if len(c.pcm) == 0 || (!c.loop && c.pos >= len(c.pcm)) {
		return false
	}
	for i := range pcm {
		if c.pos >= len(c.pcm) {
			if !c.loop {
				clear(pcm[i:])
				break
			}
			c.pos = 0
		}
		pcm[i] = c.pcm[c.pos]
		c.pos++
	}
	return true
}

// PCM returns the clip's samples.
func (c *Clip) PCM() []int16 { return c.pcm }

// concat plays sources one after the other.
type concat struct{ srcs []Source }

// Concat returns a source that plays each source to its end, in order.
func Concat(srcs ...Source) Source { return &concat{srcs: srcs} }

func (c *concat) Frame(pcm []int16) bool {
	for len(c.srcs) > 0 {
		if c.srcs[0].Frame(pcm) {
			return true
		}
		c.srcs = c.srcs[1:]
	}
	return false
}

// limited ends a source after a number of frames.
type limited struct {
	src    Source
	frames int
}

// Limit returns a source that plays src for at most the given number of
// milliseconds (rounded up to whole frames).
func Limit(src Source, millis int) Source {
	return &limited{src: src, frames: (millis + FrameMillis - 1) / FrameMillis}
}

func (l *limited) Frame(pcm []int16) bool {
	if l.frames <= 0 {
		return false
	}
	l.frames--
	return l.src.Frame(pcm)
}

// Render reads up to millis of a source into a new buffer; it stops early when
// the source ends.
func Render(src Source, millis int) []int16 {
	frames := (millis + FrameMillis - 1) / FrameMillis
	out := make([]int16, 0, frames*FrameSamples)
	frame := make([]int16, FrameSamples)
	for range frames {
		if !src.Frame(frame) {
			break
		}
		out = append(out, frame...)
	}
	return out
}
