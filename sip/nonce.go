package sip

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
	"time"
)

// Nonces are stateless: issue time and 128 random bits, signed with
// HMAC-SHA256 over the server secret and the client's IP address, so any
// node sharing the secret can check one without storage, a nonce cannot be
// forged, its age cannot be altered, and it is useless from another address
// (security.md: "bind at least the source IP"). RFC 2617 3.2.1 leaves the
// nonce format to the server and suggests exactly this kind of construction.
//
//	nonce = base64url( issued(8, unix nanoseconds) | random(16) | mac(16) )
const (
	nonceTimeLen = 8
	nonceRandLen = 16
	nonceMACLen  = 16
	nonceRawLen  = nonceTimeLen + nonceRandLen + nonceMACLen
	// nonceSkew tolerates clocks of nodes that disagree a little.
	nonceSkew = 5 * time.Second
)

type nonceState int

const (
	nonceInvalid nonceState = iota // malformed, forged, other address, from the future
	nonceFresh
	nonceExpired
)

type nonceMinter struct {
	secret   []byte
	lifetime time.Duration
}

func newNonceMinter(secret []byte, lifetime time.Duration) (*nonceMinter, error) {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
	}
	return &nonceMinter{secret: append([]byte(nil), secret...), lifetime: lifetime}, nil
}

func (m *nonceMinter) mac(body []byte, ip netip.Addr) []byte {
	h := hmac.New(sha256.New, m.secret)
	h.Write(body)
	a := ip.Unmap().As16()
	h.Write(a[:])
	return h.Sum(nil)[:nonceMACLen]
}

// mint issues a nonce for a client at ip.
func (m *nonceMinter) mint(now time.Time, ip netip.Addr) string {
	var raw [nonceRawLen]byte
	binary.BigEndian.PutUint64(raw[:nonceTimeLen], uint64(now.UnixNano()))
	_, _ = rand.Read(raw[nonceTimeLen : nonceTimeLen+nonceRandLen]) // never fails (Go 1.24+)
	copy(raw[nonceTimeLen+nonceRandLen:], m.mac(raw[:nonceTimeLen+nonceRandLen], ip))
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// check verifies a nonce presented by a client at ip and returns its issue
// time. The MAC is compared in constant time.
func (m *nonceMinter) check(nonce string, now time.Time, ip netip.Addr) (nonceState, time.Time) {
	if len(nonce) != base64.RawURLEncoding.EncodedLen(nonceRawLen) {
		return nonceInvalid, time.Time{}
	}
	raw, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(raw) != nonceRawLen {
		return nonceInvalid, time.Time{}
	}
	body, sum := raw[:nonceTimeLen+nonceRandLen], raw[nonceTimeLen+nonceRandLen:]
	if !hmac.Equal(sum, m.mac(body, ip)) {
		return nonceInvalid, time.Time{}
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(raw[:nonceTimeLen])))
	switch {
	case issued.After(now.Add(nonceSkew)):
		return nonceInvalid, issued
	case now.Sub(issued) > m.lifetime:
		return nonceExpired, issued
	}
	return nonceFresh, issued
}
