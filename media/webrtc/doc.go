// Package webrtc is the browser's media leg: one pion PeerConnection per
// browser softphone call, carrying G.711 (PCMU, PCMA) and RFC 4733
// telephone-event, and implementing media.Leg so that media.NewBridge joins
// it to a SIP leg with no transcoding. It imports nothing of callroute but
// media.
//
// One Engine per process holds the single UDP socket ICE listens on (all
// legs share it through pion's UDP mux: one firewall rule, see DefaultPort),
// the codecs (PCMU 0, PCMA 8, telephone-event 101, no opus) and the ICE
// settings (UDP4, no mDNS, short timeouts so a vanished browser is noticed
// in seconds, host candidates rewritten to Config.Announce behind a 1:1
// NAT). Interceptors: sender and receiver reports only (no transport-cc, no
// NACK).
//
// # Signalling (the server offers)
//
//	leg, err := eng.NewLeg(callCtx, webrtc.LegOptions{Prefer: sipSess.Codec(), CallID: id})
//	// send leg.Offer() to the browser (the WebSocket); it answers with
//	// setRemoteDescription(offer), addTrack(mic), createAnswer,
//	// setLocalDescription, and waits for ICE gathering (or trickles).
//	err = leg.Accept(answerSDP)     // ErrBadAnswer, ErrNoCommonCodec, ErrFingerprint: refuse the answer
//	select {
//	case <-leg.Connected():         // ICE and DTLS up: answer the caller (200 OK)
//	case <-leg.Done():              // leg.Err(): ICE failed, browser closed, ...
//	case <-ringCtx.Done():
//	}
//	br := media.NewBridge(callCtx, sipSess, leg, media.WithDTMF(onKey))
//	select { case <-br.Done(): case <-leg.Done(): case <-sipSess.Timeout(): }
//	br.Stop(); leg.Close(); sipSess.Close()
//
// Media written before Connected is dropped, so start the bridge when
// Connected closes (or before: nothing is lost but silence). The browser
// needs nothing besides the offer: every candidate is in it (no STUN or
// TURN on the server side; a browser behind a restrictive network may use
// its own TURN server, the server's candidates being public).
//
// DTMF: telephone-event passes both ways in the audio stream with its own
// payload type (the leg's track preserves it, RFC 4733 2.1), so a caller's
// keys reach the browser as RFC 4733 and the browser's
// (RTCDTMFSender.insertDTMF) reach the caller; media.WithDTMF sees both
// for the UI.
//
// Renegotiation (hold, ICE restart) is not supported: one offer, one answer
// per leg, as keeping one offerer per call avoids pion's DTLS role mix-up
// on a renegotiation from the other side.
//
// Development on one machine: a loopback Listen address gives loopback
// candidates, which Chrome uses only with --allow-loopback-in-peer-connection;
// otherwise listen on the machine's LAN address.
package webrtc
