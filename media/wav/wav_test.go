package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func sine(n int, hz float64) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(10000 * math.Sin(2*math.Pi*hz*float64(i)/8000))
	}
	return pcm
}

func TestRoundTrip(t *testing.T) {
	pcm := sine(8001, 440) // odd length: exercises padding
	for _, f := range []Format{PCM, ULaw, ALaw} {
		b, err := Encode(f, 8000, pcm)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Read(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		if got.Format != f || got.SampleRate != 8000 || got.Channels != 1 || got.Samples() != len(pcm) {
			t.Fatalf("%v: %+v samples %d", f, got, got.Samples())
		}
		if got.DurationMillis() != 1000 {
			t.Fatalf("%v: duration %d ms", f, got.DurationMillis())
		}
		dec := got.PCM()
		for i := range pcm {
			limit := 0.0
			if f != PCM {
				limit = 400
			}
			if math.Abs(float64(dec[i])-float64(pcm[i])) > limit {
				t.Fatalf("%v sample %d: %d != %d", f, i, dec[i], pcm[i])
			}
		}
		if len(b)%2 != 0 {
			t.Fatalf("%v: odd file length %d", f, len(b))
		}
		riff := binary.LittleEndian.Uint32(b[4:8])
		if int(riff) != len(b)-8 {
			t.Fatalf("%v: RIFF size %d for %d bytes", f, riff, len(b))
		}
	}
}

func TestWriterFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.wav")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(fh, ULaw, 8000)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := w.WriteSamples(sine(160, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSamples(sine(1, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	fh.Close()
	data, _ := os.ReadFile(path)
	got, err := Read(bytes.NewReader(data))
	if err != nil || got.Samples() != 1600 {
		t.Fatalf("read back: %v %d", err, got.Samples())
	}
}

func TestReadRejectsGarbage(t *testing.T) {
	good, _ := Encode(PCM, 8000, sine(100, 440))
	cases := map[string][]byte{
		"empty":     nil,
		"short":     []byte("RIFF"),
		"not wave":  append([]byte("RIFF\x00\x00\x00\x00AVI "), good[12:]...),
		"no data":   good[:36],
		"bad fmt":   bytes.Replace(good, []byte{1, 0, 1, 0}, []byte{3, 0, 1, 0}, 1),
		"0 channel": bytes.Replace(good, []byte{1, 0, 1, 0}, []byte{1, 0, 0, 0}, 1),
	}
	for name, b := range cases {
		if _, err := Read(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	big := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(big[40:44], 1<<30)
	if _, err := ReadLimit(bytes.NewReader(big), 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge data chunk: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	good, _ := Encode(ULaw, 8000, sine(50, 440))
	f.Add(good)
	f.Add([]byte("RIFF\x04\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := ReadLimit(bytes.NewReader(b), 1<<16)
		if err != nil {
			return
		}
		_ = file.PCM()
	})
}
