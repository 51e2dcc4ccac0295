package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"time"

	"callroute/crm"
)

// HTTPConfig is the configuration of the HTTP server's TLS and of browser
// sessions.
type HTTPConfig struct {
	TLSCert string // PEM certificate (with chain); with TLSKey: HTTPS only
	TLSKey  string

	SessionIdleTimeout time.Duration
	SessionMaxAge      time.Duration
}

// httpFlags are serve's settings for HTTPS and sign-in sessions.
func (cfg *Config) httpFlags(fs *flag.FlagSet) {
	hc := &cfg.HTTP
	fs.StringVar(&hc.TLSCert, "http-tls-cert", "",
		"TLS certificate `file` (PEM, with its chain) for HTTPS; with --http-tls-key the HTTP server speaks HTTPS only. Browsers allow the softphone's microphone only over HTTPS, except on localhost/127.0.0.1")
	fs.StringVar(&hc.TLSKey, "http-tls-key", "", "TLS private key `file` (PEM) of --http-tls-cert")
	fs.DurationVar(&hc.SessionIdleTimeout, "session-idle-timeout", crm.DefaultSessionIdleTimeout,
		"sign a browser out after this long without a request (`duration`); an open softphone page keeps its session alive")
	fs.DurationVar(&hc.SessionMaxAge, "session-max-age", crm.DefaultSessionMaxAge,
		"sign a browser out this long after it signed in, however busy (`duration`)")
}

// checkHTTP reports settings that do not go together.
func (cfg *Config) checkHTTP() error {
	hc := &cfg.HTTP
	if (hc.TLSCert == "") != (hc.TLSKey == "") {
		return usagef("serve: --http-tls-cert and --http-tls-key go together: give both (HTTPS) or neither (plain HTTP)")
	}
	if hc.SessionIdleTimeout <= 0 {
		return usagef("serve: --session-idle-timeout must be positive, got %v", hc.SessionIdleTimeout)
	}
	if hc.SessionMaxAge <= 0 {
		return usagef("serve: --session-max-age must be positive, got %v", hc.SessionMaxAge)
	}
	return nil
}

// httpsOn reports whether the HTTP server speaks HTTPS.
func (cfg *Config) httpsOn() bool { return cfg.HTTP.TLSCert != "" }

// httpTLS loads the HTTPS certificate, so a bad file fails at start with
// its name, not at the first connection. TLS 1.2 is the oldest version
// accepted.
func (cfg *Config) httpTLS() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.HTTP.TLSCert, cfg.HTTP.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("--http-tls-cert %s / --http-tls-key %s: %w", cfg.HTTP.TLSCert, cfg.HTTP.TLSKey, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// sessionPolicy is the configured session policy.
func (cfg *Config) sessionPolicy() crm.SessionPolicy {
	return crm.SessionPolicy{IdleTimeout: cfg.HTTP.SessionIdleTimeout, MaxAge: cfg.HTTP.SessionMaxAge}
}
