package media

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"callroute/media/audio"
	"callroute/media/dtmf"
)

// callSetup is a bridged call on loopback: caller <-> a ==bridge== b <-> agent,
// four sessions, the two in the middle being ours.
type callSetup struct {
	caller, a, b, agent *Session
}

func newCall(t *testing.T, callerCodec, agentCodec Codec) *callSetup {
	al := newAllocator(t, 16)
	c := &callSetup{caller: newSession(t, al), a: newSession(t, al), b: newSession(t, al), agent: newSession(t, al)}
	connect(c.caller, c.a, callerCodec, callerCodec)
	connect(c.b, c.agent, agentCodec, agentCodec)
	return c
}

func TestBridgeCarriesToneEachWay(t *testing.T) {
	for _, tc := range []struct {
		name          string
		caller, agent Codec
	}{
		{"PCMU both", PCMU, PCMU},
		{"PCMA to PCMU", PCMA, PCMU},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCall(t, tc.caller, tc.agent)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			br := NewBridge(ctx, c.a, c.b)
			atAgent, atCaller := collect(ctx, c.agent), collect(ctx, c.caller)
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); playFor(t, ctx, c.caller, 1000, 700*time.Millisecond) }()
			go func() { defer wg.Done(); playFor(t, ctx, c.agent, 440, 700*time.Millisecond) }()
			wg.Wait()
			waitFor(t, 2*time.Second, "audio both ways", func() bool {
				return len(atAgent.packets()) >= 30 && len(atCaller.packets()) >= 30
			})
			heard(t, atAgent, tc.agent, 1000)
			heard(t, atCaller, tc.caller, 440)
			for _, r := range atAgent.packets() {
				if r.p.PayloadType != tc.agent.PayloadType {
					t.Fatalf("agent got PT %d", r.p.PayloadType)
				}
			}
			br.Stop()
			if err := br.Err(); !errors.Is(err, context.Canceled) {
				t.Fatalf("stop reason %v", err)
			}
		})
	}
}

func TestBridgeSourceSwitchContinuity(t *testing.T) {
	c := newCall(t, PCMU, PCMU)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	atCaller := collect(ctx, c.caller)
	// Ringback to the caller while the agent rings.
	ringCtx, stopRing := context.WithTimeout(ctx, 300*time.Millisecond)
	Play(ringCtx, c.a, audio.NewRingback(audio.EuropeanRingback))
	stopRing()
	time.Sleep(100 * time.Millisecond) // the agent answers a little later
	br := NewBridge(ctx, c.a, c.b)
	defer br.Stop()
	playFor(t, ctx, c.agent, 440, 300*time.Millisecond)
	waitFor(t, 2*time.Second, "bridged audio", func() bool { return len(atCaller.packets()) >= 25 })

	pkts := atCaller.packets()
	switches := 0
	for i := 1; i < len(pkts); i++ {
		p, q := pkts[i-1], pkts[i]
		if q.p.SSRC != p.p.SSRC {
			t.Fatalf("SSRC changed %x -> %x", p.p.SSRC, q.p.SSRC)
		}
		if q.p.SequenceNumber != p.p.SequenceNumber+1 {
			t.Fatalf("sequence gap at %d: %d -> %d", i, p.p.SequenceNumber, q.p.SequenceNumber)
		}
		dts := int64(q.p.Timestamp - p.p.Timestamp)
		if !q.p.Marker {
			if dts == 0 || dts%160 != 0 { // 160, or more when a stalled player skipped frames
				t.Fatalf("ts step %d within a source at %d", dts, i)
			}
			continue
		}
		switches++
		// The timestamp advances with the wall time between the packets:
		// at least the 100 ms pause (as the sender measured it), and
		// close to the gap the receiver saw (delivery jitter allowed).
		wall := q.at.Sub(p.at).Milliseconds() * 8
		if dts < 8*100 || dts < wall-8*80 || dts > wall+8*80 {
			t.Fatalf("ts advanced %d over %d samples of wall time", dts, wall)
		}
	}
	if switches != 1 {
		t.Fatalf("%d source switches, want 1", switches)
	}
}

func TestBridgeDTMF(t *testing.T) {
	callerCodec := Codec{"PCMA", 8, 101}
	agentCodec := Codec{"PCMU", 0, 96}
	c := newCall(t, callerCodec, agentCodec)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	var keys []rune
	br := NewBridge(ctx, c.a, c.b, WithDTMF(func(from Side, key rune) {
		if from != SideA {
			t.Errorf("key from %v", from)
		}
		mu.Lock()
		keys = append(keys, key)
		mu.Unlock()
	}))
	defer br.Stop()
	atAgent := collect(ctx, c.agent)
	for _, k := range "55#" {
		if err := SendDTMF(ctx, c.caller, k, 60*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	// Comfort noise and an empty packet are dropped, not forwarded.
	c.caller.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: PayloadCN, SSRC: 9}, Payload: []byte{40}})
	c.caller.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SSRC: 9}})
	waitFor(t, 2*time.Second, "three keys", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(keys) == 3
	})
	waitFor(t, time.Second, "CN discarded", func() bool { _, d := br.Packets(SideA); return d >= 1 })
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	if string(keys) != "55#" {
		t.Fatalf("bridge reported %q", string(keys))
	}
	mu.Unlock()
	// The agent gets the events with its own payload type and decodes the
	// same keys from them.
	var det dtmf.Detector
	var atAgentKeys []rune
	for _, r := range atAgent.packets() {
		if r.p.PayloadType != 96 {
			t.Fatalf("agent got PT %d", r.p.PayloadType)
		}
		if k, ok := det.Feed(r.p.Timestamp, r.p.Payload); ok {
			atAgentKeys = append(atAgentKeys, k)
		}
	}
	if string(atAgentKeys) != "55#" {
		t.Fatalf("agent decoded %q", string(atAgentKeys))
	}
	if err := SendDTMF(ctx, c.caller, 'x', 0); err == nil {
		t.Fatal("x sent as DTMF")
	}
}

func TestBridgeEndsWithLeg(t *testing.T) {
	c := newCall(t, PCMU, PCMU)
	br := NewBridge(context.Background(), c.a, c.b)
	c.b.Close()
	select {
	case <-br.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("bridge did not stop when a leg closed")
	}
	var le *LegError
	if err := br.Err(); !errors.As(err, &le) || le.Side != SideB || !errors.Is(err, ErrClosed) {
		t.Fatalf("reason %v", err)
	}
}

func TestRecordAndPlayWAV(t *testing.T) {
	al := newAllocator(t, 8)
	x, y := newSession(t, al), newSession(t, al)
	connect(x, y, PCMA, PCMA)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var buf memFile
	w, err := wavWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Recording, 1)
	go func() {
		rec, err := Record(ctx, y, w, RecordOptions{MaxDuration: 5 * time.Second, StopKeys: "#"})
		if err != nil {
			t.Error(err)
		}
		done <- rec
	}()
	playFor(t, ctx, x, 700, 600*time.Millisecond)
	SendDTMF(ctx, x, '#', 0)
	rec := <-done
	if rec.Reason != "key" || rec.Key != '#' || rec.Duration < 500*time.Millisecond || rec.Duration > 900*time.Millisecond {
		t.Fatalf("recording %+v", rec)
	}
	w.Close()
	clip, err := WAVBytesSource(buf.b)
	if err != nil {
		t.Fatal(err)
	}
	if a := audio.Analyze(clip.PCM()[:4000]); a.PeakHz < 695 || a.PeakHz > 705 {
		t.Fatalf("recorded %.1f Hz", a.PeakHz)
	}
	// The recording plays back to a leg.
	got := collect(ctx, x)
	if err := PlayWAV(ctx, y, bytesReader(buf.b)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "playback", func() bool { return len(got.packets()) >= 25 })
	heard(t, got, PCMA, 700)

	// The maximum duration ends a recording.
	w2, _ := wavWriter(&memFile{})
	go playFor(t, ctx, x, 700, 600*time.Millisecond)
	rec, _ = Record(ctx, y, w2, RecordOptions{MaxDuration: 200 * time.Millisecond})
	if rec.Reason != "max" || rec.Duration != 200*time.Millisecond {
		t.Fatalf("max recording %+v", rec)
	}
}
