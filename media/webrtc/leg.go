package webrtc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"

	"callroute/media"
)

// LegOptions configures a browser leg.
type LegOptions struct {
	// Prefer is the codec offered first: the caller's (SIP leg's) codec,
	// so the bridge passes audio through unconverted when the browser
	// takes it. Only Name counts ("PCMU" or "PCMA"); empty means PCMU.
	// Both laws and telephone-event are always offered.
	Prefer media.Codec
	// Logger for the leg's lines; default the engine's. CallID, when
	// set, is added to every line as call_id.
	Logger *slog.Logger
	CallID string
}

// Leg is one browser's media: a pion PeerConnection with one sendrecv
// audio transceiver. The server offers (NewLeg, Offer), the browser answers
// (Accept); once Connected, it carries G.711 and telephone-event both ways
// as a media.Leg for media.NewBridge, media.Play and media.SendDTMF.
//
// Its life ends (Done) when the context given to NewLeg ends, Close is
// called, an answer is refused, the browser closes its side, or ICE or
// DTLS fail: a browser that vanishes is noticed Config.DetectionTime after
// its last packet. Err then tells why. The owner calls Close in every case
// (it waits for the teardown; calling it again does nothing).
type Leg struct {
	eng   *Engine
	log   *slog.Logger
	pc    *pion.PeerConnection
	tr    *pion.RTPTransceiver
	track *sendTrack
	offer string

	codec     atomic.Pointer[media.Codec]
	accepting atomic.Bool
	answer    atomic.Pointer[answer]
	acceptAt  atomic.Int64 // unix nanoseconds of Accept, for the connect time

	events       chan pion.PeerConnectionState
	connected    chan struct{}
	isConnected  atomic.Bool
	iceConnected atomic.Bool

	doneOnce sync.Once
	done     chan struct{}
	err      error // why the leg ended; set before done is closed
	ioErr    error // what ReadRTP and WriteRTP return once done
	finished chan struct{}

	in chan *rtp.Packet

	sendMu sync.Mutex
	rw     *media.Rewriter

	wgMu    sync.Mutex // guards closing against wg.Add
	closing bool
	wg      sync.WaitGroup // the leg's goroutines: RTCP drains, track readers

	stats legStats
}

var _ media.Leg = (*Leg)(nil)

// NewLeg creates a PeerConnection and its offer (with every ICE candidate:
// gathering on the shared socket is immediate). The leg lives until ctx
// ends or it is closed.
func (e *Engine) NewLeg(ctx context.Context, opts LegOptions) (*Leg, error) {
	prefer, err := preferredCodecs(opts.Prefer)
	if err != nil {
		return nil, err
	}
	if e.isClosed() {
		return nil, ErrClosed
	}
	log := opts.Logger
	if log == nil {
		log = e.log
	}
	if opts.CallID != "" {
		log = log.With("call_id", opts.CallID)
	}
	l := &Leg{
		eng:       e,
		log:       log,
		events:    make(chan pion.PeerConnectionState, 4),
		connected: make(chan struct{}),
		done:      make(chan struct{}),
		finished:  make(chan struct{}),
		in:        make(chan *rtp.Packet, receiveQueue),
		rw:        media.NewRewriter(),
	}
	first := media.Codec{Name: strings.ToUpper(prefer[0].MimeType[len("audio/"):]), PayloadType: uint8(prefer[0].PayloadType),
		TelephoneEvent: media.DefaultTelephoneEventPT}
	l.codec.Store(&first)
	if l.pc, err = e.api(log).NewPeerConnection(pion.Configuration{}); err != nil {
		return nil, fmt.Errorf("webrtc: new PeerConnection: %w", err)
	}
	if err := l.setup(ctx, prefer); err != nil {
		l.end(err)
		l.teardown()
		return nil, err
	}
	if err := e.add(l); err != nil {
		l.end(err)
		l.teardown()
		return nil, err
	}
	go l.run(ctx)
	log.Debug("browser leg offered", "prefer", first.Name)
	return l, nil
}

// preferredCodecs orders our codecs for SetCodecPreferences: the preferred
// law, the other law, telephone-event.
func preferredCodecs(c media.Codec) ([]pion.RTPCodecParameters, error) {
	switch strings.ToUpper(c.Name) {
	case "", "PCMU":
		return []pion.RTPCodecParameters{codecPCMU, codecPCMA, codecTelephoneEvent}, nil
	case "PCMA":
		return []pion.RTPCodecParameters{codecPCMA, codecPCMU, codecTelephoneEvent}, nil
	}
	return nil, fmt.Errorf("webrtc: LegOptions.Prefer %q: want PCMU or PCMA", c.Name)
}

// setup adds the transceiver, the handlers and the RTCP drains, and makes
// the offer.
func (l *Leg) setup(ctx context.Context, prefer []pion.RTPCodecParameters) error {
	// The track's stream ID (a=msid) is random: a SIP Call-ID may hold
	// characters an SDP token may not (RFC 4566 9, token-char).
	l.track = &sendTrack{id: "audio", streamID: "callroute-" + randomHex(8)}
	var err error
	l.tr, err = l.pc.AddTransceiverFromTrack(l.track, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return fmt.Errorf("webrtc: add audio transceiver: %w", err)
	}
	if err := l.tr.SetCodecPreferences(prefer); err != nil {
		return fmt.Errorf("webrtc: codec preferences: %w", err)
	}
	l.pc.OnConnectionStateChange(func(s pion.PeerConnectionState) {
		select {
		case l.events <- s:
		case <-l.done: // the leg is tearing down; nobody listens
		}
	})
	l.pc.OnICEConnectionStateChange(func(s pion.ICEConnectionState) {
		if s == pion.ICEConnectionStateConnected || s == pion.ICEConnectionStateCompleted {
			l.iceConnected.Store(true)
		}
	})
	l.pc.OnTrack(l.onTrack)
	// Drain RTCP from the sender and the receiver: the report
	// interceptors process packets only as they are read, and an unread
	// sender stalls them (pion examples rtp-to-webrtc, reflect).
	for _, read := range []func([]byte) (int, error){
		func(b []byte) (int, error) { n, _, err := l.tr.Sender().Read(b); return n, err },
		func(b []byte) (int, error) { n, _, err := l.tr.Receiver().Read(b); return n, err },
	} {
		l.wg.Go(func() {
			buf := make([]byte, 1500)
			for {
				if _, err := read(buf); err != nil {
					return
				}
			}
		})
	}
	offer, err := l.pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("webrtc: create offer: %w", err)
	}
	gathered := pion.GatheringCompletePromise(l.pc)
	if err := l.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("webrtc: set offer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fmt.Errorf("webrtc: gathering ICE candidates: %w", ctx.Err())
	}
	l.offer = l.pc.LocalDescription().SDP
	if !strings.Contains(l.offer, "a=candidate:") {
		return fmt.Errorf("webrtc: no ICE candidate on %v (a loopback or unreachable address?)", l.eng.addr)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24)
	return hex.EncodeToString(b)
}

// Offer returns the SDP offer to send to the browser, with all candidates
// (no trickle needed).
func (l *Leg) Offer() string { return l.offer }

// Accept applies the browser's SDP answer. It refuses, with an error
// wrapping ErrBadAnswer, ErrNoCommonCodec or ErrFingerprint, an answer that
// is not SDP, has no G.711 audio or no fingerprint, and anything pion
// refuses; a refused answer ends the leg (Done, Err). A certificate that
// does not match the answer's fingerprint shows later, as the leg ending
// with ErrFingerprint. Accept may be called once.
func (l *Leg) Accept(answerSDP string) error {
	if !l.accepting.CompareAndSwap(false, true) {
		return errors.New("webrtc: Accept called twice")
	}
	if l.isDone() {
		return l.Err()
	}
	a, err := parseAnswer(answerSDP)
	if err != nil {
		l.end(err)
		return err
	}
	l.answer.Store(&a)
	l.codec.Store(&a.codec)
	l.acceptAt.Store(time.Now().UnixNano())
	if err := l.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: answerSDP}); err != nil {
		if errors.Is(err, pion.ErrSessionDescriptionNoFingerprint) || errors.Is(err, pion.ErrSessionDescriptionInvalidFingerprint) ||
			errors.Is(err, pion.ErrSessionDescriptionConflictingFingerprints) {
			err = fmt.Errorf("%w: %w", ErrFingerprint, err)
		} else {
			err = fmt.Errorf("%w: %w", ErrBadAnswer, err)
		}
		l.end(err)
		return err
	}
	l.log.Info("browser answer accepted", "codec", a.codec.String(), "direction", a.direction.String())
	return nil
}

// Connected is closed once ICE and DTLS are up: media flows from then on.
func (l *Leg) Connected() <-chan struct{} { return l.connected }

// Done is closed when the leg has ended (see Leg). Call Close to wait for
// the teardown.
func (l *Leg) Done() <-chan struct{} { return l.done }

// Err tells why the leg ended, once Done is closed (nil before): ErrClosed
// after Close, the context's error, or an error wrapping ErrBadAnswer,
// ErrNoCommonCodec, ErrFingerprint, ErrICEFailed, ErrDTLSFailed or
// ErrPeerClosed.
func (l *Leg) Err() error {
	select {
	case <-l.done:
		return l.err
	default:
		return nil
	}
}

// Close ends the leg if it has not ended, and waits until the
// PeerConnection and the leg's goroutines are gone. It is idempotent and
// always returns nil (the error is the leg's Err).
func (l *Leg) Close() error {
	l.end(ErrClosed)
	<-l.finished
	return nil
}

// Codec implements media.Leg: the codec negotiated with the browser, with
// the payload types of the answer; before Accept, the preferred one.
func (l *Leg) Codec() media.Codec { return *l.codec.Load() }

func (l *Leg) isDone() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// end records why the leg ends, the first time it is called.
func (l *Leg) end(err error) {
	l.doneOnce.Do(func() {
		l.err = err
		if errors.Is(err, media.ErrClosed) {
			l.ioErr = err
		} else {
			l.ioErr = fmt.Errorf("%w: %w", ErrClosed, err)
		}
		close(l.done)
	})
}

// run owns the leg's life: it follows the connection state and tears the
// leg down when it ends.
func (l *Leg) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			l.end(fmt.Errorf("webrtc: leg context: %w", ctx.Err()))
		case s := <-l.events:
			l.onState(s)
		case <-l.done:
			l.teardown()
			return
		}
	}
}

// onState handles a PeerConnection state change (on run's goroutine, not in
// pion's callback, so pion may be called back into).
func (l *Leg) onState(s pion.PeerConnectionState) {
	switch s {
	case pion.PeerConnectionStateConnected:
		if l.isConnected.Swap(true) {
			l.log.Info("browser media path restored")
			return
		}
		close(l.connected)
		pair := ""
		if p, err := l.tr.Sender().Transport().ICETransport().GetSelectedCandidatePair(); err == nil && p != nil {
			pair = p.String()
		}
		l.log.Info("browser connected", "connect_ms", time.Since(time.Unix(0, l.acceptAt.Load())).Milliseconds(), "pair", pair)
	case pion.PeerConnectionStateDisconnected:
		l.log.Warn("browser media path interrupted", "fails_in", l.eng.cfg.FailedTimeout)
	case pion.PeerConnectionStateFailed:
		l.end(l.failure(false))
	case pion.PeerConnectionStateClosed:
		l.end(l.failure(true)) // we did not close it: done would be closed
	}
}

// failure tells why the PeerConnection failed, or was closed by the
// browser.
func (l *Leg) failure(closed bool) error {
	if !l.isConnected.Load() && l.iceConnected.Load() {
		// ICE got through, DTLS did not. pion reports the reason only
		// in its log (and may close the transport on the way), so look
		// at the certificate the browser presented.
		if a := l.answer.Load(); a != nil {
			if cert := l.tr.Sender().Transport().GetRemoteCertificate(); len(cert) > 0 && !a.matchesCertificate(cert) {
				return fmt.Errorf("%w: the browser's certificate does not match the answer's a=fingerprint", ErrFingerprint)
			}
		}
		if closed {
			return ErrPeerClosed
		}
		return fmt.Errorf("%w: handshake with the browser failed", ErrDTLSFailed)
	}
	if closed {
		return ErrPeerClosed
	}
	if !l.isConnected.Load() {
		return fmt.Errorf("%w: no connectivity check succeeded within %v", ErrICEFailed,
			l.eng.cfg.DisconnectedTimeout+l.eng.cfg.FailedTimeout)
	}
	return fmt.Errorf("%w: nothing from the browser for %v (gone or unreachable)", ErrICEFailed,
		l.eng.cfg.DisconnectedTimeout+l.eng.cfg.FailedTimeout)
}

// teardown closes the PeerConnection and waits for the leg's goroutines.
// It runs once: on run's goroutine, or in NewLeg when setup fails.
func (l *Leg) teardown() {
	l.wgMu.Lock()
	l.closing = true
	l.wgMu.Unlock()
	if err := l.pc.GracefulClose(); err != nil {
		l.log.Debug("closing PeerConnection", "err", err)
	}
	l.wg.Wait()
	l.eng.remove(l)
	st := l.Stats()
	l.log.Info("browser leg ended", "reason", l.err, "pkts_in", st.PacketsReceived, "pkts_out", st.PacketsSent,
		"lost_in", st.PacketsLost, "dropped_in", st.Dropped, "not_sent", st.NotSent)
	close(l.finished)
}
