package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
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
	var w crlfScan
	switch m := m.(type) {
	case *sip.Request:
		if err := firstBad("method", string(m.Method), "version", m.SipVersion); err != nil {
			return err
		}
		if err := w.requestURI(&m.Recipient); err != nil {
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
		if _, err := w.header(h); err != nil {
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

// crlfScan is an io.StringWriter that keeps nothing: it counts the bytes
// written and notes a CR or LF among them. sipgo renders a typed header's
// Value (From, To, Via, ...) into a new string at every call; writing the
// header into a crlfScan checks the same text without building it.
type crlfScan struct {
	n   int
	bad bool
}

func (w *crlfScan) WriteString(s string) (int, error) {
	w.n += len(s)
	if !w.bad && strings.ContainsAny(s, "\r\n") {
		w.bad = true
	}
	return len(s), nil
}

// requestURI checks the Request-URI as sipgo writes it on the wire.
func (w *crlfScan) requestURI(u *sip.Uri) error {
	*w = crlfScan{}
	u.StringWrite(w)
	if w.bad {
		return fmt.Errorf("%w: %s", ErrHeaderInjection, "request-uri")
	}
	return nil
}

// header checks h's name and value and returns the length of the value as
// Value renders it.
func (w *crlfScan) header(h sip.Header) (int, error) {
	name := h.Name()
	if err := firstBad("header name", name); err != nil {
		return 0, err
	}
	*w = crlfScan{}
	if via, ok := h.(*sip.ViaHeader); ok {
		w.via(via)
	} else {
		// Every header of sipgo v1.7.3 writes "Name: value".
		h.StringWrite(w)
		w.n -= len(name) + len(": ")
	}
	if w.bad {
		return 0, fmt.Errorf("%w: %s", ErrHeaderInjection, name)
	}
	return w.n, nil
}

// via writes what sipgo's ViaHeader.valueStringWrite writes, from the
// exported fields: ViaHeader.StringWrite renders Value into a new string
// first (and brackets an IPv6 host by way of net.ParseIP), the very
// allocations crlfScan is there to avoid. TestHeaderScanLength holds it to
// Value.
func (w *crlfScan) via(h *sip.ViaHeader) {
	w.WriteString(h.ProtocolName)
	w.WriteString("/")
	w.WriteString(h.ProtocolVersion)
	w.WriteString("/")
	w.WriteString(h.Transport)
	w.WriteString(" ")
	if a, err := netip.ParseAddr(h.Host); err == nil && a.Zone() == "" && a.Is6() && !a.Is4In6() {
		w.n += len("[]")
	}
	w.WriteString(h.Host)
	if h.Port > 0 {
		var digits [20]byte
		w.n += len(":") + len(strconv.AppendInt(digits[:0], int64(h.Port), 10))
	}
	if h.Params.Length() > 0 {
		w.WriteString(";")
		h.Params.ToStringWrite(';', w)
	}
}

// CleanHeaderValue makes an untrusted string safe to put into a header
// value: control characters (CR, LF, NUL, DEL, ...) are dropped, invalid
// UTF-8 is dropped and the result is cut to max bytes on a rune boundary.
// Use it where CRM data (a contact's name, say) enters SIP.
func CleanHeaderValue(s string, max int) string {
	if len(s) <= max && keepsAll(s) {
		// The common case (a Call-ID, a method, a host): nothing to drop
		// or cut, so no copy.
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for _, r := range s {
		if dropped(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > max {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// dropped reports whether CleanHeaderValue drops r: invalid UTF-8 and
// control characters (C0, DEL, C1).
func dropped(r rune) bool {
	return r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

func keepsAll(s string) bool {
	for _, r := range s {
		if dropped(r) {
			return false
		}
	}
	return true
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
