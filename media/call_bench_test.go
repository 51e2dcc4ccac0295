package media

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pion/rtp"

	"callroute/media/audio"
)

// firstPacket cancels a Play once it has sent its first packet, as the
// answer of a phone that rings for 0 s does to the ringback.
type firstPacket struct {
	*Session
	cancel context.CancelFunc
}

func (f firstPacket) WriteRTP(p *rtp.Packet) error {
	err := f.Session.WriteRTP(p)
	f.cancel()
	return err
}

// benchCallMedia is what the SIP edge does with media for one call that an
// agent's phone answers at once: the caller's offer is parsed and answered
// on a new session, the caller hears the first packet of the ringback, the
// agent's session offers and takes the phone's answer, both are started and
// closed.
func benchCallMedia(b *testing.B, a *PortAllocator, log *slog.Logger, sink *Session) {
	caps := DefaultCapabilities()
	announce := loopback
	opts := []SessionOption{WithAnnouncedAddr(announce), WithSymmetricRTP(false),
		WithMediaTimeouts(DefaultInitialTimeout, DefaultMediaTimeout), WithLogger(log),
		WithTimeoutFunc(func(error) {})}
	// Caller leg.
	offer, err := ParseSDP(offerDeskPhone)
	if err != nil {
		b.Fatal(err)
	}
	neg, err := NegotiateOffer(offer, caps, SendRecv)
	if err != nil {
		b.Fatal(err)
	}
	neg.Remote = addrOf(sink)
	caller, err := NewSession(a, opts...)
	if err != nil {
		b.Fatal(err)
	}
	caller.Apply(neg)
	local := NewLocalSDP(announce, caller.LocalPort())
	if _, err := BuildAnswer(local, offer, neg, caps.Ptime); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := Play(ctx, firstPacket{caller, cancel}, audio.NewRingback(audio.EuropeanRingback)); err != context.Canceled {
		b.Fatal(err)
	}

	// Agent leg.
	agent, err := NewSession(a, opts...)
	if err != nil {
		b.Fatal(err)
	}
	alocal := NewLocalSDP(announce, agent.LocalPort())
	if _, err := BuildOffer(alocal, caps.Prefer(caller.Codec().Name), SendRecv); err != nil {
		b.Fatal(err)
	}
	ans, err := ParseSDP(answerPhone)
	if err != nil {
		b.Fatal(err)
	}
	aneg, err := NegotiateAnswer(ans, caps, SendRecv)
	if err != nil {
		b.Fatal(err)
	}
	agent.Apply(aneg)
	caller.Start()
	agent.Start()
	agent.Close()
	caller.Close()
}

// answerPhone is a desk phone's answer to our offer.
var answerPhone = crlf(`
v=0
o=- 30030 30030 IN IP4 127.0.0.1
s=SDP data
c=IN IP4 127.0.0.1
t=0 0
m=audio 11900 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
`)

// BenchmarkCallMedia is the media work of one call (two sessions, three
// SDPs parsed or written, one ringback packet) with the logger the server
// uses, over real sockets on loopback.
func BenchmarkCallMedia(b *testing.B) {
	lo, hi := freeRange(b, 2000)
	// Short drains, so that the range is not used up; the work of a drain
	// is the same.
	a, err := NewPortAllocator(loopback, lo, hi, WithDrainTime(5*time.Millisecond),
		WithQuietDrainTime(2*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sink := newSession(b, a) // the caller's phone: the ringback goes here
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		benchCallMedia(b, a, log, sink)
	}
}

// BenchmarkSDPAnswer parses a phone's offer and answers it.
func BenchmarkSDPAnswer(b *testing.B) {
	caps := DefaultCapabilities()
	local := NewLocalSDP(loopback, 20000)
	b.ReportAllocs()
	for range b.N {
		offer, err := ParseSDP(offerDeskPhone)
		if err != nil {
			b.Fatal(err)
		}
		neg, err := NegotiateOffer(offer, caps, SendRecv)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := BuildAnswer(local, offer, neg, caps.Ptime); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSDPOffer writes our offer to a phone and reads its answer.
func BenchmarkSDPOffer(b *testing.B) {
	caps := DefaultCapabilities()
	local := NewLocalSDP(loopback, 20000)
	b.ReportAllocs()
	for range b.N {
		if _, err := BuildOffer(local, caps.Prefer("PCMU"), SendRecv); err != nil {
			b.Fatal(err)
		}
		ans, err := ParseSDP(answerPhone)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NegotiateAnswer(ans, caps, SendRecv); err != nil {
			b.Fatal(err)
		}
	}
}
