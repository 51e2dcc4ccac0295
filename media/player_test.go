package media

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"callroute/media/audio"
	"callroute/media/prompts"
)

// timedSender records when packets are written.
type timedSender struct {
	mu    sync.Mutex
	codec Codec
	times []time.Time
	pkts  []rtp.Packet
}

func (s *timedSender) Codec() Codec { return s.codec }

func (s *timedSender) WriteRTP(p *rtp.Packet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.times = append(s.times, time.Now())
	cp := *p
	cp.Payload = append([]byte(nil), p.Payload...)
	s.pkts = append(s.pkts, cp)
	return nil
}

func TestPlayPacing(t *testing.T) {
	s := &timedSender{codec: PCMA}
	start := time.Now()
	if err := Play(context.Background(), s, audio.Limit(audio.NewTone(425, -10), 1000)); err != nil {
		t.Fatal(err)
	}
	if len(s.pkts) != 50 {
		t.Fatalf("%d packets for 1 s", len(s.pkts))
	}
	// Absolute deadlines: the packet with timestamp offset n x 160 leaves
	// at start + n x 20 ms: never early, and never far behind (a stalled
	// player skips frames, counting them in the timestamp, to catch up).
	ts0 := s.pkts[0].Timestamp
	for i, p := range s.pkts {
		if len(p.Payload) != 160 || p.PayloadType != 8 {
			t.Fatalf("packet %d: %v", i, p.Header)
		}
		if i > 0 {
			step := p.Timestamp - s.pkts[i-1].Timestamp
			if p.SequenceNumber != s.pkts[i-1].SequenceNumber+1 || step == 0 || step%160 != 0 {
				t.Fatalf("packet %d: %v after %v", i, p.Header, s.pkts[i-1].Header)
			}
		}
		due := start.Add(time.Duration(p.Timestamp-ts0) * time.Second / ClockRate)
		if late := s.times[i].Sub(due); late < -2*time.Millisecond || late > maxLate+30*time.Millisecond {
			t.Fatalf("packet %d sent %v after its deadline", i, late)
		}
	}
	// ctx ends an endless source.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := Play(ctx, &timedSender{codec: PCMU}, audio.Silence()); err != context.DeadlineExceeded {
		t.Fatalf("endless play ended with %v", err)
	}
}

func TestPlayPrompt(t *testing.T) {
	clip, err := prompts.CallerPosition(12)
	if err != nil {
		t.Fatal(err)
	}
	want := (len(clip.PCM()) + audio.FrameSamples - 1) / audio.FrameSamples
	al := newAllocator(t, 8)
	x, y := newSession(t, al), newSession(t, al)
	connect(x, y, PCMU, PCMU)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := collect(ctx, y)
	if err := Play(ctx, x, clip); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Second, "the whole prompt", func() bool { return len(got.packets()) == want })
	b, _ := prompts.WAV(prompts.Goodbye)
	src, err := WAVBytesSource(b)
	if err != nil || len(src.PCM()) < 4000 {
		t.Fatalf("goodbye prompt: %v", err)
	}
}
