package webrtc

import (
	"errors"
	"strings"
	"testing"

	"github.com/pion/rtp"

	"callroute/media"
	"callroute/media/g711"
)

// chromeAnswer is the shape of Chromium's answer to a leg's offer
// (browser-testing.md: PCMU first, a=setup:active, raw loopback candidates).
const chromeAnswer = `v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=msid-semantic: WMS
m=audio 54321 UDP/TLS/RTP/SAVPF 0 8 101
c=IN IP4 127.0.0.1
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host generation 0
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuvwx
a=fingerprint:sha-256 9E:2C:58:C1:31:4B:C6:0E:0C:54:3B:3F:67:56:19:5B:3C:82:8B:B3:5D:28:6A:B0:D6:7D:5C:43:55:4A:BF:6C
a=setup:active
a=mid:0
a=sendrecv
a=msid:- 7d1c
a=rtcp-mux
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=ssrc:1234 cname:x
`

func TestParseAnswer(t *testing.T) {
	crlf := strings.ReplaceAll(chromeAnswer, "\n", "\r\n")
	for _, tc := range []struct {
		name string
		sdp  string
		want media.Codec
		err  error
	}{
		{"chrome", chromeAnswer, media.Codec{Name: "PCMU", PayloadType: 0, TelephoneEvent: 101}, nil},
		{"crlf, no final newline", strings.TrimSuffix(crlf, "\r\n"), media.Codec{Name: "PCMU", PayloadType: 0, TelephoneEvent: 101}, nil},
		{"pcma first", strings.Replace(chromeAnswer, "SAVPF 0 8 101", "SAVPF 8 0 101", 1), media.Codec{Name: "PCMA", PayloadType: 8, TelephoneEvent: 101}, nil},
		{"no telephone-event", strings.Replace(chromeAnswer, "SAVPF 0 8 101", "SAVPF 0", 1), media.Codec{Name: "PCMU", PayloadType: 0}, nil},
		{"static without rtpmap", strings.NewReplacer("SAVPF 0 8 101", "SAVPF 8", "a=rtpmap:0 PCMU/8000\n", "", "a=rtpmap:8 PCMA/8000\n", "").Replace(chromeAnswer),
			media.Codec{Name: "PCMA", PayloadType: 8}, nil},
		{"dynamic PCMU", strings.NewReplacer("SAVPF 0 8 101", "SAVPF 96 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 PCMU/8000").Replace(chromeAnswer),
			media.Codec{Name: "PCMU", PayloadType: 96, TelephoneEvent: 101}, nil},
		{"G.711 at 16 kHz is not G.711", strings.NewReplacer("SAVPF 0 8 101", "SAVPF 96", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 PCMU/16000").Replace(chromeAnswer),
			media.Codec{}, ErrNoCommonCodec},
		{"audio refused", strings.Replace(chromeAnswer, "m=audio 54321", "m=audio 0", 1), media.Codec{}, ErrNoCommonCodec},
		{"bad fingerprint line", strings.Replace(chromeAnswer, "a=fingerprint:sha-256 ", "a=fingerprint:", 1), media.Codec{}, ErrFingerprint},
		{"oversized", chromeAnswer + strings.Repeat("a=x:y\n", 4000), media.Codec{}, ErrBadAnswer},
		{"binary", "\x00\x01\x02", media.Codec{}, ErrBadAnswer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := parseAnswer(tc.sdp)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.codec != tc.want {
				t.Fatalf("codec %v, want %v", a.codec, tc.want)
			}
		})
	}
}

func TestParseInbound(t *testing.T) {
	pcmu := media.Codec{Name: "PCMU", PayloadType: 0, TelephoneEvent: 96}
	marshal := func(p rtp.Packet) []byte {
		p.Version = 2
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	voice := g711.Encode(nil, g711.ULaw, []int16{1000, -1000, 8000, -8000})

	// Header extensions, CSRCs and padding go; the payload stays.
	ext := rtp.Packet{Header: rtp.Header{PayloadType: 0, SequenceNumber: 7, SSRC: 9, CSRC: []uint32{1}}, Payload: voice}
	if err := ext.SetExtension(1, []byte{0x30}); err != nil {
		t.Fatal(err)
	}
	p, ok := parseInbound(marshal(ext), pcmu)
	if !ok || p.Extension || len(p.Extensions) != 0 || len(p.CSRC) != 0 || string(p.Payload) != string(voice) || p.SequenceNumber != 7 {
		t.Fatalf("extension packet: ok=%v %+v", ok, p)
	}

	// The browser's telephone-event (our offer's 101) gets the leg's PT.
	te := rtp.Packet{Header: rtp.Header{PayloadType: 101}, Payload: []byte{5, 0x8a, 0, 160}}
	if p, ok := parseInbound(marshal(te), pcmu); !ok || p.PayloadType != 96 {
		t.Fatalf("telephone-event: ok=%v pt=%d", ok, p.PayloadType)
	}
	if _, ok := parseInbound(marshal(te), media.Codec{Name: "PCMU"}); ok {
		t.Fatal("telephone-event delivered to a leg without it")
	}

	// The other law is converted to the leg's.
	alaw := rtp.Packet{Header: rtp.Header{PayloadType: 8}, Payload: g711.Encode(nil, g711.ALaw, []int16{1000, -1000, 8000, -8000})}
	if p, ok := parseInbound(marshal(alaw), pcmu); !ok || p.PayloadType != 0 || string(p.Payload) != string(g711.Transcode(nil, g711.ULaw, g711.ALaw, alaw.Payload)) {
		t.Fatalf("A-law to a mu-law leg: ok=%v %+v", ok, p)
	}

	// Padding only (Chrome with transport-cc), comfort noise, opus, junk:
	// dropped.
	padded := marshal(rtp.Packet{Header: rtp.Header{PayloadType: 0, Padding: true, PaddingSize: 4}, Payload: nil})
	for name, b := range map[string][]byte{
		"padding only":  padded,
		"comfort noise": marshal(rtp.Packet{Header: rtp.Header{PayloadType: 13}, Payload: []byte{40}}),
		"opus":          marshal(rtp.Packet{Header: rtp.Header{PayloadType: 111}, Payload: []byte{1, 2, 3}}),
		"short":         {0x80, 0},
		"empty":         {},
	} {
		if _, ok := parseInbound(b, pcmu); ok {
			t.Errorf("%s delivered", name)
		}
	}
}
