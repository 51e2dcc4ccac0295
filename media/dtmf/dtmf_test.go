package dtmf

import (
	"bytes"
	"testing"
)

func TestParseAppend(t *testing.T) {
	ev := Event{Code: 11, End: true, Volume: 10, Duration: 1600}
	b := ev.AppendTo(nil)
	if !bytes.Equal(b, []byte{11, 0x8A, 0x06, 0x40}) {
		t.Fatalf("payload %x", b)
	}
	got, err := Parse(b)
	if err != nil || got != ev {
		t.Fatalf("parse %+v %v", got, err)
	}
	if _, err := Parse([]byte{1, 2, 3}); err == nil {
		t.Fatal("short payload accepted")
	}
}

func TestDigitCode(t *testing.T) {
	for _, r := range "0123456789*#ABCD" {
		c, ok := Code(r)
		if !ok {
			t.Fatalf("no code for %q", r)
		}
		if d, _ := Digit(c); d != r {
			t.Fatalf("%q -> %d -> %q", r, c, d)
		}
	}
	if c, ok := Code('a'); !ok || c != 12 {
		t.Fatal("lower case")
	}
	if _, ok := Code('x'); ok {
		t.Fatal("x is no key")
	}
	if _, ok := Digit(17); ok {
		t.Fatal("17 is no key")
	}
}

// press feeds one event as a sender does: updates, then the end packet 3 times.
func press(d *Detector, ts uint32, code uint8) []rune {
	var got []rune
	for i, end := range []bool{false, false, false, true, true, true} {
		p := Event{Code: code, End: end, Volume: 10, Duration: uint16(400 * (i + 1))}.AppendTo(nil)
		if r, ok := d.Feed(ts, p); ok {
			got = append(got, r)
		}
	}
	return got
}

func TestDetectorDeduplicates(t *testing.T) {
	var d Detector
	if got := press(&d, 1000, 5); string(got) != "5" {
		t.Fatalf("first press: %q", string(got))
	}
	// The same digit again is a new event with a new timestamp.
	if got := press(&d, 3000, 5); string(got) != "5" {
		t.Fatalf("second press: %q", string(got))
	}
	// A late duplicate end packet of the first press is not a press.
	if _, ok := d.Feed(1000, Event{Code: 5, End: true}.AppendTo(nil)); ok {
		t.Fatal("duplicate end reported")
	}
	// Two events with one timestamp are told apart by code.
	if got := press(&d, 3000, 11); string(got) != "#" {
		t.Fatalf("same ts, other code: %q", string(got))
	}
}

func TestDetectorLostEnd(t *testing.T) {
	var d Detector
	d.Feed(100, Event{Code: 1}.AppendTo(nil))
	d.Feed(100, Event{Code: 1, Duration: 400}.AppendTo(nil))
	// The end packets of '1' are lost; '2' starts.
	r, ok := d.Feed(2000, Event{Code: 2}.AppendTo(nil))
	if !ok || r != '1' {
		t.Fatalf("lost end not reported: %q %v", r, ok)
	}
	r, ok = d.Feed(2000, Event{Code: 2, End: true}.AppendTo(nil))
	if !ok || r != '2' {
		t.Fatalf("second digit: %q %v", r, ok)
	}
}

func TestDetectorIgnoresGarbage(t *testing.T) {
	var d Detector
	for _, p := range [][]byte{nil, {1}, {200, 0x80, 0, 0}} {
		if _, ok := d.Feed(1, p); ok {
			t.Fatalf("reported %x", p)
		}
	}
}
