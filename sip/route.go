package sip

import (
	"errors"
	"net"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// RouteToBinding prepares a request we send to a registered phone so it
// reaches the phone behind NAT: the Request-URI stays the registered
// Contact (the phone expects it), but the packet goes to the address the
// REGISTER came from (RFC 3581 4, the "received"/"rport" of its Via;
// sip-webrtc.md pitfall 1 and sipgo PR #174's RewriteContact), over the same
// transport. Over UDP it leaves from our UDP listener, the port the phone's
// NAT pinhole is open to; over TCP/TLS sipgo reuses the phone's open
// connection (keyed by its source address), and a phone whose connection is
// gone must register again.
//
// Use it before Server.Client().TransactionRequest / Do, or for the INVITE
// of a sipgo DialogUA (with RewriteContact: true for the in-dialog requests
// that follow).
func (s *Server) RouteToBinding(req *sip.Request, b Binding) error {
	select {
	case <-s.ready:
	default:
		return errors.New("sip: server is not running")
	}
	if !b.Source.IsValid() {
		return errors.New("sip: binding has no source address")
	}
	tp := strings.ToUpper(b.Transport)
	if tp == "" {
		tp = "UDP"
	}
	req.SetDestination(b.Source.String())
	req.SetTransport(tp)
	if tp == "UDP" && s.ls != nil && s.ls.udp != nil {
		if ua, ok := s.ls.udp.LocalAddr().(*net.UDPAddr); ok {
			req.Laddr = sip.Addr{IP: ua.IP, Port: ua.Port, Hostname: ua.IP.String()}
		}
	}
	return nil
}

// RequestToBinding builds a new request for method to the phone of b,
// routed by RouteToBinding. The client fills Via, From, Call-ID, CSeq and
// Max-Forwards (sipgo clientRequestBuildReq); To is the phone's AoR.
func (s *Server) RequestToBinding(method sip.RequestMethod, b Binding) (*sip.Request, error) {
	var uri sip.Uri
	if err := sip.ParseUri(b.Contact, &uri); err != nil {
		return nil, err
	}
	req := sip.NewRequest(method, uri)
	a := s.Addrs()
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: b.Username, Host: a.AnnounceHost}}
	req.AppendHeader(to)
	if err := s.RouteToBinding(req, b); err != nil {
		return nil, err
	}
	return req, nil
}

// contactHeader is our Contact for dialogs over transport ("UDP", "TCP",
// "TLS"): the announced host with an explicit port (sipgo #211), so BYE and
// re-INVITE reach this node (sip-webrtc.md pitfall 1), and the transport
// parameter for stream transports (RFC 3261 19.1.1).
func (s *Server) contactHeader(transport string) sip.ContactHeader {
	a := s.Addrs()
	port := a.AnnouncePort
	tp := strings.ToUpper(transport)
	if s.cfg.AnnouncePort == 0 {
		switch {
		case tp == "TCP" && a.TCP.IsValid():
			port = int(a.TCP.Port())
		case tp == "TLS" && a.TLS.IsValid():
			port = int(a.TLS.Port())
		case a.UDP.IsValid() && (tp == "UDP" || tp == ""):
			port = int(a.UDP.Port())
		}
	}
	c := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: a.AnnounceHost, Port: port}}
	if tp == "TCP" || tp == "TLS" {
		c.Address.UriParams = sip.NewParams()
		c.Address.UriParams.Add("transport", strings.ToLower(tp))
	}
	return c
}

// dialogUA makes sipgo dialogs over transport with our Contact. In-dialog
// requests go to the peer's observed source address rather than its Contact
// when there is no Record-Route (sipgo PR #174: RewriteContact), so phones
// and trunks behind NAT are reached where they really are.
//
// One DialogUA per transport serves every call: a dialog keeps a pointer to
// its UA and puts &ContactHDR into its 2xx, so a UA per call was held for
// the call's whole life. sipgo only reads the UA, except that it fills in
// the port of a Contact without one (DialogClientSession.Invite): such a
// UA is not shared.
func (s *Server) dialogUA(transport string) *sipgo.DialogUA {
	s.uaMu.Lock()
	defer s.uaMu.Unlock()
	if ua := s.dialogUAs[transport]; ua != nil {
		return ua
	}
	ua := &sipgo.DialogUA{Client: s.Client(), ContactHDR: s.contactHeader(transport), RewriteContact: true}
	if ua.Client != nil && ua.ContactHDR.Address.Port != 0 {
		if s.dialogUAs == nil {
			s.dialogUAs = map[string]*sipgo.DialogUA{}
		}
		s.dialogUAs[transport] = ua
	}
	return ua
}
