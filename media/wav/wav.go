// Package wav reads and writes RIFF WAVE files of the kinds telephony uses:
// 16-bit linear PCM (format code 1) and G.711 A-law (6) and mu-law (7), mono.
//
// The layout is Microsoft's RIFF WAVE: a "RIFF" chunk of form "WAVE" holding a
// "fmt " chunk and a "data" chunk; non-PCM formats carry a "fact" chunk with
// the sample count. Chunks are padded to an even size.
package wav

import (
	"errors"
	"fmt"

	"callroute/media/g711"
)

// Format is a WAVE format code (the wFormatTag of the fmt chunk).
type Format uint16

const (
	PCM  Format = 1 // 16-bit signed little-endian linear PCM
	ALaw Format = 6 // ITU-T G.711 A-law, 8 bits per sample
	ULaw Format = 7 // ITU-T G.711 mu-law, 8 bits per sample
)

// String names the format.
func (f Format) String() string {
	switch f {
	case PCM:
		return "PCM"
	case ALaw:
		return "A-law"
	case ULaw:
		return "mu-law"
	}
	return fmt.Sprintf("format %d", uint16(f))
}

// BitsPerSample is 16 for PCM and 8 for G.711.
func (f Format) BitsPerSample() int {
	if f == PCM {
		return 16
	}
	return 8
}

// Law returns the G.711 law of an A-law or mu-law format.
func (f Format) Law() (g711.Law, bool) {
	switch f {
	case ALaw:
		return g711.ALaw, true
	case ULaw:
		return g711.ULaw, true
	}
	return 0, false
}

var (
	// ErrFormat is returned for a file that is not a WAVE file we can read.
	ErrFormat = errors.New("wav: not a supported WAVE file")
	// ErrTooLarge is returned for a data chunk over the reader's limit.
	ErrTooLarge = errors.New("wav: data too large")
)

// File is a decoded WAVE file.
type File struct {
	Format     Format
	SampleRate int
	Channels   int
	Data       []byte // the data chunk: samples as stored
}

// Samples returns the number of sample frames in the file.
func (f *File) Samples() int {
	if f.Channels <= 0 {
		return 0
	}
	return len(f.Data) / (f.Format.BitsPerSample() / 8) / f.Channels
}

// DurationMillis returns the playing time in milliseconds.
func (f *File) DurationMillis() int {
	if f.SampleRate <= 0 {
		return 0
	}
	return f.Samples() * 1000 / f.SampleRate
}

// PCM decodes the samples to 16-bit linear PCM. Multi-channel files yield the
// first channel.
func (f *File) PCM() []int16 {
	n := f.Samples()
	out := make([]int16, 0, n)
	step := f.Channels
	if f.Format == PCM {
		for i := 0; i < n; i++ {
			o := i * step * 2
			out = append(out, int16(uint16(f.Data[o])|uint16(f.Data[o+1])<<8))
		}
		return out
	}
	law, _ := f.Format.Law()
	if step == 1 {
		return g711.Decode(out, law, f.Data[:n])
	}
	for i := 0; i < n; i++ {
		out = g711.Decode(out, law, f.Data[i*step:i*step+1])
	}
	return out
}
