package sip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Config is the SIP edge's configuration. Start from [DefaultConfig] and
// override; [Config.Validate] names the field at fault.
type Config struct {
	// UDPListen and TCPListen are the bind addresses (host:port). An empty
	// value turns that listener off; at least one listener must be on.
	UDPListen string
	TCPListen string
	// TLSListen turns SIP over TLS on when set, with TLSCertFile and
	// TLSKeyFile (PEM). TLS 1.2 is the minimum.
	TLSListen   string
	TLSCertFile string
	TLSKeyFile  string

	// AnnounceHost and AnnouncePort are written into Via, Contact and
	// Record-Route: the address other parties reach us at, which differs from
	// the bind address behind NAT or in a container. AnnounceHost defaults to
	// the UDP (else TCP) bind host when that is a specific address;
	// AnnouncePort 0 means the port actually bound.
	AnnounceHost string
	AnnouncePort int

	// Realm is the digest realm (RFC 3261 22.1). It must equal the realm the
	// users' HA1 values were computed with.
	Realm string

	// Trunks are the source prefixes allowed to send INVITEs without
	// authentication (CALLROUTE_TRUNKS).
	Trunks []netip.Prefix

	// NonceLifetime bounds how long a digest nonce is accepted; after it a
	// correct response gets a fresh challenge with stale=true (RFC 2617 3.2.1).
	NonceLifetime time.Duration
	// NonceSecret signs nonces (HMAC-SHA256). Empty: a random secret per
	// process. Nodes that share a load balancer must share the secret.
	NonceSecret []byte
	// NonceCacheSize bounds the nonce-count replay cache (entries).
	NonceCacheSize int
	// DigestAlgorithms are the challenges offered, one WWW-Authenticate
	// each, in this order: "SHA-256" first by default (RFC 8760 2.4), then
	// "MD5" for legacy phones. Drop "MD5" to refuse it; put it first for
	// clients that answer the first challenge whatever its algorithm (SIPp
	// 3.6 does, and fails on SHA-256).
	DigestAlgorithms []string

	// AuthFailLimit failures from one source address within AuthFailWindow
	// make that source get 403 for AuthBanTime (brute-force brake).
	AuthFailLimit  int
	AuthFailWindow time.Duration
	AuthBanTime    time.Duration
	// AuthMaxSources bounds the memory of the brake (tracked addresses).
	AuthMaxSources int

	// Registration expiry (RFC 3261 10.3 step 7): requests below MinExpires
	// get 423 Interval Too Brief; above MaxExpires are clamped; without any
	// expiry the binding lasts DefaultExpires.
	MinExpires     time.Duration
	MaxExpires     time.Duration
	DefaultExpires time.Duration
	// MaxBindingsPerUser caps the phones registered for one user; a new
	// binding beyond it replaces the one closest to expiry.
	MaxBindingsPerUser int
	// RegistrarSweep is how often expired bindings are dropped.
	RegistrarSweep time.Duration

	// RatePerSecond and RateBurst shape the per-source token bucket applied
	// to every datagram or TCP read before parsing. Trunk sources are exempt
	// unless RateLimitTrunks is set.
	RatePerSecond   float64
	RateBurst       int
	RateLimitTrunks bool
	// RateIdle: buckets idle this long are evicted. RateMaxSources bounds the
	// tracked sources; beyond it new sources share one overflow bucket.
	RateIdle       time.Duration
	RateMaxSources int

	// MaxMessageSize bounds one SIP message (bytes); MaxHeaders the header
	// fields in it; MaxHeaderValue one header's value (bytes).
	MaxMessageSize int
	MaxHeaders     int
	MaxHeaderValue int

	// RetryAfter is sent with 503 (no call handler, shutting down).
	RetryAfter time.Duration
	// UserAgent names us in requests we send (no version: security.md).
	UserAgent string
}

// DefaultConfig returns the defaults: loopback listeners on 5060, realm
// "callroute", trunks 127.0.0.1/32, 5 min nonces, registrations 60 s to
// 3600 s (600 s default), 10 phones per user, 50 requests/s per source.
func DefaultConfig() Config {
	return Config{
		UDPListen:          "127.0.0.1:5060",
		TCPListen:          "127.0.0.1:5060",
		Realm:              "callroute",
		Trunks:             []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		NonceLifetime:      5 * time.Minute,
		NonceCacheSize:     65536,
		DigestAlgorithms:   []string{algSHA256, algMD5},
		AuthFailLimit:      10,
		AuthFailWindow:     time.Minute,
		AuthBanTime:        5 * time.Minute,
		AuthMaxSources:     65536,
		MinExpires:         60 * time.Second,
		MaxExpires:         3600 * time.Second,
		DefaultExpires:     600 * time.Second,
		MaxBindingsPerUser: 10,
		RegistrarSweep:     5 * time.Second,
		RatePerSecond:      50,
		RateBurst:          100,
		RateIdle:           time.Minute,
		RateMaxSources:     65536,
		MaxMessageSize:     16 * 1024,
		MaxHeaders:         128,
		MaxHeaderValue:     4096,
		RetryAfter:         30 * time.Second,
		UserAgent:          "callroute",
	}
}

// ParseTrunks parses a comma-separated list of CIDRs or bare addresses
// (CALLROUTE_TRUNKS). A bare address means a single host.
func ParseTrunks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trunk %q: %w", f, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trunk %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Validate checks the configuration; each error names the field.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("sip config: %s: %s", field, fmt.Sprintf(format, a...)))
	}
	if c.UDPListen == "" && c.TCPListen == "" && c.TLSListen == "" {
		bad("UDPListen", "no listener configured (UDPListen, TCPListen and TLSListen are all empty)")
	}
	for field, addr := range map[string]string{"UDPListen": c.UDPListen, "TCPListen": c.TCPListen, "TLSListen": c.TLSListen} {
		if addr == "" {
			continue
		}
		if _, _, err := splitHostPort(addr); err != nil {
			bad(field, "%v", err)
		}
	}
	if c.TLSListen != "" && (c.TLSCertFile == "" || c.TLSKeyFile == "") {
		bad("TLSCertFile", "TLSListen is set but TLSCertFile or TLSKeyFile is empty")
	}
	if c.AnnounceHost != "" {
		if err := checkHeaderValue(c.AnnounceHost); err != nil || strings.ContainsAny(c.AnnounceHost, " ;,<>\"@") {
			bad("AnnounceHost", "%q is not a host name or address", c.AnnounceHost)
		}
	} else if h := c.bindHost(); h == "" {
		bad("AnnounceHost", "required when the listener binds all interfaces")
	}
	if c.AnnouncePort < 0 || c.AnnouncePort > 65535 {
		bad("AnnouncePort", "%d is out of range", c.AnnouncePort)
	}
	if !validRealm(c.Realm) {
		bad("Realm", "%q must be 1-64 printable characters without quotes, backslashes or commas", c.Realm)
	}
	for _, p := range c.Trunks {
		if !p.IsValid() {
			bad("Trunks", "invalid prefix %v", p)
		}
	}
	positive := map[string]time.Duration{
		"NonceLifetime": c.NonceLifetime, "AuthFailWindow": c.AuthFailWindow, "AuthBanTime": c.AuthBanTime,
		"MinExpires": c.MinExpires, "MaxExpires": c.MaxExpires, "DefaultExpires": c.DefaultExpires,
		"RegistrarSweep": c.RegistrarSweep, "RateIdle": c.RateIdle, "RetryAfter": c.RetryAfter,
	}
	for field, d := range positive {
		if d <= 0 {
			bad(field, "must be positive, got %v", d)
		}
	}
	if c.MinExpires > c.MaxExpires {
		bad("MinExpires", "%v is above MaxExpires %v", c.MinExpires, c.MaxExpires)
	}
	if c.DefaultExpires < c.MinExpires || c.DefaultExpires > c.MaxExpires {
		bad("DefaultExpires", "%v is outside MinExpires..MaxExpires", c.DefaultExpires)
	}
	counts := map[string]int{
		"NonceCacheSize": c.NonceCacheSize, "AuthFailLimit": c.AuthFailLimit, "AuthMaxSources": c.AuthMaxSources,
		"MaxBindingsPerUser": c.MaxBindingsPerUser, "RateBurst": c.RateBurst, "RateMaxSources": c.RateMaxSources,
		"MaxMessageSize": c.MaxMessageSize, "MaxHeaders": c.MaxHeaders, "MaxHeaderValue": c.MaxHeaderValue,
	}
	for field, n := range counts {
		if n <= 0 {
			bad(field, "must be positive, got %d", n)
		}
	}
	if c.RatePerSecond <= 0 {
		bad("RatePerSecond", "must be positive, got %v", c.RatePerSecond)
	}
	if c.MaxMessageSize > 65535 {
		bad("MaxMessageSize", "%d is above 65535 (the UDP limit)", c.MaxMessageSize)
	}
	if !validAlgorithms(c.DigestAlgorithms) {
		bad("DigestAlgorithms", "%q must list SHA-256 and/or MD5, each once", c.DigestAlgorithms)
	}
	if len(c.NonceSecret) > 0 && len(c.NonceSecret) < 16 {
		bad("NonceSecret", "must be empty (random) or at least 16 bytes")
	}
	if c.UserAgent == "" || checkHeaderValue(c.UserAgent) != nil {
		bad("UserAgent", "must be a non-empty header-safe string")
	}
	return errors.Join(errs...)
}

// bindHost is the host of the first configured listener, or "" when that
// listener binds all interfaces.
func (c Config) bindHost() string {
	for _, addr := range []string{c.UDPListen, c.TCPListen, c.TLSListen} {
		if addr == "" {
			continue
		}
		h, _, err := splitHostPort(addr)
		if err != nil {
			return ""
		}
		if ip, err := netip.ParseAddr(h); err == nil && ip.IsUnspecified() || h == "" {
			return ""
		}
		return h
	}
	return ""
}

func splitHostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", addr)
	}
	return h, port, nil
}

func validRealm(r string) bool {
	if r == "" || len(r) > 64 {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == ',' {
			return false
		}
	}
	return true
}

func validAlgorithms(algs []string) bool {
	if len(algs) == 0 || len(algs) > 2 {
		return false
	}
	seen := map[string]bool{}
	for _, a := range algs {
		if (a != algSHA256 && a != algMD5) || seen[a] {
			return false
		}
		seen[a] = true
	}
	return true
}
