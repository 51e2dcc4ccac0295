package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestRewriterContinuity(t *testing.T) {
	r := NewRewriter()
	now := time.Now()
	var out []rtp.Header
	send := func(ssrc uint32, seq uint16, ts uint32, at time.Time) rtp.Header {
		h := rtp.Header{SSRC: ssrc, SequenceNumber: seq, Timestamp: ts}
		r.Rewrite(&h, at)
		out = append(out, h)
		return h
	}
	// Ringback: source 1, ten packets 20 ms apart.
	for i := range 10 {
		send(1, uint16(65530+i), uint32(1000+160*i), now.Add(time.Duration(i)*20*time.Millisecond))
	}
	if !out[0].Marker {
		t.Fatal("first packet without marker")
	}
	for i := 1; i < 10; i++ {
		if out[i].SequenceNumber != out[i-1].SequenceNumber+1 || out[i].Timestamp != out[i-1].Timestamp+160 || out[i].Marker {
			t.Fatalf("packet %d: %+v after %+v", i, out[i], out[i-1])
		}
		if out[i].SSRC != r.SSRC() {
			t.Fatal("SSRC not ours")
		}
	}
	// The bridge takes over 300 ms after the last ringback packet, with
	// numbers of its own.
	last := out[9]
	at := now.Add(9*20*time.Millisecond + 300*time.Millisecond)
	h := send(0xBEEF, 7, 99999, at)
	if h.SequenceNumber != last.SequenceNumber+1 {
		t.Fatalf("seq gap: %d after %d", h.SequenceNumber, last.SequenceNumber)
	}
	if d := h.Timestamp - last.Timestamp; d != 300*8 {
		t.Fatalf("ts advanced %d, want %d (300 ms)", d, 300*8)
	}
	if !h.Marker {
		t.Fatal("no marker on source change")
	}
	// The new source continues normally.
	h2 := send(0xBEEF, 8, 99999+160, at.Add(20*time.Millisecond))
	if h2.SequenceNumber != h.SequenceNumber+1 || h2.Timestamp != h.Timestamp+160 || h2.Marker {
		t.Fatalf("after switch: %+v", h2)
	}
	// A reordered older packet keeps its place and does not move the stream.
	h3 := send(0xBEEF, 7, 99999, at.Add(25*time.Millisecond))
	if h3.SequenceNumber != h.SequenceNumber {
		t.Fatalf("late packet renumbered %d", h3.SequenceNumber)
	}
	// A big jump within one SSRC is a new source too; a quick switch never
	// overlaps the last frame.
	h4 := send(0xBEEF, 5000, 99999+320, at.Add(26*time.Millisecond))
	if h4.SequenceNumber != h2.SequenceNumber+1 || h4.Timestamp-h2.Timestamp != 160 || !h4.Marker {
		t.Fatalf("jump: %+v after %+v", h4, h2)
	}
	// Reset forces a new source with the same SSRC.
	r.Reset()
	h5 := send(0xBEEF, 5001, 99999+480, at.Add(1*time.Second))
	if !h5.Marker || h5.SequenceNumber != h4.SequenceNumber+1 || h5.Timestamp-h4.Timestamp < 7000 {
		t.Fatalf("after reset: %+v", h5)
	}
}
