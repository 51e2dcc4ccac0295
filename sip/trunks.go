package sip

import "net/netip"

// trunkList is the allowlist of source prefixes whose INVITEs are admitted
// without authentication: the carriers' signalling addresses. Spoofing a
// source address over UDP gets an attacker an INVITE in but never its
// responses; carriers that can should use TCP or TLS.
type trunkList []netip.Prefix

func (t trunkList) contains(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range t {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
