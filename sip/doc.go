// Package sip is callroute's SIP edge, built on github.com/emiago/sipgo.
//
// It owns the listeners (UDP, TCP, TLS), who may send requests at all (a
// per-source token bucket applied to raw datagrams before parsing), who may
// call in (trunks by source CIDR, SIP users by digest authentication), the
// registrar for desk phones, and the validation every request passes before a
// handler sees it.
//
// What it does not do yet: call handling. An admitted INVITE goes to an
// [InviteHandler]; with none set the server answers 503 with Retry-After.
// The B2BUA (dialogs, media, forking to a user's phones) plugs in there and
// finds a user's phones with [Registrar.Bindings] and reaches them through
// [Server.Client] after [Server.RouteToBinding].
//
// Dependencies point one way: sip may import routing and media, never crm or
// SQL. SIP credentials arrive through the [Credentials] interface, which cmd
// wires to the client base.
package sip
