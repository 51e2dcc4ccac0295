package webrtc

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/dtls/v3/pkg/crypto/fingerprint"
	pionsdp "github.com/pion/sdp/v3"

	"callroute/media"
)

// Errors a leg reports, from Accept or through Err. Each is wrapped with the
// detail; test them with errors.Is.
var (
	// ErrBadAnswer: the answer is not an SDP a WebRTC leg can use (not
	// SDP, no audio stream, audio refused, pion refused it). It wraps
	// media.ErrBadSDP.
	ErrBadAnswer = fmt.Errorf("webrtc: bad SDP answer: %w", media.ErrBadSDP)
	// ErrNoCommonCodec: the answer's audio has neither PCMU nor PCMA. It
	// wraps media.ErrNoCommonCodec.
	ErrNoCommonCodec = fmt.Errorf("webrtc: answer has no G.711 audio (PCMU or PCMA): %w", media.ErrNoCommonCodec)
	// ErrFingerprint: the answer has no usable a=fingerprint, or the
	// browser's DTLS certificate does not match it (RFC 8122 5; someone
	// else answered, or the answer was altered on the way).
	ErrFingerprint = errors.New("webrtc: DTLS fingerprint")
	// ErrICEFailed: no packet from the browser for the ICE timeouts, or
	// its connectivity checks never succeeded: the browser is gone or
	// unreachable.
	ErrICEFailed = errors.New("webrtc: ICE failed")
	// ErrDTLSFailed: ICE connected but the DTLS handshake failed.
	ErrDTLSFailed = errors.New("webrtc: DTLS failed")
	// ErrPeerClosed: the browser closed its PeerConnection (DTLS
	// close_notify).
	ErrPeerClosed = errors.New("webrtc: the browser closed the connection")
)

// answer is what a leg needs from the browser's SDP answer.
type answer struct {
	codec        media.Codec // the answer's payload types: what we send with
	direction    media.Direction
	fingerprints []answerFingerprint
}

type answerFingerprint struct{ alg, value string }

// parseAnswer checks an SDP answer to our offer (one audio m-line, RFC 3264
// 6) before pion sees it, so that the usual mistakes get an error that says
// what is wrong. The codec is the first G.711 format of the answer (RFC
// 3264 6.1: the answerer lists what it prefers first), with its
// telephone-event payload type if it kept that.
func parseAnswer(s string) (answer, error) {
	var a answer
	if strings.TrimSpace(s) == "" {
		return a, fmt.Errorf("%w: empty", ErrBadAnswer)
	}
	if len(s) > media.MaxSDPSize {
		return a, fmt.Errorf("%w: %d bytes, at most %d", ErrBadAnswer, len(s), media.MaxSDPSize)
	}
	if !strings.HasSuffix(s, "\n") {
		s += "\r\n"
	}
	var sd pionsdp.SessionDescription
	if err := sd.UnmarshalString(s); err != nil {
		return a, fmt.Errorf("%w: %v", ErrBadAnswer, err)
	}
	var md *pionsdp.MediaDescription
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media == "audio" {
			md = m
			break
		}
	}
	if md == nil {
		return a, fmt.Errorf("%w: no m=audio line", ErrBadAnswer)
	}
	if md.MediaName.Port.Value == 0 {
		return a, fmt.Errorf("%w: audio refused (port 0)", ErrNoCommonCodec)
	}
	codec, ok := answerCodec(md)
	if !ok {
		return a, fmt.Errorf("%w: m=audio formats %s", ErrNoCommonCodec, strings.Join(md.MediaName.Formats, " "))
	}
	a.codec = codec
	a.direction = answerDirection(sd.Attributes, md.Attributes)
	for _, attrs := range [][]pionsdp.Attribute{md.Attributes, sd.Attributes} {
		for _, at := range attrs {
			if at.Key != "fingerprint" {
				continue
			}
			alg, value, ok := strings.Cut(strings.TrimSpace(at.Value), " ")
			if !ok {
				return a, fmt.Errorf("%w: a=fingerprint:%s is not \"hash-func fingerprint\"", ErrFingerprint, at.Value)
			}
			a.fingerprints = append(a.fingerprints, answerFingerprint{strings.ToLower(alg), strings.TrimSpace(value)})
		}
		if len(a.fingerprints) > 0 {
			break // media-level fingerprints override the session's
		}
	}
	if len(a.fingerprints) == 0 {
		return a, fmt.Errorf("%w: the answer has no a=fingerprint", ErrFingerprint)
	}
	return a, nil
}

// answerCodec finds the first G.711 format and the telephone-event format
// (RFC 4733 7.1.1, 8000 Hz, the G.711 clock) of an m=audio line.
func answerCodec(md *pionsdp.MediaDescription) (media.Codec, bool) {
	names := map[uint8]string{media.PayloadPCMU: "PCMU", media.PayloadPCMA: "PCMA"} // static, RFC 3551 6
	rates := map[uint8]uint64{media.PayloadPCMU: media.ClockRate, media.PayloadPCMA: media.ClockRate}
	for _, at := range md.Attributes {
		if at.Key != "rtpmap" {
			continue
		}
		ptStr, enc, _ := strings.Cut(strings.TrimSpace(at.Value), " ")
		pt, err := strconv.ParseUint(ptStr, 10, 7)
		if err != nil {
			continue
		}
		name, rest, _ := strings.Cut(strings.TrimSpace(enc), "/")
		rateStr, _, _ := strings.Cut(rest, "/")
		rate, _ := strconv.ParseUint(rateStr, 10, 32)
		names[uint8(pt)], rates[uint8(pt)] = name, rate
	}
	var c media.Codec
	found := false
	for _, tok := range md.MediaName.Formats {
		v, err := strconv.ParseUint(tok, 10, 7)
		if err != nil {
			continue
		}
		pt := uint8(v)
		name, rate := names[pt], rates[pt]
		switch {
		case rate != media.ClockRate:
			// G.711 is 8 kHz only (pitfall: never G.711 at 16 kHz).
		case !found && (strings.EqualFold(name, "PCMU") || strings.EqualFold(name, "PCMA")):
			c.Name, c.PayloadType, found = strings.ToUpper(name), pt, true
		case c.TelephoneEvent == 0 && strings.EqualFold(name, "telephone-event"):
			c.TelephoneEvent = pt
		}
	}
	return c, found
}

// answerDirection reads the media-level direction, else the session's
// (RFC 3264 5.1; sendrecv when none is given).
func answerDirection(session, mediaAttrs []pionsdp.Attribute) media.Direction {
	for _, attrs := range [][]pionsdp.Attribute{mediaAttrs, session} {
		for _, at := range attrs {
			switch at.Key {
			case "sendrecv":
				return media.SendRecv
			case "sendonly":
				return media.SendOnly
			case "recvonly":
				return media.RecvOnly
			case "inactive":
				return media.Inactive
			}
		}
	}
	return media.SendRecv
}

// matchesCertificate reports whether the DTLS certificate the browser
// presented (DER) has one of the answer's fingerprints (RFC 8122 5).
func (a answer) matchesCertificate(der []byte) bool {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return false
	}
	for _, fp := range a.fingerprints {
		h, err := fingerprint.HashFromString(fp.alg)
		if err != nil {
			continue
		}
		if v, err := fingerprint.Fingerprint(cert, h); err == nil && strings.EqualFold(v, fp.value) {
			return true
		}
	}
	return false
}
