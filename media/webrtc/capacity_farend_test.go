//go:build linux

package webrtc

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"callroute/media"
	"callroute/media/audio"
	"callroute/media/g711"
)

// TestCapacityFarEnd is the far end of TestCapacityBrowserLegs, run in its
// own process: one pion browser and one RTP phone per leg.
func TestCapacityFarEnd(t *testing.T) {
	if os.Getenv(envFarEnd) == "" {
		t.Skip("the far end of TestCapacityBrowserLegs, started by it")
	}
	out := os.NewFile(3, "node")
	if out == nil {
		t.Fatal("no file descriptor 3")
	}
	fe := &farEndProcess{enc: json.NewEncoder(out)}
	ports, err := media.NewPortAllocator(loopback, benchPhonePorts, benchPhonePorts+benchPortSpan, media.WithDrainTime(0))
	if err != nil {
		t.Fatal(err)
	}
	fe.ports = ports
	defer fe.shutdown()
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var handlers sync.WaitGroup
	for sc.Scan() {
		var m benchMsg
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("far end: %v", err)
		}
		switch m.Op {
		case "leg":
			handlers.Go(func() { fe.reply(fe.answer(m)) })
		case "start":
			handlers.Wait()
			fe.reply(fe.start())
		case "measure":
			fe.cpu0 = processCPU()
			fe.measuring.Store(true)
			fe.reply(benchMsg{Op: m.Op})
		case "stop":
			fe.reply(fe.stop())
		}
	}
	handlers.Wait()
}

// farLeg is one call's far end.
type farLeg struct {
	b     *browser
	phone *media.Session

	toBrowser, toPhone stream
	micSent, phoneSent atomic.Int64
	maxLate            atomic.Int64 // how late the sender woke, at worst (ns)
}

// stream times the arrivals of one direction.
type stream struct {
	mu       sync.Mutex
	received int
	last     time.Time
	maxGap   time.Duration
	over     int
}

func (s *stream) arrived(now time.Time, measuring bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received++
	if measuring && !s.last.IsZero() {
		gap := now.Sub(s.last)
		s.maxGap = max(s.maxGap, gap)
		if gap > benchMaxGap {
			s.over++
		}
	}
	s.last = now
}

type farEndProcess struct {
	encMu sync.Mutex
	enc   *json.Encoder
	ports *media.PortAllocator

	mu   sync.Mutex
	legs []*farLeg

	measuring atomic.Bool
	cpu0      time.Duration
	cancel    context.CancelFunc
	senders   sync.WaitGroup
}

func (fe *farEndProcess) reply(m benchMsg) {
	fe.encMu.Lock()
	defer fe.encMu.Unlock()
	_ = fe.enc.Encode(m)
}

// answer makes the browser and the phone of one leg.
func (fe *farEndProcess) answer(m benchMsg) benchMsg {
	r := benchMsg{Op: "leg", I: m.I}
	fl := &farLeg{}
	var err error
	fl.b, err = makeBrowser(func(*rtp.Packet) { fl.toBrowser.arrived(time.Now(), fe.measuring.Load()) })
	if err != nil {
		r.Err = err.Error()
		return r
	}
	fe.mu.Lock()
	fe.legs = append(fe.legs, fl)
	fe.mu.Unlock()
	if r.SDP, err = fl.b.answerSDP(m.SDP); err != nil {
		r.Err = err.Error()
		return r
	}
	node, err := netip.ParseAddrPort(m.Addr)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	if fl.phone, err = media.NewSession(fe.ports, media.WithLogger(quiet()), media.WithMediaTimeouts(0, 0)); err != nil {
		r.Err = err.Error()
		return r
	}
	fl.phone.Apply(media.Negotiated{Codec: media.PCMU, LocalCodec: media.PCMU, Remote: node})
	fl.phone.Start()
	go func() {
		for {
			if _, err := fl.phone.ReadRTP(context.Background()); err != nil {
				return
			}
			fl.toPhone.arrived(time.Now(), fe.measuring.Load())
		}
	}()
	r.Addr = netip.AddrPortFrom(loopback, uint16(fl.phone.LocalPort())).String()
	return r
}

// start waits for every browser to be connected, then starts one sender per
// leg, spread evenly over the 20 ms period, each paced on absolute
// deadlines.
func (fe *farEndProcess) start() benchMsg {
	fe.mu.Lock()
	legs := append([]*farLeg(nil), fe.legs...)
	fe.mu.Unlock()
	for i, fl := range legs {
		select {
		case <-fl.b.connected:
		case <-time.After(15 * time.Second):
			return benchMsg{Op: "start", Err: fmt.Sprintf("browser %d not connected", i)}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	fe.cancel = cancel
	payload := g711.Encode(nil, g711.ULaw, audio.Render(audio.NewTone(1000, -10), audio.FrameMillis))
	base := time.Now().Add(50 * time.Millisecond)
	const period = audio.FrameMillis * time.Millisecond
	for i, fl := range legs {
		fe.senders.Go(func() {
			start := base.Add(time.Duration(i) * period / time.Duration(len(legs)))
			mic := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SSRC: 1}, Payload: payload}
			ph := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SSRC: 2}, Payload: payload}
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			for k := 0; ; k++ {
				timer.Reset(time.Until(start.Add(time.Duration(k) * period)))
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
				if late := int64(time.Since(start.Add(time.Duration(k) * period))); late > fl.maxLate.Load() && fe.measuring.Load() {
					fl.maxLate.Store(late)
				}
				if fl.b.mic.WriteRTP(mic) == nil {
					fl.micSent.Add(1)
				}
				if fl.phone.WriteRTP(ph) == nil {
					fl.phoneSent.Add(1)
				}
				mic.Marker, ph.Marker = false, false
				mic.SequenceNumber++
				ph.SequenceNumber++
				mic.Timestamp += audio.FrameSamples
				ph.Timestamp += audio.FrameSamples
			}
		})
	}
	return benchMsg{Op: "start"}
}

// stop ends the hold: it stops the senders, lets what is in flight arrive
// and sums up.
func (fe *farEndProcess) stop() benchMsg {
	fe.measuring.Store(false)
	res := &farResult{CPUSeconds: (processCPU() - fe.cpu0).Seconds()}
	if fe.cancel != nil {
		fe.cancel()
	}
	fe.senders.Wait()
	time.Sleep(500 * time.Millisecond)
	fe.mu.Lock()
	defer fe.mu.Unlock()
	sum := func(d *direction, s *stream, sent int64) {
		s.mu.Lock()
		defer s.mu.Unlock()
		d.Sent += int(sent)
		d.Received += s.received
		d.MaxGapMs = max(d.MaxGapMs, float64(s.maxGap.Microseconds())/1000)
		d.Over60 += s.over
		if s.over > 0 {
			d.StreamsOver60++
		}
	}
	for _, fl := range fe.legs {
		res.SenderLateMs = max(res.SenderLateMs, float64(fl.maxLate.Load())/1e6)
		sum(&res.ToBrowser, &fl.toBrowser, fl.phoneSent.Load())
		sum(&res.ToPhone, &fl.toPhone, fl.micSent.Load())
	}
	return benchMsg{Op: "stop", Result: res}
}

func (fe *farEndProcess) shutdown() {
	if fe.cancel != nil {
		fe.cancel()
	}
	fe.senders.Wait()
	fe.mu.Lock()
	defer fe.mu.Unlock()
	for _, fl := range fe.legs {
		fl.b.close()
		if fl.phone != nil {
			fl.phone.Close()
		}
	}
	fe.ports.Close()
}
