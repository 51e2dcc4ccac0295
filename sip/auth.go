package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// authenticator is the UAS side of SIP digest authentication (RFC 3261
// 22.4, RFC 2617 with qop=auth, RFC 8760 SHA-256).
//
// 401 + WWW-Authenticate, not 407 + Proxy-Authenticate, for INVITE as well
// as REGISTER: RFC 3261 22.3 reserves 407 for proxies, and callroute answers
// every INVITE itself as a UAS (a B2BUA ends the caller's dialog and starts
// new ones) while 401 "is used by UASs and registrars". Phones handle both.
type authenticator struct {
	realm  string
	creds  Credentials
	nonces *nonceMinter
	counts *nonceCounts
	brake  *authBrake
	algs   []string // offered, in order
	now    func() time.Time
}

type authOutcome int

const (
	authChallenge authOutcome = iota // answer 401 with a fresh nonce
	authOK
	authForbidden // brute-force brake: 403
	authError     // credential store failed: 500
)

type authResult struct {
	outcome authOutcome
	stale   bool // the challenge carries stale=true (RFC 2617 3.2.1)
	cred    Credential
	reason  string // for the log line, never for the wire
	failed  bool   // counted as a failure by the brake
}

// maxAuthHeader bounds an Authorization value before it is parsed.
const maxAuthHeader = 2048

// dummyHA1 keeps an unknown user's check as costly as a wrong password's, so
// timing does not reveal which usernames exist (security.md, ASVS 6.3.8).
var dummyHA1 = strings.Repeat("0", 64)

func newAuthenticator(cfg Config, creds Credentials, now func() time.Time) (*authenticator, error) {
	m, err := newNonceMinter(cfg.NonceSecret, cfg.NonceLifetime)
	if err != nil {
		return nil, fmt.Errorf("nonce secret: %w", err)
	}
	return &authenticator{
		realm:  cfg.Realm,
		creds:  creds,
		nonces: m,
		counts: newNonceCounts(cfg.NonceCacheSize, cfg.NonceLifetime),
		brake:  newAuthBrake(cfg.AuthFailLimit, cfg.AuthFailWindow, cfg.AuthBanTime, cfg.AuthMaxSources),
		algs:   slices.Clone(cfg.DigestAlgorithms),
		now:    now,
	}, nil
}

// check authenticates req, received from src.
func (a *authenticator) check(ctx context.Context, req *sip.Request, src netip.Addr) authResult {
	now := a.now()
	if a.brake.banned(src, now) {
		return authResult{outcome: authForbidden, reason: "source banned after repeated failures"}
	}
	hv, ok := a.findCredentials(req)
	if !ok {
		return authResult{outcome: authChallenge, reason: "no credentials for our realm"}
	}
	res := a.verify(ctx, req, hv, src, now)
	if res.failed && a.brake.fail(src, now) {
		res.outcome = authForbidden
		res.reason += "; source now banned"
	}
	return res
}

// findCredentials returns the first Digest Authorization value for our
// realm (RFC 3261 22.4: a request may carry one per realm).
func (a *authenticator) findCredentials(req *sip.Request) (string, bool) {
	for _, h := range req.GetHeaders("Authorization") {
		v := h.Value()
		if _, ok := digest.CutPrefix(v); !ok {
			continue
		}
		if len(v) > maxAuthHeader {
			return v, true // verify rejects it, and counts it
		}
		c, err := digest.ParseCredentials(v)
		if err != nil || c.Realm == a.realm {
			return v, true
		}
	}
	return "", false
}

func (a *authenticator) verify(ctx context.Context, req *sip.Request, hv string, src netip.Addr, now time.Time) authResult {
	fail := func(reason string) authResult {
		return authResult{outcome: authChallenge, reason: reason, failed: true}
	}
	if len(hv) > maxAuthHeader {
		return fail("authorization header too long")
	}
	c, err := digest.ParseCredentials(hv)
	if err != nil {
		return fail("unparsable authorization header")
	}
	alg, ok := digestAlgorithm(c.Algorithm)
	if !ok || !slices.Contains(a.algs, alg) {
		return fail("algorithm not offered: " + CleanHeaderValue(c.Algorithm, 32))
	}
	// qop=auth is required: without it nc and cnonce are absent and a
	// response could be replayed (security.md).
	if !strings.EqualFold(c.QOP, "auth") || c.Cnonce == "" || c.Nc <= 0 {
		return fail("qop=auth with cnonce and nc required")
	}
	if c.Username == "" || len(c.Username) > 128 || checkHeaderValue(c.Username) != nil {
		return fail("bad username")
	}
	if c.Realm != a.realm {
		return fail("realm mismatch")
	}
	// RFC 2617 3.2.2.5: the digest-uri must name the Request-URI.
	if !sameRequestURI(c.URI, req.Recipient) {
		return fail("digest uri does not match the request-uri")
	}
	state, issued := a.nonces.check(c.Nonce, now, src)
	if state == nonceInvalid {
		// Not ours, forged, or from another address: challenge again without
		// counting, as no password was tested.
		return authResult{outcome: authChallenge, reason: "nonce not valid for this source"}
	}

	cred, err := a.creds.Lookup(ctx, c.Username)
	known := err == nil
	if err != nil && !errors.Is(err, ErrUnknownUser) {
		return authResult{outcome: authError, reason: "credential lookup: " + err.Error()}
	}
	ha1 := dummyHA1
	if known && cred.Realm == a.realm {
		if alg == algSHA256 {
			ha1 = cred.HA1SHA256
		} else {
			ha1 = cred.HA1MD5
		}
	}
	want := digestResponse(alg, strings.ToLower(ha1), digestParams{
		Method: string(req.Method), URI: c.URI, Nonce: c.Nonce,
		NC: fmt.Sprintf("%08x", c.Nc), Cnonce: c.Cnonce, QOP: c.QOP,
	})
	match := digestEqual(c.Response, want)
	if !match || !known || ha1 == "" || cred.Realm != a.realm || cred.Username != c.Username {
		// Unknown user and wrong password look the same on the wire.
		return fail("wrong credentials")
	}
	if state == nonceExpired {
		return authResult{outcome: authChallenge, stale: true, reason: "nonce expired"}
	}
	switch a.counts.use(c.Nonce, issued, uint32(c.Nc), now) {
	case ncReplay:
		return authResult{outcome: authChallenge, reason: "nonce count replayed"}
	case ncStale:
		return authResult{outcome: authChallenge, stale: true, reason: "nonce state forgotten"}
	}
	return authResult{outcome: authOK, cred: cred}
}

// sameRequestURI compares the digest-uri with the Request-URI by scheme,
// user, host and port; parameters are ignored because clients differ in
// whether they copy them (sipgo sends Uri.Addr()).
func sameRequestURI(digestURI string, r sip.Uri) bool {
	var d sip.Uri
	if err := sip.ParseUri(digestURI, &d); err != nil {
		return false
	}
	if d.Scheme != "sip" && d.Scheme != "sips" {
		return strings.EqualFold(d.Scheme, r.Scheme) && d.Raw() == r.Raw()
	}
	return strings.EqualFold(d.Scheme, r.Scheme) && d.User == r.User &&
		strings.EqualFold(d.Host, r.Host) && d.Port == r.Port
}

// challenge builds the 401 for req: one WWW-Authenticate per algorithm in
// the configured order, by default SHA-256 first (RFC 8760 2.4, RFC 7616
// 3.7: in order of preference), all with the same fresh nonce, qop="auth"
// and stale=true when asked.
func (a *authenticator) challenge(req *sip.Request, src netip.Addr, stale bool) *sip.Response {
	res := sip.NewResponseFromRequest(req, sip.StatusUnauthorized, "Unauthorized", nil)
	nonce := a.nonces.mint(a.now(), src)
	for _, alg := range a.algs {
		v := fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=%s, qop="auth"`, a.realm, nonce, alg)
		if stale {
			v += ", stale=true"
		}
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", v))
	}
	return res
}
