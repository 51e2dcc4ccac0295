package sip

import (
	"errors"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// headerZoo is a request with a header of each type sipgo parses, in the
// shapes that change how it renders (IPv6 hosts, ports, quoted
// parameters, display names, compact names).
func headerZoo(t testing.TB) *sip.Request {
	return parseRequest(t,
		"INVITE sip:+4930@127.0.0.1:5060;user=phone SIP/2.0",
		"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1;rport",
		"Via: SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK2;received=2001:db8::2",
		"Via: SIP/2.0/UDP host.example;branch=z9hG4bK3",
		"v: SIP/2.0/UDP 192.0.2.1:15060;branch=z9hG4bK4;x=\"a b\"",
		"From: \"Ann Client\" <sip:+4930111@trunk.example;user=phone>;tag=abc",
		"To: <sip:+4930@127.0.0.1>",
		"Contact: <sip:caller@[2001:db8::3]:5062;transport=tcp>;expires=60;+sip.instance=\"<urn:uuid:1>\"",
		"Contact: *",
		"Call-ID: zoo-1@host",
		"CSeq: 314159 INVITE",
		"Max-Forwards: 70",
		"Expires: 3600",
		"Route: <sip:proxy.example;lr>",
		"Record-Route: <sip:[2001:db8::4];lr>",
		"Refer-To: <sip:other@example.com>",
		"Referred-By: \"B\" <sip:b@example.com>;cid=1",
		"P-Asserted-Identity: \"B\" <tel:+1-2;x=y>",
		"User-Agent: zoo/1.0",
		"Content-Type: application/sdp",
		"Content-Length: 0",
		"", "")
}

// The scan measures each value as Value renders it: the MaxHeaderValue
// limit must see what it saw when it rendered.
func TestHeaderScanLength(t *testing.T) {
	req := headerZoo(t)
	v6 := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "2001:db8::9", Port: 5060}
	mapped := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "::ffff:192.0.2.1"}
	hs := append(req.Headers(), v6, mapped)
	var w crlfScan
	for _, h := range hs {
		n, err := w.header(h)
		if err != nil {
			t.Fatalf("%s: %v", h.Name(), err)
		}
		if want := len(h.Value()); n != want {
			t.Errorf("%s %q: scanned %d bytes, Value has %d", h.Name(), h.Value(), n, want)
		}
	}
}

// A CR or LF in any field of a typed header, or in a parsed value (sipgo's
// parser splits lines at CRLF, so a bare LF reaches a value), is refused.
func TestHeaderScanInjection(t *testing.T) {
	via := func(mut func(*sip.ViaHeader)) sip.Header {
		h := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "127.0.0.1", Port: 5070,
			Params: sip.NewParams()}
		h.Params.Add("branch", "z9hG4bK1")
		mut(h)
		return h
	}
	from := func(mut func(*sip.FromHeader)) sip.Header {
		h := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "a", Host: "b"}, Params: sip.NewParams()}
		mut(h)
		return h
	}
	bad := map[string]sip.Header{
		"via host":        via(func(h *sip.ViaHeader) { h.Host = "a\nb" }),
		"via transport":   via(func(h *sip.ViaHeader) { h.Transport = "UDP\r\nX: 1" }),
		"via param value": via(func(h *sip.ViaHeader) { h.Params.Add("received", "1\n2") }),
		"via param name":  via(func(h *sip.ViaHeader) { h.Params.Add("x\r", "") }),
		"from display":    from(func(h *sip.FromHeader) { h.DisplayName = "Ann\r\nX-Injected: 1" }),
		"from user":       from(func(h *sip.FromHeader) { h.Address.User = "a\nb" }),
		"from uri param":  from(func(h *sip.FromHeader) { h.Address.UriParams = sip.NewParams(); h.Address.UriParams.Add("p", "\n") }),
		"from tag":        from(func(h *sip.FromHeader) { h.Params.Add("tag", "1\r2") }),
		"call-id":         ptr(sip.CallIDHeader("a\nb")),
		"cseq method":     &sip.CSeqHeader{SeqNo: 1, MethodName: "INVITE\n"},
		"content-type":    ptr(sip.ContentTypeHeader("application/sdp\r\nX: 1")),
		"generic":         sip.NewHeader("X-Name", "bad\nInjected: yes"),
	}
	for name, h := range bad {
		var w crlfScan
		if _, err := w.header(h); !errors.Is(err, ErrHeaderInjection) {
			t.Errorf("%s: %v, want ErrHeaderInjection", name, err)
		}
		res := sip.NewResponse(200, "OK")
		res.AppendHeader(h)
		if err := ValidateMessage(res); !errors.Is(err, ErrHeaderInjection) {
			t.Errorf("%s in a response: %v", name, err)
		}
	}
	if _, err := (&crlfScan{}).header(sip.NewHeader("X-A\n", "ok")); err == nil || !strings.Contains(err.Error(), "header name") {
		t.Errorf("LF in a header name: %v", err)
	}

	// The same through the server's check, from the parser: a bare LF
	// inside a header line, and one in the Request-URI.
	ip := newInProcess(t)
	for name, lines := range map[string][]string{
		"value": {"OPTIONS sip:127.0.0.1 SIP/2.0", "X-A: a\nInjected: 1"},
		"uri":   {"OPTIONS sip:a\nb@127.0.0.1 SIP/2.0"},
	} {
		msg := strings.Join(append(lines,
			"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-"+name,
			"From: <sip:a@127.0.0.1>;tag=1", "To: <sip:127.0.0.1>", "Call-ID: lf-"+name,
			"CSeq: 1 OPTIONS", "Content-Length: 0", "", ""), "\r\n")
		parsed, err := sip.ParseMessage([]byte(msg))
		if err != nil {
			t.Logf("%s: the parser refuses it already: %v", name, err)
			continue
		}
		if v := ip.s.check(parsed.(*sip.Request)); !v.drop {
			t.Errorf("%s: LF passed the check: %+v", name, v)
		}
		if o := ip.feed(t, []byte(msg), "127.0.0.1:5070"); len(o.responses) != 0 {
			t.Errorf("%s: answered %d, want a drop", name, o.final())
		}
	}
}

func ptr[T any](v T) *T { return &v }

// BenchmarkCheck is the admission check of one INVITE.
func BenchmarkCheck(b *testing.B) {
	ip := newInProcess(b)
	req := headerZoo(b)
	req.RemoveHeader("Contact") // one Contact, no wildcard
	b.ReportAllocs()
	for range b.N {
		if v := ip.s.check(req); v.drop {
			b.Fatal(v.why)
		}
	}
}

// BenchmarkValidateMessage is the guard on a response we send.
func BenchmarkValidateMessage(b *testing.B) {
	req := headerZoo(b)
	res := sip.NewResponseFromRequest(req, 183, "Session Progress", []byte("v=0\r\n"))
	res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "192.0.2.10", Port: 5060}})
	b.ReportAllocs()
	for range b.N {
		if err := ValidateMessage(res); err != nil {
			b.Fatal(err)
		}
	}
}

// The fast path of CleanHeaderValue returns what the rune by rune path
// would.
func TestCleanHeaderValueUnchanged(t *testing.T) {
	for _, s := range []string{"", "abc@host", " padded\t", "ääää", "Ann Client", "\u00a0nbsp\u00a0", "a\u0085b",
		"\xff", "x\ufffdy", "tab\there", "exactly10!", "over the limit of ten"} {
		var b strings.Builder
		for _, r := range s {
			if !dropped(r) && b.Len()+len(string(r)) <= 10 {
				b.WriteRune(r)
			} else if !dropped(r) {
				break
			}
		}
		if got, want := CleanHeaderValue(s, 10), strings.TrimSpace(b.String()); got != want {
			t.Errorf("CleanHeaderValue(%q) = %q, want %q", s, got, want)
		}
	}
}

func BenchmarkCleanHeaderValue(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		_ = CleanHeaderValue("a84b4c76e66710@pc33.atlanta.example.com", 128)
	}
}
