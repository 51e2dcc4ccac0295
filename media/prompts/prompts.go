// Package prompts holds the spoken announcements callroute plays to callers,
// embedded in the binary as 8 kHz mono G.711 mu-law WAV files. generate.sh
// recreates them with espeak-ng and sox; nothing is fetched at run time.
package prompts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"

	"callroute/media/audio"
	"callroute/media/wav"
)

//go:embed *.wav
var files embed.FS

// Name identifies a prompt.
type Name string

// The prompts.
const (
	Hold         Name = "hold"          // "Thank you for calling. All our colleagues are busy. Please hold."
	CallerNumber Name = "caller_number" // "You are caller number"
	LeaveMessage Name = "leave_message" // "Please leave a message after the tone. Press hash or hang up when you are done."
	Closed       Name = "closed"        // "Our office is closed now. Please leave a message after the tone."
	Goodbye      Name = "goodbye"       // "Thank you. Goodbye."
)

// MaxNumber is the highest number with a spoken prompt.
const MaxNumber = 20

// ErrUnknown is returned for a prompt or number that is not embedded.
var ErrUnknown = errors.New("prompts: no such prompt")

// Number returns the name of the prompt speaking n, for 1 <= n <= MaxNumber.
func Number(n int) (Name, error) {
	if n < 1 || n > MaxNumber {
		return "", fmt.Errorf("%w: number %d (have 1-%d)", ErrUnknown, n, MaxNumber)
	}
	return Name(fmt.Sprintf("n%02d", n)), nil
}

// Names lists every embedded prompt.
func Names() []Name {
	names := []Name{Hold, CallerNumber, LeaveMessage, Closed, Goodbye}
	for n := 1; n <= MaxNumber; n++ {
		name, _ := Number(n)
		names = append(names, name)
	}
	return names
}

// WAV returns the embedded WAV file of a prompt.
func WAV(name Name) ([]byte, error) {
	b, err := files.ReadFile(string(name) + ".wav")
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	return b, nil
}

// PCM returns a prompt decoded to 8 kHz 16-bit linear samples.
func PCM(name Name) ([]int16, error) {
	b, err := WAV(name)
	if err != nil {
		return nil, err
	}
	f, err := wav.Read(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("prompts: %q: %w", name, err)
	}
	if f.SampleRate != audio.SampleRate {
		return nil, fmt.Errorf("prompts: %q: sample rate %d", name, f.SampleRate)
	}
	return f.PCM(), nil
}

// Clip returns a prompt as a source that plays once.
func Clip(name Name) (*audio.Clip, error) {
	pcm, err := PCM(name)
	if err != nil {
		return nil, err
	}
	return audio.NewClip(pcm), nil
}

// gapMillis is the pause between the pieces of a composed announcement.
const gapMillis = 150

// Sequence joins prompts into one clip with a short pause between them.
func Sequence(names ...Name) (*audio.Clip, error) {
	var out []int16
	gap := make([]int16, audio.SampleRate*gapMillis/1000)
	for i, name := range names {
		pcm, err := PCM(name)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, gap...)
		}
		out = append(out, pcm...)
	}
	return audio.NewClip(out), nil
}

// CallerPosition builds "You are caller number N" for 1 <= n <= MaxNumber.
// The SIP layer should announce positions above MaxNumber some other way (or
// not at all).
func CallerPosition(n int) (*audio.Clip, error) {
	num, err := Number(n)
	if err != nil {
		return nil, err
	}
	return Sequence(CallerNumber, num)
}
