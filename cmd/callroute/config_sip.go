package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"callroute/media"
	"callroute/routing"
	"callroute/sip"
)

// CallConfig is the configuration of taking calls: the SIP edge, media and
// the routing rules.
type CallConfig struct {
	SIPTCPAddr   string // "" = no TCP listener
	SIPTLSAddr   string
	SIPTLSCert   string
	SIPTLSKey    string
	SIPAnnounce  string // host[:port] written into SIP headers; "" = the bound address
	Trunks       string // CIDR list of sources admitted without auth
	Digest       string // digest algorithms offered, in order: "SHA-256,MD5"
	RTPPorts     string
	RTPAnnounce  string // address written into SDP; "" = the RTP bind address
	SymmetricRTP bool
	MediaTimeout time.Duration
	NoEarlyMedia bool
	Routing      routing.Settings
	BusinessHrs  string
	TimeZone     string
	DeskStrategy string
	DrainTimeout time.Duration

	// The browser softphone (config_softphone.go).
	WebRTCAddr       string
	HeartbeatTimeout time.Duration
}

const (
	defaultTrunks       = "127.0.0.1/32"
	defaultDigest       = "SHA-256,MD5"
	defaultRTPPorts     = "20000-20999"
	defaultDrainTimeout = 30 * time.Second
)

// callFlags are serve's settings for calls.
func (cfg *Config) callFlags(fs *flag.FlagSet) {
	cc := &cfg.Calls
	cc.Routing = routing.DefaultSettings()
	fs.StringVar(&cc.SIPTCPAddr, "sip-tcp-addr", "",
		"`host:port` for SIP over TCP (default: the --sip-addr host and port; \"off\" for none)")
	fs.StringVar(&cc.SIPTLSAddr, "sip-tls-addr", "", "`host:port` for SIP over TLS (needs --sip-tls-cert and --sip-tls-key)")
	fs.StringVar(&cc.SIPTLSCert, "sip-tls-cert", "", "TLS certificate `file` (PEM) for SIP over TLS")
	fs.StringVar(&cc.SIPTLSKey, "sip-tls-key", "", "TLS key `file` (PEM) for SIP over TLS")
	fs.StringVar(&cc.SIPAnnounce, "sip-announce", "",
		"`host[:port]` written into SIP headers (Via, Contact) when it differs from the bound address (NAT)")
	checkedVar(fs, &cc.Trunks, "trunks", defaultTrunks,
		"comma-separated `CIDRs` of trunks and PBXs allowed to send calls without authentication; everyone else must authenticate as a SIP user",
		func(s string) (string, error) { _, err := sip.ParseTrunks(s); return s, err })
	checkedVar(fs, &cc.Digest, "sip-digest", defaultDigest,
		"digest `algorithms` challenged, in order, one WWW-Authenticate each: SHA-256,MD5; put MD5 first for phones that answer only the first challenge and know only MD5 (SIPp 3.6), or give SHA-256 alone to refuse MD5",
		func(s string) (string, error) {
			algs, err := parseDigest(s)
			return strings.Join(algs, ","), err
		})
	checkedVar(fs, &cc.RTPPorts, "rtp-ports", defaultRTPPorts, "UDP port `range` for RTP, e.g. 20000-20999 (two ports per call leg)",
		func(s string) (string, error) { _, _, err := media.ParsePortRange(s); return s, err })
	checkedVar(fs, &cc.RTPAnnounce, "rtp-announce", "", "IP `address` written into SDP when it differs from the bound address (NAT)",
		func(s string) (string, error) {
			if _, err := netip.ParseAddr(s); err != nil {
				return "", fmt.Errorf("want an IP address: %v", err)
			}
			return s, nil
		})
	fs.BoolVar(&cc.SymmetricRTP, "symmetric-rtp", false, "always send RTP back to where the other side's RTP comes from (phones behind NAT)")
	fs.DurationVar(&cc.MediaTimeout, "media-timeout", media.DefaultMediaTimeout, "end a call after this long without RTP from the caller (`duration`)")
	fs.BoolVar(&cc.NoEarlyMedia, "no-early-media", false, "send 180 Ringing without audio instead of 183 with callroute's ringback tone")
	r := &cc.Routing
	fs.DurationVar(&r.OwnerRingTime, "owner-ring-time", r.OwnerRingTime, "how long the caller's owner (or delegate) rings (`duration`)")
	fs.DurationVar(&r.DeskRingTime, "desk-ring-time", r.DeskRingTime, "how long desk agents ring, per round or per agent (`duration`)")
	checkedVar(fs, &cc.DeskStrategy, "desk-strategy", string(r.DeskStrategy), "how desk agents are rung: ring-all, longest-idle or round-robin",
		func(s string) (string, error) { st, err := routing.ParseStrategy(s); return string(st), err })
	fs.DurationVar(&r.QueueTimeout, "queue-timeout", r.QueueTimeout, "how long a caller waits for the desk before voicemail (`duration`)")
	fs.DurationVar(&r.PositionInterval, "position-interval", r.PositionInterval, "how often a queued caller hears their position (`duration`)")
	fs.IntVar(&r.MaxRingOuts, "max-ring-outs", r.MaxRingOuts, "set an agent away after this many unanswered offers in a row (0: never)")
	fs.DurationVar(&r.WrapUpTime, "wrap-up-time", r.WrapUpTime,
		"after an answered call, how long an agent is not offered the next one while finishing the call's notes (`duration`; 0: none)")
	fs.BoolVar(&r.VoicemailEnabled, "voicemail", r.VoicemailEnabled, "let callers leave a message when nobody answers or the office is closed")
	fs.DurationVar(&r.VoicemailMax, "voicemail-max", r.VoicemailMax, "the longest voicemail message (`duration`)")
	fs.StringVar(&cc.BusinessHrs, "business-hours", "",
		"when calls are routed, e.g. \"mon-fri 09:00-18:00; sat 10:00-14:00\" (default: always); outside them callers reach voicemail")
	fs.StringVar(&cc.TimeZone, "timezone", "UTC", "IANA time `zone` of --business-hours, e.g. Europe/Bucharest")
	fs.DurationVar(&cc.DrainTimeout, "drain-timeout", defaultDrainTimeout, "on shutdown, how long live calls may go on before they are ended (`duration`)")
}

// sipConfig builds the SIP edge's configuration.
func (cfg *Config) sipConfig() (sip.Config, error) {
	cc := &cfg.Calls
	sc := sip.DefaultConfig()
	sc.UDPListen = cfg.SIPAddr
	sc.TCPListen = cfg.SIPAddr
	switch cc.SIPTCPAddr {
	case "":
	case "off":
		sc.TCPListen = ""
	default:
		sc.TCPListen = cc.SIPTCPAddr
	}
	sc.TLSListen, sc.TLSCertFile, sc.TLSKeyFile = cc.SIPTLSAddr, cc.SIPTLSCert, cc.SIPTLSKey
	sc.Realm = cfg.SIPRealm
	var err error
	if sc.DigestAlgorithms, err = parseDigest(cc.Digest); err != nil {
		return sc, fmt.Errorf("--sip-digest: %w", err)
	}
	if sc.Trunks, err = sip.ParseTrunks(cc.Trunks); err != nil {
		return sc, fmt.Errorf("--trunks: %w", err)
	}
	if cc.SIPAnnounce != "" {
		host, port, err := net.SplitHostPort(cc.SIPAnnounce)
		if err != nil {
			host, port = cc.SIPAnnounce, ""
		}
		sc.AnnounceHost = host
		if port != "" {
			if sc.AnnouncePort, err = strconv.Atoi(port); err != nil {
				return sc, fmt.Errorf("--sip-announce: bad port %q", port)
			}
		}
	}
	return sc, sc.Validate()
}

// parseDigest reads --sip-digest: SHA-256 and/or MD5 (any case), each
// once, comma-separated, in the order they are offered.
func parseDigest(s string) ([]string, error) {
	var algs []string
	for _, f := range strings.Split(s, ",") {
		var alg string
		switch strings.ToUpper(strings.TrimSpace(f)) {
		case "":
			continue
		case "SHA-256", "SHA256":
			alg = "SHA-256"
		case "MD5":
			alg = "MD5"
		default:
			return nil, fmt.Errorf("unknown digest algorithm %q: want SHA-256 and/or MD5", strings.TrimSpace(f))
		}
		if slices.Contains(algs, alg) {
			return nil, fmt.Errorf("%s is listed twice", alg)
		}
		algs = append(algs, alg)
	}
	if len(algs) == 0 {
		return nil, errors.New("want SHA-256 and/or MD5")
	}
	return algs, nil
}

// routingSettings builds the routing rules.
func (cfg *Config) routingSettings() (routing.Settings, error) {
	cc := &cfg.Calls
	s := cc.Routing
	s.DeskStrategy = routing.Strategy(cc.DeskStrategy)
	if cc.BusinessHrs != "" {
		bh, err := routing.ParseBusinessHours(cc.BusinessHrs, cc.TimeZone)
		if err != nil {
			return s, fmt.Errorf("--business-hours: %w", err)
		}
		s.BusinessHours = bh
	}
	return s, s.Validate()
}

// rtpAddrs are the RTP bind address (the SIP host) and the announced one.
func (cfg *Config) rtpAddrs() (bind, announce netip.Addr, err error) {
	host, _, err := net.SplitHostPort(cfg.SIPAddr)
	if err != nil {
		return bind, announce, fmt.Errorf("--sip-addr: %w", err)
	}
	if bind, err = netip.ParseAddr(host); err != nil {
		return bind, announce, fmt.Errorf("--sip-addr: want an IP address to bind RTP to: %v", err)
	}
	announce = bind
	if cfg.Calls.RTPAnnounce != "" {
		announce = netip.MustParseAddr(cfg.Calls.RTPAnnounce)
	}
	if announce.IsUnspecified() {
		return bind, announce, fmt.Errorf("--sip-addr %s binds every address: set --rtp-announce to the address phones send RTP to", cfg.SIPAddr)
	}
	return bind, announce, nil
}
