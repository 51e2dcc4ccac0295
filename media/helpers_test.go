package media

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"callroute/media/audio"
	"callroute/media/g711"
	"callroute/media/wav"
)

// newAllocator returns an allocator over a free loopback range, closed with
// the test.
func newAllocator(t testing.TB, ports int) *PortAllocator {
	t.Helper()
	lo, hi := freeRange(t, ports)
	a, err := NewPortAllocator(loopback, lo, hi, WithDrainTime(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func newSession(t testing.TB, a *PortAllocator, opts ...SessionOption) *Session {
	t.Helper()
	opts = append([]SessionOption{WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	s, err := NewSession(a, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// addrOf is where a session receives.
func addrOf(s *Session) netip.AddrPort {
	return netip.AddrPortFrom(loopback, uint16(s.LocalPort()))
}

// connect points two sessions at each other with codecs and starts them.
func connect(x, y *Session, cx, cy Codec) {
	x.Apply(Negotiated{Codec: cx, LocalCodec: cx, Remote: addrOf(y)})
	y.Apply(Negotiated{Codec: cy, LocalCodec: cy, Remote: addrOf(x)})
	x.Start()
	y.Start()
}

// received is a packet with its arrival time.
type received struct {
	p  *rtp.Packet
	at time.Time
}

// collector reads a leg in the background.
type collector struct {
	mu   sync.Mutex
	pkts []received
	done chan struct{}
}

func collect(ctx context.Context, r Receiver) *collector {
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			p, err := r.ReadRTP(ctx)
			if err != nil {
				return
			}
			c.mu.Lock()
			c.pkts = append(c.pkts, received{p, time.Now()})
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) packets() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.pkts...)
}

// audioOf decodes the last ms of audio packets with payload type pt.
func (c *collector) audioOf(codec Codec, ms int) []int16 {
	var pcm []int16
	for _, r := range c.packets() {
		if r.p.PayloadType == codec.PayloadType {
			pcm = g711.Decode(pcm, codec.Law(), r.p.Payload)
		}
	}
	if n := ms * 8; len(pcm) > n {
		pcm = pcm[len(pcm)-n:]
	}
	return pcm
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// heard checks the dominant frequency of what a collector got.
func heard(t testing.TB, c *collector, codec Codec, hz float64) {
	t.Helper()
	pcm := c.audioOf(codec, 500)
	if len(pcm) < 4000 {
		t.Fatalf("only %d samples heard", len(pcm))
	}
	a := audio.Analyze(pcm)
	if d := a.PeakHz - hz; d > 5 || d < -5 || a.RMSDBFS < -40 || a.PeakFraction < 0.5 {
		t.Fatalf("heard %.1f Hz at %.1f dBFS (fraction %.2f), want %v Hz", a.PeakHz, a.RMSDBFS, a.PeakFraction, hz)
	}
}

// playFor plays a tone to a leg for d.
func playFor(t testing.TB, ctx context.Context, to Sender, hz float64, d time.Duration) {
	t.Helper()
	err := Play(ctx, to, audio.Limit(audio.NewTone(hz, -10), int(d/time.Millisecond)))
	if err != nil && ctx.Err() == nil {
		t.Errorf("play: %v", err)
	}
}

// memFile is an in-memory io.WriteSeeker for WAV tests.
type memFile struct {
	b   []byte
	pos int
}

func (m *memFile) Write(p []byte) (int, error) {
	if need := m.pos + len(p); need > len(m.b) {
		m.b = append(m.b, make([]byte, need-len(m.b))...)
	}
	copy(m.b[m.pos:], p)
	m.pos += len(p)
	return len(p), nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += int64(m.pos)
	case io.SeekEnd:
		off += int64(len(m.b))
	}
	m.pos = int(off)
	return off, nil
}

func wavWriter(m *memFile) (*wav.Writer, error) { return wav.NewWriter(m, wav.PCM, 8000) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
