package audio

import "math"

// holdNotes is a slow arpeggio over four chords (Cmaj7, Am7, Fmaj7, G6), in Hz,
// four notes per chord: a calm loop that sounds fine through G.711.
var holdNotes = [][4]float64{
	{261.63, 329.63, 392.00, 493.88}, // C E G B
	{220.00, 261.63, 329.63, 392.00}, // A C E G
	{174.61, 220.00, 261.63, 329.63}, // F A C E
	{196.00, 246.94, 293.66, 329.63}, // G B D E
}

const (
	holdNoteMillis = 400   // one note every 400 ms
	holdDecay      = 1.6   // envelope exp(-decay*t): a note falls by 14 dB per second
	holdLevelDBFS  = -18.0 // peak of one note
)

// HoldMusic returns an endless, gentle generated loop: each note a sine with a
// little second and third harmonic, a soft attack and an exponential decay that
// rings under the next notes, and a quiet bass note per chord. The loop (6.4 s)
// is rendered once when called.
func HoldMusic() *Clip {
	noteLen := SampleRate * holdNoteMillis / 1000
	total := len(holdNotes) * 4 * noteLen
	mix := make([]float64, total)
	amp := Level(holdLevelDBFS)
	ring := 3 * noteLen     // how long a note is allowed to ring
	fade := SampleRate / 10 // a 100 ms release at the end of the ring
	addNote := func(start int, hz, gain float64) {
		for i := range ring {
			t := float64(i) / SampleRate
			env := math.Exp(-t*holdDecay) * math.Min(1, t/0.015) // 15 ms attack
			env *= math.Min(1, float64(ring-i)/float64(fade))    // release, no click
			ph := 2 * math.Pi * hz * t
			v := math.Sin(ph) + 0.25*math.Sin(2*ph) + 0.08*math.Sin(3*ph)
			// wrap around so the loop joins seamlessly
			mix[(start+i)%total] += gain * env * v
		}
	}
	for c, chord := range holdNotes {
		base := c * 4 * noteLen
		addNote(base, chord[0]/2, 0.5*amp) // bass
		for k, hz := range chord {
			addNote(base+k*noteLen, hz, amp)
		}
	}
	pcm := make([]int16, total)
	for i, v := range mix {
		pcm[i] = clamp16(v)
	}
	return Loop(pcm)
}
