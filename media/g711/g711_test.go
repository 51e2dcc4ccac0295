package g711

import (
	"math"
	"testing"
)

// Every code decodes to a value that encodes back to the same code (except
// mu-law's negative zero, 0x7F, which decodes to 0 like 0xFF).
func TestCodeRoundTrip(t *testing.T) {
	for i := range 256 {
		c := byte(i)
		if got := EncodeULaw(DecodeULaw(c)); got != c && !(c == 0x7F && got == 0xFF) {
			t.Errorf("mu-law %#02x -> %d -> %#02x", c, DecodeULaw(c), got)
		}
		if got := EncodeALaw(DecodeALaw(c)); got != c {
			t.Errorf("A-law %#02x -> %d -> %#02x", c, DecodeALaw(c), got)
		}
	}
}

// Linear samples survive a round trip within the law's quantisation step.
func TestLinearRoundTrip(t *testing.T) {
	for s := -32768; s <= 32767; s += 7 {
		for _, law := range []Law{ULaw, ALaw} {
			enc := Encode(nil, law, []int16{int16(s)})
			dec := Decode(nil, law, enc)[0]
			diff := math.Abs(float64(dec) - float64(s))
			// The step doubles per segment; half a step of the top segment
			// is 512 (mu-law) or 512 (A-law), plus the mu-law clip.
			limit := math.Max(16, math.Abs(float64(s))/16)
			if s > ulawClip || s < -ulawClip {
				limit += 140
			}
			if diff > limit {
				t.Fatalf("%v: %d -> %d (diff %v > %v)", law, s, dec, diff, limit)
			}
		}
	}
}

func TestKnownValues(t *testing.T) {
	if EncodeULaw(0) != 0xFF || EncodeALaw(0) != 0xD5 {
		t.Fatalf("zero: mu %#x a %#x", EncodeULaw(0), EncodeALaw(0))
	}
	if ULaw.Silence() != 0xFF || ALaw.Silence() != 0xD5 {
		t.Fatal("silence codes")
	}
	if DecodeULaw(0x00) != -32124 || DecodeULaw(0x80) != 32124 {
		t.Fatalf("mu-law extremes %d %d", DecodeULaw(0x00), DecodeULaw(0x80))
	}
	if DecodeALaw(0xAA) != 32256 || DecodeALaw(0x2A) != -32256 {
		t.Fatalf("A-law extremes %d %d", DecodeALaw(0xAA), DecodeALaw(0x2A))
	}
}

func TestTranscode(t *testing.T) {
	var pcm []int16
	for i := range 800 {
		pcm = append(pcm, int16(12000*math.Sin(2*math.Pi*1000*float64(i)/8000)))
	}
	u := Encode(nil, ULaw, pcm)
	a := Transcode(nil, ALaw, ULaw, u)
	back := Transcode(nil, ULaw, ALaw, a)
	same := Transcode(nil, ULaw, ULaw, u)
	for i := range u {
		da := math.Abs(float64(DecodeALaw(a[i])) - float64(pcm[i]))
		db := math.Abs(float64(DecodeULaw(back[i])) - float64(pcm[i]))
		if da > 800 || db > 800 {
			t.Fatalf("sample %d: pcm %d, via A-law %d, back %d", i, pcm[i], DecodeALaw(a[i]), DecodeULaw(back[i]))
		}
		if same[i] != u[i] {
			t.Fatal("same-law transcode changed data")
		}
	}
}

func BenchmarkTranscode160(b *testing.B) {
	src := make([]byte, 160)
	dst := make([]byte, 0, 160)
	for b.Loop() {
		dst = Transcode(dst[:0], ALaw, ULaw, src)
	}
}
