// Package sip is callroute's SIP edge, built on github.com/emiago/sipgo.
//
// It owns the listeners (UDP, TCP, TLS), who may send requests at all (a
// per-source token bucket applied to raw datagrams before parsing), who may
// call in (trunks by source CIDR, SIP users by digest authentication), the
// registrar for desk phones, and the validation every request passes before a
// handler sees it.
//
// The call layer is a B2BUA on top of that:
//
//   - [CallHandler] ([NewCallHandler]) takes each admitted INVITE: 100
//     Trying, the offer checked (415, 400, 488 before any routing), the
//     caller's RTP session and dialog (call_inbound.go), then
//     routing.Router.Handle, which blocks for the life of the call. The
//     caller's leg implements routing.CallerLeg: 183 with ringback (or 180),
//     200 when an agent answers or the queue takes the call, prompts, hold
//     music and voicemail recording (call_media.go), the bridge to the
//     phone, BYE or the final response.
//   - [SIPRinger] ([NewSIPRinger]) implements routing.Ringer: one RTP
//     session offered to every registered phone of the agent at once
//     (ringer.go, ringer_fork.go); the first 2xx wins, the other forks are
//     cancelled, a 2xx that comes too late is ACKed and BYEd. The answered
//     phone is a routing.AgentLeg (agent_leg.go).
//   - In-dialog requests (ACK, BYE, re-INVITE, INFO, OPTIONS with a To tag)
//     reach their leg through the server's dialog registry (dialogs.go)
//     before admission; no dialog means 481. re-INVITEs (reinvite.go) hold
//     and resume, and the hold is passed on to the other leg
//     (reinvite_relay.go).
//
// Dependencies point one way: sip may import routing and media, never crm or
// SQL. SIP credentials arrive through the [Credentials] interface, which cmd
// wires to the client base.
package sip
