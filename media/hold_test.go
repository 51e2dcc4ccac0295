package media

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"callroute/media/audio"
	"callroute/media/g711"
)

// pipeLeg is an in-memory leg: what the test puts in, ReadRTP returns;
// what is written is kept.
type pipeLeg struct {
	in     chan *rtp.Packet
	closed chan struct{}
	mu     sync.Mutex
	wrote  []*rtp.Packet
}

func newPipeLeg() *pipeLeg {
	return &pipeLeg{in: make(chan *rtp.Packet, 100), closed: make(chan struct{})}
}

func (l *pipeLeg) Codec() Codec { return PCMU }
func (l *pipeLeg) WriteRTP(p *rtp.Packet) error {
	l.mu.Lock()
	l.wrote = append(l.wrote, p)
	l.mu.Unlock()
	return nil
}
func (l *pipeLeg) ReadRTP(ctx context.Context) (*rtp.Packet, error) {
	select {
	case p := <-l.in:
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.closed:
		return nil, ErrClosed
	}
}
func (l *pipeLeg) written() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.wrote)
}

func agentPacket(seq uint16) *rtp.Packet {
	pcm := make([]int16, audio.FrameSamples)
	audio.NewTone(440, -10).Frame(pcm)
	return &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: PayloadPCMU, SequenceNumber: seq, SSRC: 7},
		Payload: g711.Encode(nil, g711.ULaw, pcm)}
}

// TestHoldLegPlaysMusicWhileHeld: on hold the other side reads paced hold
// music (one stream: consecutive numbers, the leg's payload type) and the
// held side gets nothing; the agent's audio sent during the hold is never
// delivered, after the resume their new audio is.
func TestHoldLegPlaysMusicWhileHeld(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inner := newPipeLeg()
	h := NewHoldLeg(ctx, inner)

	inner.in <- agentPacket(1)
	if p, err := h.ReadRTP(ctx); err != nil || p.SequenceNumber != 1 {
		t.Fatalf("before the hold read %v, %v; want the agent's packet", p, err)
	}

	h.SetHold(true)
	for i := range 5 {
		inner.in <- agentPacket(uint16(100 + i)) // the agent's mic, during the hold
	}
	start := time.Now()
	var music []int16
	var last *rtp.Packet
	for i := range 25 {
		p, err := h.ReadRTP(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.SSRC == 7 {
			t.Fatalf("packet %d on hold is the agent's audio", i)
		}
		if p.PayloadType != PayloadPCMU || len(p.Payload) != audio.FrameSamples {
			t.Fatalf("music packet %+v", p.Header)
		}
		if last != nil && (p.SequenceNumber != last.SequenceNumber+1 || p.Timestamp != last.Timestamp+audio.FrameSamples || p.SSRC != last.SSRC) {
			t.Fatalf("music is not one stream: %v after %v", p.Header, last.Header)
		}
		last = p
		music = append(music, g711.Decode(nil, g711.ULaw, p.Payload)...)
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("25 music packets in %v: not paced at 20 ms", took)
	}
	if a := audio.Analyze(music); a.RMSDBFS < -40 {
		t.Errorf("hold music at %.1f dBFS: not audible", a.RMSDBFS)
	}
	if err := h.WriteRTP(agentPacket(9)); err != nil || inner.written() != 0 {
		t.Fatalf("a write on hold reached the held side (%d, %v)", inner.written(), err)
	}

	h.SetHold(false)
	inner.in <- agentPacket(200)
	p, err := h.ReadRTP(ctx)
	if err != nil || p.SequenceNumber != 200 {
		t.Fatalf("after the resume read %v, %v; want the agent's new packet", p.Header, err)
	}
	if err := h.WriteRTP(agentPacket(10)); err != nil || inner.written() != 1 {
		t.Fatalf("a write after the resume: %d written, %v", inner.written(), err)
	}

	close(inner.closed)
	if _, err := h.ReadRTP(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("after the leg closed: %v, want ErrClosed", err)
	}
}
