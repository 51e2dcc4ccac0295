package sip

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// maxContactURI bounds a registered Contact URI (bytes).
const maxContactURI = 512

// onRegister is the registrar's SIP side (RFC 3261 10.3): syntax, digest
// authentication (step 3), the To user must be the authenticated user
// (steps 4-5), then the bindings (steps 6-8, Registrar.register).
func (s *Server) onRegister(r *request) {
	req := r.req
	// To must be a sip/sips AoR (RFC 3261 10.2; RFC 4475 "unksm2" -> 400).
	to := req.To()
	if sc := strings.ToLower(to.Address.Scheme); sc != "sip" && sc != "sips" {
		r.respond(sip.StatusBadRequest, "Bad To Scheme")
		return
	}
	rr, reason := parseRegister(req)
	if reason != "" {
		r.log.Info("sip: register rejected", "why", reason)
		r.respond(sip.StatusBadRequest, reason)
		return
	}
	res := s.auth.check(r.ctx, req, r.src.Addr())
	if !s.authAnswered(r, res) {
		return
	}
	// Step 4-5: a user may only register their own AoR.
	if to.Address.User != res.cred.Username {
		r.log.Warn("sip: register for another user's AoR", "to_user", CleanHeaderValue(to.Address.User, 64))
		r.respond(sip.StatusForbidden, "Forbidden")
		return
	}
	rr.UserID, rr.Username = res.cred.UserID, res.cred.Username
	rr.Source, rr.Transport = r.src, req.Transport()

	result, err := s.reg.register(r.ctx, rr)
	if err != nil {
		r.log.Error("sip: registrar store", "err", err)
		r.respond(sip.StatusInternalServerError, "Server Internal Error")
		return
	}
	switch result.Code {
	case sip.StatusOK:
		r.log.Info("sip: registered", "bindings", len(result.Bindings))
		r.send(s.registerOK(req, result.Bindings))
	case sip.StatusIntervalToBrief:
		// RFC 3261 10.3 step 7 / 20.23: 423 carries Min-Expires.
		r.respond(result.Code, result.Reason, sip.NewHeader("Min-Expires", strconv.Itoa(int(result.MinExpires/time.Second))))
	default:
		r.respond(result.Code, result.Reason)
	}
}

// registerOK is the 200 listing every current binding with its remaining
// expiry as an expires parameter, and Date (RFC 3261 10.3 step 8).
func (s *Server) registerOK(req *sip.Request, bs []Binding) *sip.Response {
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	now := s.now()
	for _, b := range bs {
		secs := int((b.Remaining(now) + time.Second - 1) / time.Second)
		res.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<%s>;expires=%d", b.Contact, secs)))
	}
	res.AppendHeader(dateHeader(s))
	return res
}

// parseRegister reads the registrar's inputs from a REGISTER; a non-empty
// reason means 400 with that reason phrase.
func parseRegister(req *sip.Request) (registerRequest, string) {
	rr := registerRequest{CallID: req.CallID().Value(), CSeq: req.CSeq().SeqNo, Expires: -1}
	if h := req.GetHeader("Expires"); h != nil {
		n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
		if err != nil {
			return rr, "Bad Expires"
		}
		rr.Expires = int64(n)
	}
	if h := req.GetHeader("User-Agent"); h != nil {
		rr.UserAgent = CleanHeaderValue(h.Value(), 128)
	}
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return rr, "Bad Contact"
		}
		if c.Address.Wildcard {
			rr.Wildcard = true
			continue
		}
		if sc := strings.ToLower(c.Address.Scheme); sc != "sip" && sc != "sips" || c.Address.Host == "" {
			return rr, "Bad Contact"
		}
		cr := contactRequest{URI: c.Address.String(), Key: contactKey(c.Address), Expires: -1}
		if len(cr.URI) > maxContactURI {
			return rr, "Contact Too Long"
		}
		if v, ok := c.Params.Get("expires"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return rr, "Bad Contact Expires"
			}
			cr.Expires = int64(n)
		}
		if v, ok := c.Params.Get("+sip.instance"); ok {
			cr.InstanceID = CleanHeaderValue(strings.Trim(v, `"`), 128)
		}
		rr.Contacts = append(rr.Contacts, cr)
	}
	return rr, ""
}

// contactKey approximates RFC 3261 19.1.4 URI equality for binding
// matching: scheme, user (case-sensitive), host (case-insensitive), port
// with its default, and the transport parameter.
func contactKey(u sip.Uri) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port
	if port == 0 {
		port = 5060
		if scheme == "sips" {
			port = 5061
		}
	}
	tp, _ := u.UriParams.Get("transport")
	return fmt.Sprintf("%s:%s@%s:%d;transport=%s", scheme, u.User, strings.ToLower(u.Host), port, strings.ToLower(tp))
}
