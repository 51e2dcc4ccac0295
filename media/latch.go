package media

import "net/netip"

// addrClass sorts addresses for the symmetric RTP decision.
type addrClass uint8

const (
	classUnknown addrClass = iota // unspecified or invalid
	classLoopback
	classPrivate // RFC 1918, RFC 6598 shared (CGNAT), RFC 4193 ULA, link-local
	classPublic
)

var cgnat = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598

func classify(a netip.Addr) addrClass {
	a = a.Unmap()
	switch {
	case !a.IsValid() || a.IsUnspecified():
		return classUnknown
	case a.IsLoopback():
		return classLoopback
	case a.IsPrivate(), a.IsLinkLocalUnicast(), cgnat.Contains(a):
		return classPrivate
	}
	return classPublic
}

// autoLatch reports whether the address in the remote SDP cannot be trusted
// as the place to send RTP, so symmetric RTP (RFC 4961: send to where the
// peer's RTP comes from) must be used even when not configured: the SDP gives
// no address, or a private or loopback one that is not of our own kind (a
// phone behind NAT writes its LAN address into SDP; livekit/sip PR #624,
// PR #687). ours is our announced address (or the bind address).
func autoLatch(sdp, ours netip.Addr) bool {
	cs := classify(sdp)
	switch cs {
	case classUnknown:
		return true
	case classPublic:
		return false
	}
	return cs != classify(ours)
}
