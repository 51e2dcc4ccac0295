package dialertest

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// realm is the digest realm the UAS challenges in.
const realm = "callroute"

// auth is the UAS's digest check: a fresh nonce per challenge, one header
// per algorithm offered (RFC 8760 2.4), qop=auth.
type auth struct {
	b      Behaviour
	header string // the challenge header
	answer string // the credentials header
	mu     sync.Mutex
	nonces map[string]bool
}

func newAuth(b Behaviour) *auth {
	a := &auth{b: b, header: "WWW-Authenticate", answer: "Authorization", nonces: map[string]bool{}}
	if b.Proxy {
		a.header, a.answer = "Proxy-Authenticate", "Proxy-Authorization"
	}
	if len(a.b.Algorithms) == 0 {
		a.b.Algorithms = []string{"SHA-256", "MD5"}
	}
	return a
}

// challenge is the 401 (or 407) to req.
func (a *auth) challenge(req *sip.Request) *sip.Response {
	var b [12]byte
	_, _ = rand.Read(b[:])
	nonce := hex.EncodeToString(b[:])
	a.mu.Lock()
	a.nonces[nonce] = true
	a.mu.Unlock()
	code, reason := sip.StatusUnauthorized, "Unauthorized"
	if a.b.Proxy {
		code, reason = sip.StatusProxyAuthRequired, "Proxy Authentication Required"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, alg := range a.b.Algorithms {
		chal := digest.Challenge{Realm: realm, Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}}
		res.AppendHeader(sip.NewHeader(a.header, chal.String()))
	}
	return res
}

// check verifies req's credentials: the algorithm used and whether they
// are valid (user, password, one of our nonces, an offered algorithm).
func (a *auth) check(req *sip.Request) (string, bool) {
	h := req.GetHeader(a.answer)
	if h == nil {
		return "", false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Username != a.b.Username || cred.Realm != realm {
		return "", false
	}
	a.mu.Lock()
	known := a.nonces[cred.Nonce]
	a.mu.Unlock()
	alg := strings.ToUpper(cred.Algorithm)
	if alg == "" {
		alg = "MD5"
	}
	offered := false
	for _, o := range a.b.Algorithms {
		offered = offered || strings.EqualFold(o, alg)
	}
	if !known || !offered || cred.URI != req.Recipient.Addr() {
		return alg, false
	}
	chal := &digest.Challenge{Realm: realm, Nonce: cred.Nonce, Algorithm: alg, QOP: []string{"auth"}}
	want, err := digest.Digest(chal, digest.Options{Method: string(req.Method), URI: cred.URI,
		Username: cred.Username, Password: a.b.Password, Cnonce: cred.Cnonce, Count: cred.Nc})
	if err != nil || want.Response != cred.Response {
		return alg, false
	}
	return alg, true
}
