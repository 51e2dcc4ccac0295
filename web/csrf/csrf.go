// Package csrf keeps other sites from making a signed-in browser change
// anything (OWASP ASVS 5.0 3.5.1-3.5.3). Two independent checks guard every
// state-changing request:
//
//   - CrossOrigin: the browser's own word, Sec-Fetch-Site or else Origin,
//     through Go's http.CrossOriginProtection; cross-origin unsafe requests
//     get 403. Requests without either header (curl, scripts) pass: they
//     carry no ambient credentials of a browser.
//   - Protect: a per-session synchronizer token, in a hidden form field
//     (FieldName) or, for fetch() calls, a header (HeaderName). Pages get it
//     from their session (session.CSRFToken) and put it in every form and in
//     <meta name="csrf-token">.
//
// Safe methods (GET, HEAD, OPTIONS) are never checked, so they must never
// change anything.
package csrf

import (
	"crypto/subtle"
	"mime"
	"net/http"
)

const (
	// FieldName is the hidden form field that carries the token.
	FieldName = "csrf_token"
	// HeaderName is the request header that carries the token for fetch().
	HeaderName = "X-CSRF-Token"
	// MaxFormBytes bounds a form body read to find the token.
	MaxFormBytes = 64 << 10
)

// Safe reports whether a method is safe (RFC 9110 section 9.2.1): one that
// must not change anything and is therefore not checked.
func Safe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// Equal compares a token sent with the one expected, in constant time; an
// empty expected token matches nothing.
func Equal(sent, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(want)) == 1
}

// HeaderMatches reports whether the request's HeaderName carries want.
func HeaderMatches(r *http.Request, want string) bool {
	return Equal(r.Header.Get(HeaderName), want)
}

// Matches reports whether the request carries want, in HeaderName or, for a
// URL-encoded form, in FieldName. Reading the form reads at most
// MaxFormBytes of the body; handlers then find the form parsed.
func Matches(w http.ResponseWriter, r *http.Request, want string) bool {
	if v := r.Header.Get(HeaderName); v != "" {
		return Equal(v, want)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		return false
	}
	return Equal(r.PostForm.Get(FieldName), want)
}

// Protect refuses every unsafe request that does not carry the token want
// returns for it (the session's), answering with deny (a 403).
func Protect(want func(*http.Request) string, deny http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !Safe(r.Method) && !Matches(w, r, want(r)) {
				deny.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CrossOrigin returns Go's cross-origin protection with deny as the answer
// to a refused request (it must answer 403). It lets every GET, HEAD and
// OPTIONS through, WebSocket upgrades included: a WebSocket handler checks
// Origin itself.
func CrossOrigin(deny http.Handler) *http.CrossOriginProtection {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(deny)
	return p
}
