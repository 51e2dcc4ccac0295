package media

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func crlf(s string) []byte {
	s = strings.TrimLeft(s, "\n")
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

// Offers modelled on what real phones and trunks send.
var (
	// A European trunk: PCMA only, no telephone-event.
	offerPCMAOnly = crlf(`
v=0
o=- 1234 1234 IN IP4 203.0.113.10
s=SBC
c=IN IP4 203.0.113.10
t=0 0
m=audio 30000 RTP/AVP 8
a=rtpmap:8 PCMA/8000
a=ptime:20
`)
	// A Yealink/Polycom-style desk phone: several codecs, 101 for DTMF.
	offerDeskPhone = crlf(`
v=0
o=- 20028 20028 IN IP4 192.168.1.50
s=SDP data
c=IN IP4 192.168.1.50
t=0 0
m=audio 11800 RTP/AVP 9 0 8 18 101
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
`)
	// A trunk using telephone-event 96, PCMA preferred, c= only at
	// session level, static PTs without rtpmap.
	offerTE96 = crlf(`
v=0
o=carrier 99 1 IN IP4 198.51.100.7
s=-
c=IN IP4 198.51.100.7
t=0 0
m=audio 40002 RTP/AVP 8 0 96
a=rtpmap:96 telephone-event/8000
a=fmtp:96 0-16
`)
	offerIPv6 = crlf(`
v=0
o=- 1 1 IN IP6 2001:db8::1
s=-
t=0 0
m=audio 5004 RTP/AVP 0 101
c=IN IP6 2001:db8::1
a=rtpmap:101 telephone-event/8000
a=sendrecv
`)
	offerHold = crlf(`
v=0
o=- 20028 20029 IN IP4 192.168.1.50
s=-
c=IN IP4 192.168.1.50
t=0 0
m=audio 11800 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=sendonly
`)
	offerHoldZero = crlf(`
v=0
o=- 1 2 IN IP4 192.168.1.50
s=-
c=IN IP4 0.0.0.0
t=0 0
m=audio 11800 RTP/AVP 0
`)
	offerOpusOnly = crlf(`
v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=audio 5000 RTP/AVP 111 18
a=rtpmap:111 opus/48000/2
a=rtpmap:18 G729/8000
`)
	offerVideoFirst = crlf(`
v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=video 6000 RTP/AVP 31
m=audio 0 RTP/AVP 0
m=audio 5000 RTP/AVP 0 8
`)
	offerSRTP = crlf(`
v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=audio 5000 RTP/SAVP 0
`)
)

func TestNegotiateOffer(t *testing.T) {
	caps := DefaultCapabilities()
	tests := []struct {
		name     string
		body     []byte
		codec    Codec
		remote   string
		remDir   Direction
		dir      Direction
		hold     bool
		ptime    int
		wantErr  error
		mediaIdx int
	}{
		{name: "PCMA only", body: offerPCMAOnly, codec: Codec{"PCMA", 8, 0}, remote: "203.0.113.10:30000", ptime: 20},
		{name: "desk phone", body: offerDeskPhone, codec: Codec{"PCMU", 0, 101}, remote: "192.168.1.50:11800", ptime: 20},
		{name: "te 96, session c=", body: offerTE96, codec: Codec{"PCMA", 8, 96}, remote: "198.51.100.7:40002"},
		{name: "IPv6", body: offerIPv6, codec: Codec{"PCMU", 0, 101}, remote: "[2001:db8::1]:5004"},
		{name: "hold sendonly", body: offerHold, codec: Codec{"PCMU", 0, 101}, remote: "192.168.1.50:11800", remDir: SendOnly, dir: RecvOnly, hold: true},
		{name: "hold c=0.0.0.0", body: offerHoldZero, codec: Codec{"PCMU", 0, 0}, remote: "invalid AddrPort", remDir: Inactive, dir: Inactive, hold: true},
		{name: "second audio stream", body: offerVideoFirst, codec: Codec{"PCMU", 0, 0}, remote: "192.0.2.1:5000", mediaIdx: 2},
		{name: "no common codec", body: offerOpusOnly, wantErr: ErrNoCommonCodec},
		{name: "SRTP only", body: offerSRTP, wantErr: ErrNoCommonCodec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer, err := ParseSDP(tt.body)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			n, err := NegotiateOffer(offer, caps, SendRecv)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.Codec != tt.codec || n.LocalCodec != tt.codec {
				t.Errorf("codec %v / %v, want %v", n.Codec, n.LocalCodec, tt.codec)
			}
			if n.Remote.String() != tt.remote {
				t.Errorf("remote %v, want %v", n.Remote, tt.remote)
			}
			if n.RemoteDirection != tt.remDir || n.Direction != tt.dir {
				t.Errorf("directions %v/%v, want %v/%v", n.RemoteDirection, n.Direction, tt.remDir, tt.dir)
			}
			if n.OnHold() != tt.hold {
				t.Errorf("hold %v", n.OnHold())
			}
			if n.Ptime != tt.ptime || n.MediaIndex != tt.mediaIdx {
				t.Errorf("ptime %d index %d", n.Ptime, n.MediaIndex)
			}
			// Our answer parses and says what we negotiated.
			local := NewLocalSDP(netip.MustParseAddr("198.51.100.99"), 20002)
			body, err := BuildAnswer(local, offer, n, 20)
			if err != nil {
				t.Fatal(err)
			}
			ans, err := ParseSDP(body)
			if err != nil {
				t.Fatalf("our answer does not parse: %v\n%s", err, body)
			}
			if len(ans.Media) != len(offer.Media) {
				t.Fatalf("answer has %d m= lines, offer %d", len(ans.Media), len(offer.Media))
			}
			for i, m := range ans.Media {
				if i != n.MediaIndex && m.Port != 0 {
					t.Errorf("stream %d not rejected", i)
				}
			}
			back, err := NegotiateAnswer(ans, caps, SendRecv)
			if err != nil {
				t.Fatalf("answer: %v\n%s", err, body)
			}
			if back.Codec != tt.codec || back.Remote.String() != "198.51.100.99:20002" || back.RemoteDirection != tt.dir {
				t.Errorf("answer reads back as %+v\n%s", back, body)
			}
		})
	}
}

func TestPreferOffererOrder(t *testing.T) {
	offer, _ := ParseSDP(offerTE96) // 8 0 96
	caps := DefaultCapabilities()   // PCMU first
	n, _ := NegotiateOffer(offer, caps, SendRecv)
	if n.Codec.Name != "PCMA" {
		t.Fatalf("chose %v, the offerer prefers PCMA", n.Codec)
	}
	caps.Codecs = []string{"PCMU"}
	if n, _ := NegotiateOffer(offer, caps, SendRecv); n.Codec.Name != "PCMU" {
		t.Fatalf("PCMU-only capabilities chose %v", n.Codec)
	}
	caps.TelephoneEvent = 0
	if n, _ := NegotiateOffer(offer, caps, SendRecv); n.Codec.TelephoneEvent != 0 {
		t.Fatal("telephone-event taken though not supported")
	}
}

func TestBuildOffer(t *testing.T) {
	local := NewLocalSDP(netip.MustParseAddr("203.0.113.5"), 20000)
	body, err := BuildOffer(local, DefaultCapabilities().Prefer("PCMA"), SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	s := string(body)
	for _, want := range []string{
		"c=IN IP4 203.0.113.5\r\n", "m=audio 20000 RTP/AVP 8 0 101\r\n", "a=rtpmap:8 PCMA/8000\r\n",
		"a=rtpmap:101 telephone-event/8000\r\n", "a=fmtp:101 0-16\r\n", "a=ptime:20\r\n", "a=sendrecv\r\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("offer lacks %q:\n%s", want, s)
		}
	}
	// A phone answers with 0 and te 96; we send with its numbers.
	answer := crlf(`
v=0
o=- 5 5 IN IP4 192.168.1.60
s=-
c=IN IP4 192.168.1.60
t=0 0
m=audio 7078 RTP/AVP 0 96
a=rtpmap:96 telephone-event/8000
a=recvonly
`)
	a, _ := ParseSDP(answer)
	n, err := NegotiateAnswer(a, DefaultCapabilities(), SendOnly)
	if err != nil {
		t.Fatal(err)
	}
	if n.Codec != (Codec{"PCMU", 0, 96}) || n.LocalCodec != (Codec{"PCMU", 0, 101}) {
		t.Fatalf("codec %v local %v", n.Codec, n.LocalCodec)
	}
	if n.Direction != SendOnly || !n.OnHold() {
		t.Fatalf("direction %v hold %v", n.Direction, n.OnHold())
	}
	v6 := NewLocalSDP(netip.MustParseAddr("2001:db8::5"), 20000)
	body, _ = BuildOffer(v6, DefaultCapabilities(), SendOnly)
	if !strings.Contains(string(body), "c=IN IP6 2001:db8::5\r\n") || !strings.Contains(string(body), "a=sendonly") {
		t.Fatalf("IPv6 hold offer:\n%s", body)
	}
	// The version goes up with Bump only.
	before := local.Version
	local.Bump()
	if local.Version != before+1 {
		t.Fatal("Bump")
	}
}

func TestAnswerRejected(t *testing.T) {
	rejected := crlf(`
v=0
o=- 5 5 IN IP4 192.168.1.60
s=-
c=IN IP4 192.168.1.60
t=0 0
m=audio 0 RTP/AVP 0
`)
	a, err := ParseSDP(rejected)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NegotiateAnswer(a, DefaultCapabilities(), SendRecv); !errors.Is(err, ErrNoCommonCodec) {
		t.Fatalf("rejected stream: %v", err)
	}
}

func TestAnswerDirection(t *testing.T) {
	cases := []struct{ offer, want, got Direction }{
		{SendRecv, SendRecv, SendRecv},
		{SendOnly, SendRecv, RecvOnly},
		{RecvOnly, SendRecv, SendOnly},
		{Inactive, SendRecv, Inactive},
		{SendRecv, SendOnly, SendOnly},
		{SendOnly, SendOnly, Inactive},
	}
	for _, c := range cases {
		if got := answerDirection(c.offer, c.want); got != c.got {
			t.Errorf("offer %v want %v: %v, RFC 3264 says %v", c.offer, c.want, got, c.got)
		}
	}
}

func TestParseSDPGarbage(t *testing.T) {
	bad := map[string]string{
		"empty":        "",
		"text":         "hello world",
		"json":         `{"sdp": true}`,
		"no media":     "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n",
		"hostname c=":  "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 pbx.example.com\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
		"v6 as IP4":    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 2001:db8::1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
		"multicast":    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 224.2.1.1/127\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
		"bad pt":       "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/AVP 300\r\n",
		"word pt":      "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/AVP PCMU\r\n",
		"bad rtpmap":   "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
		"port too big": "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n",
		"huge":         "v=0\r\n" + strings.Repeat("a=x\r\n", 5000),
	}
	for name, body := range bad {
		if _, err := ParseSDP([]byte(body)); !errors.Is(err, ErrBadSDP) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// A stream without any c= parses but does not negotiate.
	noC := "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"
	d, err := ParseSDP([]byte(noC))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NegotiateOffer(d, DefaultCapabilities(), SendRecv); !errors.Is(err, ErrBadSDP) {
		t.Errorf("no c=: %v", err)
	}
}

func FuzzParseSDP(f *testing.F) {
	for _, b := range [][]byte{offerPCMAOnly, offerDeskPhone, offerTE96, offerIPv6, offerHold, offerHoldZero, offerVideoFirst} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseSDP(body)
		if err != nil {
			return
		}
		n, err := NegotiateOffer(d, DefaultCapabilities(), SendRecv)
		if err != nil {
			return
		}
		local := NewLocalSDP(netip.MustParseAddr("192.0.2.1"), 20000)
		ans, err := BuildAnswer(local, d, n, 20)
		if err != nil {
			t.Fatalf("answer to a negotiated offer failed: %v", err)
		}
		if _, err := ParseSDP(ans); err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
	})
}

// Real-world quirks that must still parse and negotiate.
func TestParseSDPQuirks(t *testing.T) {
	cases := map[string]string{
		"lf only":            "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 5000 RTP/AVP 0\n",
		"trailing blank":     "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n\r\n",
		"no final newline":   "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0",
		"b and rtcp":         "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nb=AS:84\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0 101\r\nb=TIAS:64000\r\na=rtcp:5001\r\na=silenceSupp:off - - - -\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=maxptime:150\r\n",
		"space session name": "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns= \r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
		"huge session id":    "v=0\r\no=- 99999999999999999999 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
		"media c before b":   "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 8\r\nc=IN IP4 1.2.3.4\r\nb=AS:64\r\na=sendrecv\r\n",
	}
	for name, body := range cases {
		d, err := ParseSDP([]byte(body))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := NegotiateOffer(d, DefaultCapabilities(), SendRecv); err != nil {
			t.Errorf("%s: negotiate %v", name, err)
		}
	}
}
