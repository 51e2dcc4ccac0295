package audio

import (
	"math"

	"callroute/media/g711"
)

// Analysis is what Analyze finds in a block of audio.
type Analysis struct {
	PeakHz       float64 // dominant frequency in 100-3900 Hz, refined between scan steps
	RMSDBFS      float64 // RMS level relative to full scale; -120 for digital silence
	PeakFraction float64 // share of the scanned power within ±20 Hz of the peak, 0-1
	SampleCount  int
}

const (
	scanLowHz    = 100
	scanHighHz   = 3900
	scanStepHz   = 2
	peakBandHz   = 20
	silenceFloor = -120
)

// Analyze finds the dominant frequency of 8 kHz samples as the browser tests
// do (shared reference browser-testing.md, section 7): Hann window, Goertzel
// power scan from 100 to 3900 Hz in 2 Hz steps, parabolic refinement of the
// peak, the RMS level in dBFS, and the fraction of the scanned power within
// ±20 Hz of the peak. Use at least 4000 samples (500 ms) for ±5 Hz accuracy.
func Analyze(pcm []int16) Analysis {
	a := Analysis{SampleCount: len(pcm), RMSDBFS: silenceFloor}
	if len(pcm) < 16 {
		return a
	}
	var sum float64
	x := make([]float64, len(pcm))
	n := float64(len(pcm) - 1)
	for i, s := range pcm {
		v := float64(s) / 32768
		sum += v * v
		x[i] = v * 0.5 * (1 - math.Cos(2*math.Pi*float64(i)/n)) // Hann
	}
	rms := math.Sqrt(sum / float64(len(pcm)))
	if rms > 0 {
		a.RMSDBFS = math.Max(silenceFloor, 20*math.Log10(rms))
	}
	bins := (scanHighHz-scanLowHz)/scanStepHz + 1
	power := make([]float64, bins)
	best := 0
	var total float64
	for b := range bins {
		power[b] = goertzel(x, float64(scanLowHz+b*scanStepHz))
		total += power[b]
		if power[b] > power[best] {
			best = b
		}
	}
	if total == 0 {
		return a
	}
	peak := float64(scanLowHz + best*scanStepHz)
	if best > 0 && best < bins-1 {
		// Parabolic interpolation through the peak and its neighbours.
		l, c, r := power[best-1], power[best], power[best+1]
		if d := l - 2*c + r; d != 0 {
			peak += 0.5 * (l - r) / d * scanStepHz
		}
	}
	a.PeakHz = peak
	var near float64
	for b := range bins {
		if math.Abs(float64(scanLowHz+b*scanStepHz)-peak) <= peakBandHz {
			near += power[b]
		}
	}
	a.PeakFraction = near / total
	return a
}

// AnalyzeG711 decodes G.711 codes with the law and analyses them.
func AnalyzeG711(law g711.Law, b []byte) Analysis {
	return Analyze(g711.Decode(make([]int16, 0, len(b)), law, b))
}

// goertzel returns the power of x at freq: one DFT term computed with the
// Goertzel second-order recursion.
func goertzel(x []float64, freq float64) float64 {
	w := 2 * math.Pi * freq / SampleRate
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}
