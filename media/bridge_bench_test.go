package media

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// memLeg is an in-memory leg: ReadRTP yields n copies of a 20 ms packet and
// then io.EOF; WriteRTP does what a Session does short of the socket (rewrite
// and marshal).
type memLeg struct {
	codec   Codec
	payload []byte
	left    int
	seq     uint16
	rw      *Rewriter
	buf     [1500]byte
	written atomic.Int64
}

func (m *memLeg) Codec() Codec { return m.codec }

func (m *memLeg) ReadRTP(ctx context.Context) (*rtp.Packet, error) {
	if m.left <= 0 {
		return nil, io.EOF
	}
	m.left--
	m.seq++
	data := make([]byte, len(m.payload)) // a Session allocates per packet too
	copy(data, m.payload)
	return &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: m.codec.PayloadType, SequenceNumber: m.seq, Timestamp: uint32(m.seq) * 160, SSRC: 7}, Payload: data}, nil
}

func (m *memLeg) WriteRTP(p *rtp.Packet) error {
	h := rtp.Header{Version: 2, Marker: p.Marker, PayloadType: p.PayloadType, SequenceNumber: p.SequenceNumber, Timestamp: p.Timestamp, SSRC: p.SSRC}
	m.rw.Rewrite(&h, time.Now())
	n, err := h.MarshalTo(m.buf[:])
	if err != nil {
		return err
	}
	copy(m.buf[n:], p.Payload)
	m.written.Add(1)
	return nil
}

func benchBridgeMem(b *testing.B, from, to Codec) {
	src := &memLeg{codec: from, payload: make([]byte, 160), left: b.N, rw: NewRewriter()}
	dst := &memLeg{codec: to, rw: NewRewriter()}
	b.ReportAllocs()
	b.ResetTimer()
	br := NewBridge(context.Background(), src, dst)
	<-br.Done()
	b.StopTimer()
	if got := dst.written.Load(); got != int64(b.N) {
		b.Fatalf("forwarded %d of %d", got, b.N)
	}
	var le *LegError
	if !errors.As(br.Err(), &le) {
		b.Fatal(br.Err())
	}
}

// BenchmarkBridgePacket is the bridge's own cost per 20 ms packet, same law.
func BenchmarkBridgePacket(b *testing.B) { benchBridgeMem(b, PCMU, PCMU) }

// BenchmarkBridgePacketTranscode adds PCMA -> PCMU conversion.
func BenchmarkBridgePacketTranscode(b *testing.B) { benchBridgeMem(b, PCMA, PCMU) }

// BenchmarkBridgeLoopback is the whole path per packet over loopback UDP:
// caller socket -> A (read, parse) -> bridge -> B (rewrite, send) -> agent
// socket (read, parse), with up to 8 packets in flight. cpu-ns/pkt is the
// process CPU time (user + system, all goroutines and the kernel's UDP work)
// per bridged packet: the figure that sizes a node.
func BenchmarkBridgeLoopback(b *testing.B) {
	al := newAllocator(b, 16)
	caller, a, bs, agent := newSession(b, al), newSession(b, al), newSession(b, al), newSession(b, al)
	connect(caller, a, PCMU, PCMU)
	connect(bs, agent, PCMU, PCMU)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	br := NewBridge(ctx, a, bs)
	defer br.Stop()
	progress := make(chan struct{}, 1024)
	go func() {
		for {
			if _, err := agent.ReadRTP(ctx); err != nil {
				return
			}
			progress <- struct{}{}
		}
	}()
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 1}, Payload: make([]byte, 160)}
	const window = 8
	lost := 0
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	inFlight := 0
	for sent := 0; sent < b.N; {
		for sent < b.N && inFlight < window {
			p.SequenceNumber++
			p.Timestamp += 160
			caller.WriteRTP(p)
			sent++
			inFlight++
		}
		select {
		case <-progress:
			inFlight--
		case <-time.After(20 * time.Millisecond):
			lost += inFlight // dropped on the way: go on
			inFlight = 0
		}
	}
	for inFlight > 0 {
		select {
		case <-progress:
			inFlight--
		case <-time.After(20 * time.Millisecond):
			lost += inFlight
			inFlight = 0
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/pkt")
	b.ReportMetric(float64(lost)/float64(b.N), "lost/op")
}
