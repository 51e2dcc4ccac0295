package webrtc

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// DefaultPort is the UDP port ICE listens on when Config.Listen gives none.
// It is the last port of callroute's default RTP range (20000-20999), which
// the RTP allocator never binds because it takes even ports only (RFC 3550
// 11); so one firewall rule, UDP 20000-20999, covers the media of SIP phones
// and of browsers.
const DefaultPort = 20999

// ICE timeouts (see Config). A browser that vanishes (tab killed, laptop
// lid closed, network gone) is noticed DefaultDisconnectedTimeout +
// DefaultFailedTimeout after its last packet: 5 s. pion's own defaults are
// 5 s + 25 s, too long for a caller listening to silence.
const (
	DefaultDisconnectedTimeout = 2 * time.Second
	DefaultFailedTimeout       = 3 * time.Second
	// DefaultKeepaliveInterval is how often pion sends a STUN binding
	// request on the selected pair (RFC 7675 consent freshness); the
	// browser's responses keep the pair alive when it sends no RTP.
	DefaultKeepaliveInterval = time.Second
)

// udpReadBuffer is the socket receive buffer asked for on the shared ICE
// socket: every browser leg's packets arrive there (50 packets/s each), so
// a short stall of the reading goroutine must not overflow the kernel's
// default of about 200 KB. The kernel caps it at net.core.rmem_max.
const udpReadBuffer = 4 << 20

// Config is the Engine's configuration, one per process.
type Config struct {
	// Listen is the UDP address ICE listens on, shared by every browser
	// leg (one socket, demultiplexed by ICE username; firewall friendly).
	// The zero value means 127.0.0.1:DefaultPort; give the SIP host, as
	// RTP does. Port 0 takes any free port (tests). IPv4 only. A loopback
	// address also turns on loopback candidates (tests, development:
	// Chrome then needs --allow-loopback-in-peer-connection). 0.0.0.0
	// listens on every interface, one socket each on the same port.
	Listen netip.AddrPort
	// Announce lists the public IPv4 addresses of a 1:1 NAT in front of
	// the Listen address. They replace the bound address in the host
	// candidates of every offer (pion ICEAddressRewriteRule, host type:
	// with a UDP mux an srflx rewrite advertised a random port, pion
	// #1791). Requires a specific Listen address.
	Announce []netip.Addr
	// AnnouncePort is the port the NAT forwards to Listen's port, when
	// it differs; 0 keeps Listen's port.
	AnnouncePort uint16
	// DisconnectedTimeout is how long without any packet from the browser
	// before ICE reports the leg disconnected; FailedTimeout is how much
	// longer before it fails and the leg ends. KeepaliveInterval is the
	// STUN consent check interval. Zero means the default; negative is an
	// error.
	DisconnectedTimeout time.Duration
	FailedTimeout       time.Duration
	KeepaliveInterval   time.Duration
}

// withDefaults checks c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	if !c.Listen.IsValid() {
		c.Listen = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), DefaultPort)
	}
	ip := c.Listen.Addr().Unmap()
	if !ip.Is4() {
		return c, fmt.Errorf("webrtc: Config.Listen %v: want an IPv4 address (ICE runs on UDP4 only)", c.Listen)
	}
	c.Listen = netip.AddrPortFrom(ip, c.Listen.Port())
	if ip.IsUnspecified() && c.Listen.Port() == 0 {
		return c, fmt.Errorf("webrtc: Config.Listen %v: port 0 needs a specific address (one socket per interface would get a port each)", c.Listen)
	}
	c.Announce = slices.Clone(c.Announce)
	for i, a := range c.Announce {
		a = a.Unmap()
		if !a.Is4() || a.IsUnspecified() {
			return c, fmt.Errorf("webrtc: Config.Announce[%d] %v: want a specific IPv4 address", i, c.Announce[i])
		}
		c.Announce[i] = a
	}
	if len(c.Announce) > 0 && ip.IsUnspecified() {
		return c, fmt.Errorf("webrtc: Config.Listen %v: with Announce, listen on the address the NAT forwards to, not on every interface", c.Listen)
	}
	if c.AnnouncePort != 0 && len(c.Announce) == 0 {
		return c, fmt.Errorf("webrtc: Config.AnnouncePort %d without Config.Announce", c.AnnouncePort)
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"DisconnectedTimeout", &c.DisconnectedTimeout, DefaultDisconnectedTimeout},
		{"FailedTimeout", &c.FailedTimeout, DefaultFailedTimeout},
		{"KeepaliveInterval", &c.KeepaliveInterval, DefaultKeepaliveInterval},
	} {
		switch {
		case *d.v < 0:
			return c, fmt.Errorf("webrtc: Config.%s %v: must not be negative", d.name, *d.v)
		case *d.v == 0:
			*d.v = d.def
		}
	}
	return c, nil
}

// DetectionTime is how long after a browser's last packet its leg ends:
// DisconnectedTimeout + FailedTimeout (pion's ICE agent checks on its
// keepalive tick, so allow up to one KeepaliveInterval more).
func (c Config) DetectionTime() time.Duration {
	c, _ = c.withDefaults()
	return c.DisconnectedTimeout + c.FailedTimeout
}
