package dialer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// authorize adds the answer to the digest challenge of res (401
// WWW-Authenticate or 407 Proxy-Authenticate) to req, choosing SHA-256 when
// the server offers it (RFC 8760 2.4: one header per algorithm, in order of
// preference) and MD5 otherwise. It returns the algorithm used.
func authorize(req *sip.Request, res *sip.Response, username, password string) (string, error) {
	challengeHdr, answerHdr := "WWW-Authenticate", "Authorization"
	if res.StatusCode == sip.StatusProxyAuthRequired {
		challengeHdr, answerHdr = "Proxy-Authenticate", "Proxy-Authorization"
	}
	var best *digest.Challenge
	for _, h := range res.GetHeaders(challengeHdr) {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil || !digest.CanDigest(chal) {
			continue
		}
		chal.Algorithm = strings.ToUpper(chal.Algorithm)
		switch chal.Algorithm {
		case "SHA-256":
			best = chal
		case "", "MD5":
			if best == nil {
				best = chal
			}
		}
		if best != nil && best.Algorithm == "SHA-256" {
			break
		}
	}
	if best == nil {
		return "", errors.New("no digest challenge with MD5 or SHA-256")
	}
	cred, err := digest.Digest(best, digest.Options{
		Method:   string(req.Method),
		URI:      req.Recipient.Addr(),
		Username: username,
		Password: password,
	})
	if err != nil {
		return "", fmt.Errorf("answer the digest challenge: %w", err)
	}
	req.RemoveHeader(answerHdr)
	req.AppendHeader(sip.NewHeader(answerHdr, cred.String()))
	if best.Algorithm == "" {
		return "MD5", nil
	}
	return best.Algorithm, nil
}
