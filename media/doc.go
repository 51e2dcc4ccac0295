// Package media is the media half of callroute's B2BUA: RTP sessions for SIP
// legs, SDP offer/answer for audio, a bridge that passes G.711 between two legs
// (a SIP phone now, a pion/webrtc browser leg later), generated audio and
// prompts, RFC 4733 DTMF, recording, and media timeouts. It imports nothing
// else of callroute.
//
// Sub-packages: g711 (mu-law/A-law tables), dtmf (RFC 4733 payloads and
// de-duplication), wav (RIFF WAVE read/write), audio (tones, ringback, hold
// music, clips, and the frequency analysis tests use), prompts (embedded
// spoken announcements).
//
// # Inbound call (we answer an offer)
//
//	offer, err := media.ParseSDP(req.Body())            // ErrBadSDP: 400 or 488
//	neg, err := media.NegotiateOffer(offer, caps, media.SendRecv)
//	                                                     // ErrNoCommonCodec: 488
//	sess, err := media.NewSession(ports, media.WithAnnouncedAddr(announce),
//		media.WithSymmetricRTP(cfg.SymmetricRTP), media.WithLogger(log))
//	sess.Apply(neg)
//	local := media.NewLocalSDP(announce, sess.LocalPort()) // keep it for the call
//	answer, err := media.BuildAnswer(local, offer, neg, 20)
//	// ... ringing: media.Play(ringCtx, sess, audio.NewRingback(audio.EuropeanRingback))
//	//     (early media with 183; or send 180 and let the phone ring)
//	// 200 OK sent with answer:
//	sess.Start() // lets RTP in and arms the media timeouts
//
// # Outbound leg (we offer to a desk phone)
//
//	sessB, _ := media.NewSession(ports, ...)
//	localB := media.NewLocalSDP(announce, sessB.LocalPort())
//	offer, _ := media.BuildOffer(localB, caps.Prefer(neg.Codec.Name), media.SendRecv)
//	// 200 OK from the phone:
//	ans, _ := media.ParseSDP(resp.Body())
//	negB, err := media.NegotiateAnswer(ans, caps, media.SendRecv) // error: BYE
//	sessB.Apply(negB)
//	sessB.Start()
//
// # Bridging, prompts, hold
//
// Stop whatever plays to the caller (cancel Play's ctx and wait for it to
// return), then:
//
//	br := media.NewBridge(callCtx, sess, sessB, media.WithDTMF(onKey))
//	select { case <-br.Done(): br.Err() ... case err := <-sess.Timeout(): ... }
//
// Play a prompt or hold music with media.Play(ctx, leg, src), where src is
// prompts.Clip(prompts.Hold), prompts.CallerPosition(n), audio.HoldMusic() or
// audio.Concat of them. One source at a time per leg; each leg's Rewriter
// keeps sequence numbers and timestamps continuous across the switches, so
// ringback -> prompt -> bridge needs nothing more.
//
// A re-INVITE: ParseSDP, NegotiateOffer (pass SendOnly as want when we hold),
// sess.Apply(neg) (new address or codec: new latch, marker bit; hold turns the
// media timeouts off), local.Bump(), BuildAnswer. To put the far side on hold
// ourselves: local.Bump(), BuildOffer(local, caps, media.SendOnly), then
// Apply(NegotiateAnswer(...)). A session whose direction is recvonly or
// inactive sends nothing.
//
// Teardown: br.Stop() (or let it end), then sess.Close() on each leg; the port
// drains for DefaultDrainTime before reuse (DefaultQuietDrainTime when
// nothing ever arrived on it). PortAllocator.Close at shutdown.
//
// RTCP: none is sent and the odd RTCP port is not bound (see PortAllocator).
package media
