package sip

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/emiago/sipgo/sip"
)

// Header injection guard (sip-webrtc.md pitfall 22). sipgo v1.7.3 writes
// header values verbatim and has no sip.ValidateRequest, so a CR or LF in a
// value built from user or CRM data would forge headers or a body. We apply
// the rule of sipgo PR #318: no CR or LF in the method, version,
// Request-URI, reason phrase, header names or values; bodies are not
// checked. Switch to sipgo's check once a release has one. (A NUL may stand
// escaped in a quoted string, RFC 3261 25.1 quoted-pair, so a peer's echoed
// To can carry one; values we make ourselves are cleaned of it.)

// ErrHeaderInjection reports a CR or LF (or, in a value of ours, a NUL)
// where a SIP message must not carry one.
var ErrHeaderInjection = errors.New("sip: CR, LF or NUL in a header")

// checkHeaderValue fails when s, a value we put into a header ourselves
// (configuration, a username), has CR, LF or NUL.
func checkHeaderValue(s string) error {
	if strings.ContainsAny(s, "\r\n\x00") {
		return ErrHeaderInjection
	}
	return nil
}

// ValidateMessage checks a request or response before it is sent: no CR or
// LF in the start line, header names or header values.
func ValidateMessage(m sip.Message) error {
	var hs []sip.Header
	switch m := m.(type) {
	case *sip.Request:
		if err := firstBad("method", string(m.Method), "version", m.SipVersion, "request-uri", m.Recipient.String()); err != nil {
			return err
		}
		hs = m.Headers()
	case *sip.Response:
		if err := firstBad("version", m.SipVersion, "reason", m.Reason); err != nil {
			return err
		}
		hs = m.Headers()
	default:
		return fmt.Errorf("sip: cannot validate %T", m)
	}
	for _, h := range hs {
		if err := firstBad("header name", h.Name(), h.Name(), h.Value()); err != nil {
			return err
		}
	}
	return nil
}

func firstBad(kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if strings.ContainsAny(kv[i+1], "\r\n") {
			return fmt.Errorf("%w: %s", ErrHeaderInjection, kv[i])
		}
	}
	return nil
}

// CleanHeaderValue makes an untrusted string safe to put into a header
// value: control characters (CR, LF, NUL, DEL, ...) are dropped, invalid
// UTF-8 is dropped and the result is cut to max bytes on a rune boundary.
// Use it where CRM data (a contact's name, say) enters SIP.
func CleanHeaderValue(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > max {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// CleanDisplayName is CleanHeaderValue for a display name that sipgo will
// wrap in double quotes: quotes and backslashes, which would end or escape
// the quoted-string (RFC 3261 25.1), are dropped too.
func CleanDisplayName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
	return CleanHeaderValue(s, maxDisplayName)
}

// maxDisplayName bounds display names we keep or send (bytes).
const maxDisplayName = 128
