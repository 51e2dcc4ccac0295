package audio

import "math"

// Tone is a steady sine (or the sum of two, for dual-frequency tones) that
// keeps its phase from frame to frame, so frames join without clicks.
type Tone struct {
	freqs [2]float64
	n     int
	amp   float64
	phase [2]float64
}

// NewTone returns an endless sine of freqHz at levelDBFS (for example -10).
func NewTone(freqHz, levelDBFS float64) *Tone {
	return &Tone{freqs: [2]float64{freqHz}, n: 1, amp: Level(levelDBFS)}
}

// NewDualTone returns an endless sum of two sines, each at levelDBFS, such as
// North American ringback (440 + 480 Hz).
func NewDualTone(f1, f2, levelDBFS float64) *Tone {
	return &Tone{freqs: [2]float64{f1, f2}, n: 2, amp: Level(levelDBFS)}
}

// Frame implements Source.
func (t *Tone) Frame(pcm []int16) bool {
	var step [2]float64
	for k := range t.n {
		step[k] = 2 * math.Pi * t.freqs[k] / SampleRate
	}
	for i := range pcm {
		v := 0.0
		for k := range t.n {
			v += math.Sin(t.phase[k])
			t.phase[k] += step[k]
		}
		pcm[i] = clamp16(t.amp * v)
	}
	for k := range t.n {
		t.phase[k] = math.Mod(t.phase[k], 2*math.Pi)
	}
	return true
}

// Cadence is an on/off pattern for a call progress tone.
type Cadence struct {
	Freqs     []float64 // one or two frequencies in Hz
	LevelDBFS float64
	OnMillis  int
	OffMillis int
}

// EuropeanRingback is the CEPT ringing tone (ETSI TR 101 041, ITU-T E.180):
// 425 Hz, 1 s on, 4 s off.
var EuropeanRingback = Cadence{Freqs: []float64{425}, LevelDBFS: -13, OnMillis: 1000, OffMillis: 4000}

// NorthAmericanRingback is 440 + 480 Hz, 2 s on, 4 s off (ANSI T1.401).
var NorthAmericanRingback = Cadence{Freqs: []float64{440, 480}, LevelDBFS: -19, OnMillis: 2000, OffMillis: 4000}

// cadenced switches a tone on and off.
type cadenced struct {
	tone      *Tone
	on, cycle int // in frames
	pos       int
}

// NewRingback returns an endless cadenced tone, such as EuropeanRingback.
// A cadence with no frequency or no on time is silence.
func NewRingback(c Cadence) Source {
	var t *Tone
	switch len(c.Freqs) {
	case 0:
		return Silence()
	case 1:
		t = NewTone(c.Freqs[0], c.LevelDBFS)
	default:
		t = NewDualTone(c.Freqs[0], c.Freqs[1], c.LevelDBFS)
	}
	on := max(c.OnMillis/FrameMillis, 0)
	off := max(c.OffMillis/FrameMillis, 0)
	if on == 0 {
		return Silence()
	}
	return &cadenced{tone: t, on: on, cycle: on + off}
}

func (c *cadenced) Frame(pcm []int16) bool {
	if c.pos < c.on {
		c.tone.Frame(pcm)
	} else {
		clear(pcm)
		if c.pos == c.on {
			c.tone.phase = [2]float64{} // each burst starts at phase 0
		}
	}
	c.pos = (c.pos + 1) % c.cycle
	return true
}
