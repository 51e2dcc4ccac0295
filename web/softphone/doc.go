// Package softphone is the agent channel of callroute's browser softphone:
// one WebSocket per browser tab (the session cookie signs it in, the Origin
// is checked), heartbeats that take a dead tab offline within seconds,
// presence, the screen pop, and the signalling of the browser's WebRTC leg.
//
// The [Hub] serves the WebSocket and implements routing.Ringer for the
// browser: a ring goes to every open tab of the agent that has its audio
// on, the first tab to answer wins and the others are told the call was
// answered elsewhere. The server offers the WebRTC session (PCMU/PCMA and
// telephone-event only), the tab answers; once the media is connected the
// answered leg is a routing.MediaAgentLeg, which the SIP caller's leg
// bridges without transcoding. Tabs with their audio off (an agent taking
// calls on a SIP desk phone) are not rung, but get the screen pop of the
// calls the agent answers elsewhere, so the desk's rule "always ask name
// and company" holds whatever phone they use.
//
// docs/softphone.md lists the messages.
package softphone
