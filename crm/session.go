package crm

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Session is one signed-in browser. The browser holds a random token (its
// cookie); only the token's hash is stored, so a copy of the database does
// not let anyone in.
type Session struct {
	ID     int64
	UserID int64
	// TokenHash is HashToken of the browser's token.
	TokenHash string
	// CSRFToken is the session's synchronizer token: every form and every
	// state-changing fetch of the session's pages must carry it. It is
	// useless without the session cookie, so it is stored as it is.
	CSRFToken string
	// Source is the address the user signed in from; UserAgent their
	// browser, as it said (at most MaxUserAgentLen bytes).
	Source     string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// SessionPolicy says how long a browser session lasts (ASVS 5.0 7.3.1,
// 7.3.2).
type SessionPolicy struct {
	// IdleTimeout ends a session that made no request for this long. The
	// softphone page keeps its session alive while it is open.
	IdleTimeout time.Duration
	// MaxAge ends a session this long after sign-in, however busy: a new
	// working day starts with a new sign-in.
	MaxAge time.Duration
}

// Session defaults: an absolute working day, and idle long enough that a
// lunch break or a long meeting with the browser closed does not sign
// anyone out, short enough that a session left on a shared machine dies
// the same afternoon.
const (
	DefaultSessionIdleTimeout = 2 * time.Hour
	DefaultSessionMaxAge      = 12 * time.Hour
)

// maxTouchEvery bounds how often a busy session's last-seen time is
// written: at most once a minute (or a tenth of the idle timeout, if
// shorter), so pages do not write to the database on every request. Idle
// time is measured to within this.
const maxTouchEvery = time.Minute

func (p SessionPolicy) withDefaults() SessionPolicy {
	if p.IdleTimeout <= 0 {
		p.IdleTimeout = DefaultSessionIdleTimeout
	}
	if p.MaxAge <= 0 {
		p.MaxAge = DefaultSessionMaxAge
	}
	return p
}

func (p SessionPolicy) touchEvery() time.Duration { return min(maxTouchEvery, p.IdleTimeout/10) }

// expired reports why a session is over at now ("" while it lives).
func (p SessionPolicy) expired(s *Session, now time.Time) string {
	switch {
	case now.Sub(s.CreatedAt) >= p.MaxAge:
		return "max_age"
	case now.Sub(s.LastSeenAt) >= p.IdleTimeout:
		return "idle"
	}
	return ""
}

// SignInThrottle is the brake on password guessing (ASVS 5.0 6.3.1): tries
// that did not succeed are counted per source address and per email from
// that source over a sliding window; over a limit, further tries from there
// are refused without checking the password (and counted: a source that
// keeps guessing stays braked). The real user signing in from elsewhere is
// never locked out, since the count is per source.
type SignInThrottle struct {
	// Window is the span failures are counted over.
	Window time.Duration
	// PerAccountSource is how many failures for one email from one source
	// the window allows.
	PerAccountSource int
	// PerSource is how many failures from one source (any emails) the window
	// allows; higher, for an office behind one address.
	PerSource int
}

// Sign-in throttle defaults.
const (
	DefaultSignInWindow           = time.Minute
	DefaultSignInPerAccountSource = 10
	DefaultSignInPerSource        = 30
)

func (t SignInThrottle) withDefaults() SignInThrottle {
	if t.Window <= 0 {
		t.Window = DefaultSignInWindow
	}
	if t.PerAccountSource <= 0 {
		t.PerAccountSource = DefaultSignInPerAccountSource
	}
	if t.PerSource <= 0 {
		t.PerSource = DefaultSignInPerSource
	}
	return t
}

// SignInAttempt is one try at signing in that has not (yet) succeeded. The
// throttle counts them; a successful sign-in forgets those for its email
// from its source.
type SignInAttempt struct {
	Source   string
	EmailKey string // the email as typed, trimmed and lower-cased
	At       time.Time
}

// ErrThrottled is returned by SignIn when too many sign-ins failed from the
// source lately.
var ErrThrottled = errors.New("too many failed sign-ins")

// Input bounds of a sign-in: longer values cannot be anyone's, and are not
// stored or hashed at length.
const (
	MaxEmailLen     = 254 // RFC 5321 section 4.5.3.1.3 path limit
	MaxPasswordLen  = 1024
	MaxUserAgentLen = 256
	MaxSourceLen    = 64
)

// sessionTokenPrefix marks session tokens, as tokenPrefix marks API tokens:
// one is never accepted as the other.
const sessionTokenPrefix = "crs_"

// NewSessionToken returns a new random session token (256 bits from the
// system CSPRNG, ASVS 5.0 7.2.3) and the hash to store.
func NewSessionToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("read session token: %w", err)
	}
	token = sessionTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// NewCSRFToken returns a new random synchronizer token (256 bits).
func NewCSRFToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read CSRF token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// emailKey is the throttle's and the lookup's form of a typed email.
func emailKey(email string) string {
	return storable(strings.ToLower(strings.TrimSpace(email)), MaxEmailLen)
}

// storable makes text from a request safe to store in either database:
// valid UTF-8 without NUL (PostgreSQL refuses both), at most n bytes, cut at
// a character boundary.
func storable(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
