package prompts

import (
	"errors"
	"math"
	"testing"

	"callroute/media/audio"
)

func TestEveryPromptDecodes(t *testing.T) {
	names := Names()
	if len(names) != 25 {
		t.Fatalf("%d prompts", len(names))
	}
	for _, name := range names {
		pcm, err := PCM(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ms := len(pcm) * 1000 / audio.SampleRate
		if ms < 200 || ms > 8000 {
			t.Errorf("%s: %d ms", name, ms)
		}
		var sum float64
		for _, s := range pcm {
			sum += float64(s) * float64(s)
		}
		if rms := math.Sqrt(sum / float64(len(pcm))); rms < 1000 {
			t.Errorf("%s: too quiet, RMS %.0f", name, rms)
		}
	}
}

func TestCallerPosition(t *testing.T) {
	head, _ := PCM(CallerNumber)
	seven, _ := PCM("n07")
	c, err := CallerPosition(7)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(head) + len(seven) + audio.SampleRate*gapMillis/1000; len(c.PCM()) != want {
		t.Fatalf("caller 7: %d samples, want %d", len(c.PCM()), want)
	}
	for _, n := range []int{0, 21, -1} {
		if _, err := CallerPosition(n); !errors.Is(err, ErrUnknown) {
			t.Errorf("position %d: %v", n, err)
		}
	}
	if _, err := WAV("nope"); !errors.Is(err, ErrUnknown) {
		t.Error("unknown prompt")
	}
}
