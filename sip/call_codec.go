package sip

import "callroute/media"

// Codec is the caller's negotiated codec: another edge's leg (the browser's)
// prefers it, so the bridge passes RTP through unchanged.
func (l *callerLeg) Codec() media.Codec { return l.dm.codec() }
