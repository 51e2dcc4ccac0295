package sip

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"strings"
)

// Digest response computation, RFC 2617 3.2.2 (MD5) and RFC 7616 3.4 /
// RFC 8760 2 (SHA-256), for qop=auth only. Both are pure functions so the
// RFC examples test them directly.

const (
	algMD5    = "MD5"
	algSHA256 = "SHA-256"
)

// digestAlgorithm normalises the algorithm directive; "" is MD5 (RFC 2617
// 3.2.1: "If this is not present it is assumed to be MD5"). Session variants
// ("-sess") are not offered and so not accepted.
func digestAlgorithm(a string) (string, bool) {
	switch strings.ToUpper(a) {
	case "", algMD5:
		return algMD5, true
	case algSHA256:
		return algSHA256, true
	}
	return "", false
}

func newDigestHash(alg string) hash.Hash {
	if alg == algSHA256 {
		return sha256.New()
	}
	return md5.New()
}

func hexHash(alg string, parts ...string) string {
	h := newDigestHash(alg)
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// HA1 computes H(username:realm:password) for alg ("MD5" or "SHA-256"),
// the value a credential store keeps instead of the password.
func HA1(alg, username, realm, password string) string {
	return hexHash(alg, username, realm, password)
}

// digestParams are the directives of one Authorization header that enter
// the response (RFC 2617 3.2.2.1).
type digestParams struct {
	Method, URI, Nonce, NC, Cnonce, QOP string
}

// digestResponse computes request-digest for qop=auth:
//
//	KD(HA1, nonce ":" nc ":" cnonce ":" qop ":" H(method ":" digest-uri))
//
// with KD(secret, data) = H(secret ":" data) (RFC 2617 3.2.2.1, 3.2.2.3).
func digestResponse(alg, ha1 string, p digestParams) string {
	ha2 := hexHash(alg, p.Method, p.URI)
	return hexHash(alg, ha1, p.Nonce, p.NC, p.Cnonce, p.QOP, ha2)
}

// digestEqual compares two hex responses in constant time, ignoring case
// (RFC 2617 uses LHEX, but be liberal in what we accept).
func digestEqual(got, want string) bool {
	g := []byte(strings.ToLower(got))
	return subtle.ConstantTimeCompare(g, []byte(want)) == 1
}
