package main

import (
	"flag"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"callroute/media"
	"callroute/media/webrtc"
	"callroute/web/softphone"
)

// softphoneFlags are serve's settings for the browser softphone.
func (cfg *Config) softphoneFlags(fs *flag.FlagSet) {
	cc := &cfg.Calls
	checkedVar(fs, &cc.WebRTCAddr, "webrtc-addr", "",
		"UDP `host:port` the browsers' WebRTC media reaches (one port for every browser leg); default: the --sip-addr host and the last odd port of --rtp-ports (20999), any free port when --sip-addr's port is 0",
		func(s string) (string, error) {
			if s == "" {
				return s, nil
			}
			_, err := netip.ParseAddrPort(s)
			return s, err
		})
	fs.DurationVar(&cc.HeartbeatTimeout, "heartbeat-timeout", softphone.DefaultConfig().HeartbeatTimeout,
		"a browser tab that stops answering the softphone's heartbeats is offline (not rung) after this long (`duration`)")
}

// softphoneConfig is the agent channel's configuration: heartbeats every
// third of the timeout.
func (cfg *Config) softphoneConfig() (softphone.Config, error) {
	c := softphone.DefaultConfig()
	if t := cfg.Calls.HeartbeatTimeout; t > 0 {
		c.HeartbeatTimeout, c.HeartbeatInterval = t, t/3
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("--heartbeat-timeout: %w", err)
	}
	return c, nil
}

// webrtcConfig is the WebRTC engine's configuration: it listens where RTP
// does, and announces what --rtp-announce says.
func (cfg *Config) webrtcConfig() (webrtc.Config, error) {
	cc := &cfg.Calls
	bind, announce, err := cfg.rtpAddrs()
	if err != nil {
		return webrtc.Config{}, err
	}
	var c webrtc.Config
	if cc.WebRTCAddr != "" {
		if c.Listen, err = netip.ParseAddrPort(cc.WebRTCAddr); err != nil {
			return c, fmt.Errorf("--webrtc-addr: %w", err)
		}
	} else {
		port, err := cfg.defaultWebRTCPort()
		if err != nil {
			return c, err
		}
		c.Listen = netip.AddrPortFrom(bind, port)
	}
	if announce != c.Listen.Addr() && !c.Listen.Addr().IsUnspecified() {
		c.Announce = []netip.Addr{announce}
	}
	return c, nil
}

// defaultWebRTCPort is the last odd port of --rtp-ports (the RTP allocator
// takes even ports only, RFC 3550 11): one firewall rule covers SIP and
// browser media. A --sip-addr with port 0 (tests, trying it out) means any
// free port for WebRTC too.
func (cfg *Config) defaultWebRTCPort() (uint16, error) {
	_, p, err := net.SplitHostPort(cfg.SIPAddr)
	if err != nil {
		return 0, fmt.Errorf("--sip-addr: %w", err)
	}
	if n, _ := strconv.Atoi(p); n == 0 {
		return 0, nil
	}
	minPort, maxPort, err := media.ParsePortRange(cfg.Calls.RTPPorts)
	if err != nil {
		return 0, fmt.Errorf("--rtp-ports: %w", err)
	}
	port := maxPort
	if port%2 == 0 {
		port--
	}
	if port < minPort {
		return 0, fmt.Errorf("--rtp-ports %s has no odd port for WebRTC: give --webrtc-addr", cfg.Calls.RTPPorts)
	}
	return uint16(port), nil
}
