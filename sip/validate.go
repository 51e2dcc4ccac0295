package sip

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// verdict is what validation decided about a request: drop it silently,
// reject it with code, or (zero) let the handler have it.
type verdict struct {
	drop   bool
	code   int
	reason string
	hdrs   []sip.Header
	why    string // for the log
}

// singleHeaders may appear once only (RFC 3261 7.3.1; RFC 4475 "multi01").
var singleHeaders = [...]string{"From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length", "Content-Type", "Expires"}

// scannerAgents are User-Agent substrings of SIP scanners (Kamailio
// REQINIT list, security.md 2): dropped without an answer. Spoofable, so a
// first layer only.
var scannerAgents = []string{"friendly-scanner", "sipvicious", "sipcli", "vaxsipuseragent", "pplsip", "sip-scan", "sundayddr", "iwar"}

// check validates a request before any handler, in the order of RFC 3261
// 8.2 (sipgo v1.7.3 checks none of this; security.md 4 lists what it let
// through).
func (s *Server) check(req *sip.Request) verdict {
	// A CR or LF inside a value means a forged header: answering would echo
	// it (From, To, Via are copied), so drop.
	hs := s.scanHeaders(req)
	if hs.injected != nil {
		return verdict{drop: true, why: hs.injected.Error()}
	}
	if ua := hs.userAgent; ua != nil {
		l := strings.ToLower(ua.Value())
		for _, a := range scannerAgents {
			if strings.Contains(l, a) {
				return verdict{drop: true, why: "scanner user agent"}
			}
		}
	}
	if req.Via() == nil {
		return verdict{drop: true, why: "no Via: nowhere to answer"}
	}
	// RFC 3261 8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via are
	// mandatory; Max-Forwards is tolerated missing (RFC 2543 clients).
	if req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
		return reject(sip.StatusBadRequest, "Missing Required Header", "missing From, To, Call-ID or CSeq")
	}
	if hs.tooMany {
		return reject(sip.StatusBadRequest, "Too Many Headers", "too many headers")
	}
	if hs.tooLong {
		return reject(sip.StatusBadRequest, "Header Too Long", "header value over the limit")
	}
	// RFC 3261 21.5.6: 505 for another SIP version (RFC 4475 "badvers").
	if !strings.EqualFold(req.SipVersion, "SIP/2.0") {
		return reject(sip.StatusVersionNotSupported, "Version Not Supported", "sip version "+CleanHeaderValue(req.SipVersion, 16))
	}
	// RFC 3261 8.2.1 inspects the method before any header: a method we do
	// not serve goes straight to 405/501 ("mismatch02" is a NEWMETHOD with
	// an INVITE CSeq and wants 501).
	if !served[req.Method] {
		return verdict{}
	}
	// RFC 3261 8.1.1.5: the CSeq method matches the request method ("mismatch01").
	if req.CSeq().MethodName != req.Method {
		return reject(sip.StatusBadRequest, "CSeq Method Mismatch", "cseq method differs from the request method")
	}
	for i, name := range singleHeaders {
		if hs.count[i] > 1 {
			return reject(sip.StatusBadRequest, "Duplicate "+name, "duplicate "+name)
		}
	}
	// RFC 3261 8.2.2.1: a Request-URI scheme we do not understand is 416.
	switch strings.ToLower(req.Recipient.Scheme) {
	case "sip", "sips":
	case "tel":
		if req.Method == sip.REGISTER { // RFC 3261 10.3 step 1 needs a sip(s) domain
			return reject(sip.StatusRequestedRangeNotSatisfiable, "Unsupported URI Scheme", "tel: request-uri on REGISTER")
		}
	default:
		return reject(sip.StatusRequestedRangeNotSatisfiable, "Unsupported URI Scheme", "request-uri scheme")
	}
	// RFC 3261 8.2.2.3: we support no extension, so any Require gets 420
	// listing the tokens in Unsupported (not for ACK and CANCEL).
	if req.Method != sip.ACK && req.Method != sip.CANCEL && hs.require {
		if tokens := requireTokens(req); len(tokens) > 0 {
			v := reject(sip.StatusBadExtension, "Bad Extension", "require: "+strings.Join(tokens, ","))
			v.hdrs = []sip.Header{sip.NewHeader("Unsupported", strings.Join(tokens, ", "))}
			return v
		}
	}
	// Max-Forwards 0 (RFC 3261 16.3 step 3): an INVITE would be forwarded
	// by our B2BUA to a phone, so it gets 483. OPTIONS and REGISTER end
	// here (we are their final recipient), and RFC 4475 "zeromf" says an
	// endpoint processes such a request normally.
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 && req.Method == sip.INVITE {
		return reject(sip.StatusTooManyHops, "Too Many Hops", "max-forwards 0")
	}
	return verdict{}
}

func reject(code int, reason, why string) verdict {
	return verdict{code: code, reason: reason, why: why}
}

// requireTokens lists the option tags of all Require headers, cleaned.
func requireTokens(req *sip.Request) []string {
	var out []string
	for _, h := range req.GetHeaders("Require") {
		for _, t := range strings.Split(h.Value(), ",") {
			if t = strings.TrimSpace(t); t != "" && len(out) < 16 {
				out = append(out, CleanHeaderValue(t, 64))
			}
		}
	}
	return out
}

// served are the methods with a handler of their own.
var served = map[sip.RequestMethod]bool{
	sip.INVITE: true, sip.ACK: true, sip.CANCEL: true, sip.BYE: true, sip.OPTIONS: true, sip.REGISTER: true,
	sip.INFO: true,
}

// headerScan is what one pass over a request's headers found (sipgo
// renders a parsed header's Value anew at each call, and its GetHeader
// lowers the name of every header it passes, so it is done once).
type headerScan struct {
	injected  error // a CR or LF in the request line or a header (ValidateMessage)
	tooMany   bool  // more than MaxHeaders
	tooLong   bool  // a value over MaxHeaderValue
	userAgent sip.Header
	require   bool                    // a Require header is present
	count     [len(singleHeaders)]int // how often each of singleHeaders appears
}

func (s *Server) scanHeaders(req *sip.Request) headerScan {
	var sc headerScan
	if sc.injected = firstBad("method", string(req.Method), "version", req.SipVersion); sc.injected != nil {
		return sc
	}
	var w crlfScan
	if sc.injected = w.requestURI(&req.Recipient); sc.injected != nil {
		return sc
	}
	hs := req.Headers()
	sc.tooMany = len(hs) > s.cfg.MaxHeaders
	for _, h := range hs {
		n, err := w.header(h)
		if err != nil {
			sc.injected = err
			return sc
		}
		if n > s.cfg.MaxHeaderValue {
			sc.tooLong = true
		}
		name := h.Name()
		switch {
		case sc.userAgent == nil && asciiEqualFold(name, "User-Agent"):
			sc.userAgent = h
		case asciiEqualFold(name, "Require"):
			sc.require = true
		}
		for i, single := range singleHeaders {
			if asciiEqualFold(name, single) {
				sc.count[i]++
			}
		}
	}
	return sc
}

// asciiEqualFold is strings.EqualFold for ASCII letters only: header
// names match the way sipgo's GetHeader matches them (HeaderToLower).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
