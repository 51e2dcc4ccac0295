// Package routing decides and runs the route of an inbound call: the owner
// (or their delegate), then the inbound desk by its strategy, then the desk
// queue, then voicemail or a closing message; outside business hours straight
// to voicemail. It keeps presence and live state (who is offered a call, who
// is on one, the desk queue) behind [LiveState], publishes events for screens
// on a [Hub], and writes every call as one crm interaction, retrying when the
// database is down.
//
// The package never touches a socket. The SIP edge and the browser softphone
// implement [CallerLeg], [AgentLeg] and [Ringer]; routing tells them what to do
// ("ring this agent for 20 s", "answer the caller", "bridge these legs") and
// learns what happened. See docs/routing.md for the design.
//
// routing imports crm for its types and nothing else of callroute.
package routing
