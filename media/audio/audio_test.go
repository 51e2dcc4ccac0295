package audio

import (
	"math"
	"testing"

	"callroute/media/g711"
)

func TestAnalyzeToneThroughG711(t *testing.T) {
	for _, hz := range []float64{440, 1000, 3000, 425} {
		for _, law := range []g711.Law{g711.ULaw, g711.ALaw} {
			pcm := Render(NewTone(hz, -10), 500)
			a := AnalyzeG711(law, g711.Encode(nil, law, pcm))
			if math.Abs(a.PeakHz-hz) > 2 {
				t.Errorf("%v Hz via %v: peak %.1f", hz, law, a.PeakHz)
			}
			if a.RMSDBFS < -15 || a.RMSDBFS > -11 {
				t.Errorf("%v Hz: rms %.1f dBFS, want about -13", hz, a.RMSDBFS)
			}
			if a.PeakFraction < 0.9 {
				t.Errorf("%v Hz: fraction %.2f", hz, a.PeakFraction)
			}
		}
	}
}

func TestAnalyzeSilenceAndNoise(t *testing.T) {
	a := Analyze(make([]int16, 4000))
	if a.RMSDBFS != -120 || a.PeakFraction != 0 {
		t.Fatalf("silence: %+v", a)
	}
	noise := make([]int16, 4000)
	seed := uint32(1)
	for i := range noise {
		seed = seed*1664525 + 1013904223
		noise[i] = int16(seed >> 20)
	}
	if a := Analyze(noise); a.PeakFraction > 0.2 {
		t.Fatalf("white noise looks tonal: %+v", a)
	}
	if a := Analyze(nil); a.PeakHz != 0 {
		t.Fatal("empty input")
	}
}

func TestRingbackCadence(t *testing.T) {
	pcm := Render(NewRingback(EuropeanRingback), 5000)
	if len(pcm) != 40000 {
		t.Fatalf("len %d", len(pcm))
	}
	on := Analyze(pcm[:8000])
	if math.Abs(on.PeakHz-425) > 2 {
		t.Fatalf("ringback peak %.1f", on.PeakHz)
	}
	if off := Analyze(pcm[8000:]); off.RMSDBFS > -100 {
		t.Fatalf("ringback off period not silent: %.1f dBFS", off.RMSDBFS)
	}
	us := Analyze(Render(NewRingback(NorthAmericanRingback), 1000))
	if us.PeakHz < 435 || us.PeakHz > 485 {
		t.Fatalf("dual tone peak %.1f", us.PeakHz)
	}
}

func TestHoldMusic(t *testing.T) {
	m := HoldMusic()
	loop := len(m.PCM())
	if loop != 6400*8 {
		t.Fatalf("loop of %d samples", loop)
	}
	a := Analyze(Render(m, 6400))
	if a.RMSDBFS < -35 || a.RMSDBFS > -12 {
		t.Fatalf("hold music level %.1f dBFS", a.RMSDBFS)
	}
	// The loop is seamless: the jump from the last sample to the first
	// is no bigger than the largest step inside the loop.
	pcm := m.PCM()
	maxStep := 0.0
	for i := 1; i < len(pcm); i++ {
		maxStep = math.Max(maxStep, math.Abs(float64(pcm[i])-float64(pcm[i-1])))
	}
	if j := math.Abs(float64(pcm[0]) - float64(pcm[len(pcm)-1])); j > maxStep {
		t.Fatalf("click at the loop point: %v > %v", j, maxStep)
	}
}

func TestClipConcatLimit(t *testing.T) {
	c := NewClip(make([]int16, 200))
	frame := make([]int16, FrameSamples)
	if !c.Frame(frame) || !c.Frame(frame) || c.Frame(frame) {
		t.Fatal("a 200-sample clip is two frames")
	}
	src := Concat(NewClip([]int16{1}), Limit(NewTone(1000, -6), 100))
	if n := len(Render(src, 10000)); n != 6*FrameSamples {
		t.Fatalf("concat rendered %d samples", n)
	}
	if n := len(Render(Loop([]int16{1, 2, 3}), 100)); n != 5*FrameSamples {
		t.Fatalf("loop rendered %d", n)
	}
}

func BenchmarkAnalyze500ms(b *testing.B) {
	pcm := Render(NewTone(1000, -10), 500)
	for b.Loop() {
		Analyze(pcm)
	}
}
