package webrtc

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	pion "github.com/pion/webrtc/v4"

	"callroute/media"
)

// ErrClosed is returned by a closed Engine or Leg. It wraps media.ErrClosed,
// so the bridge treats a closed browser leg as gone.
var ErrClosed = fmt.Errorf("webrtc: closed: %w", media.ErrClosed)

// telephoneEventMime is RFC 4733's MIME type; pion has no constant for it.
const telephoneEventMime = "audio/telephone-event"

// The codecs a browser leg speaks: G.711 passes through to SIP untouched
// (no opus, no transcoding), telephone-event carries DTMF (RFC 4733 2.1,
// events 0-16 as the SIP side offers them).
var (
	codecPCMU = pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypePCMU, ClockRate: media.ClockRate},
		PayloadType:        media.PayloadPCMU,
	}
	codecPCMA = pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypePCMA, ClockRate: media.ClockRate},
		PayloadType:        media.PayloadPCMA,
	}
	codecTelephoneEvent = pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: telephoneEventMime, ClockRate: media.ClockRate, SDPFmtpLine: "0-16"},
		PayloadType:        media.DefaultTelephoneEventPT,
	}
)

// Engine holds what every browser leg of the process shares: the one ICE
// UDP socket, the codecs, the interceptors and the ICE settings. Make one
// with NewEngine, make legs with NewLeg, Close it at shutdown.
type Engine struct {
	cfg  Config
	log  *slog.Logger
	se   pion.SettingEngine // template; each leg gets a copy with its own logger
	me   *pion.MediaEngine  // copied by pion into every PeerConnection
	ir   *interceptor.Registry
	mux  ice.UDPMux
	addr netip.AddrPort

	mu     sync.Mutex
	legs   map[*Leg]struct{}
	closed bool
}

// NewEngine opens the ICE socket and prepares the pion settings. logger may
// be nil (slog.Default()).
func NewEngine(cfg Config, logger *slog.Logger) (*Engine, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	e := &Engine{cfg: cfg, log: logger, legs: map[*Leg]struct{}{}}
	if e.me, err = newMediaEngine(); err != nil {
		return nil, err
	}
	// Sender and receiver reports only: the default interceptors add
	// transport-cc, and Chrome then sends padding-only RTP on audio; NACK
	// retransmissions make no sense for live G.711 either.
	e.ir = &interceptor.Registry{}
	if err := pion.ConfigureRTCPReports(e.ir); err != nil {
		return nil, fmt.Errorf("webrtc: RTCP reports: %w", err)
	}
	if err := e.openMux(); err != nil {
		return nil, err
	}
	if err := e.settings(); err != nil {
		e.mux.Close()
		return nil, err
	}
	logger.Info("webrtc engine listening", "ice_addr", e.addr, "announce", cfg.Announce)
	return e, nil
}

func newMediaEngine() (*pion.MediaEngine, error) {
	me := &pion.MediaEngine{}
	for _, c := range []pion.RTPCodecParameters{codecPCMU, codecPCMA, codecTelephoneEvent} {
		if err := me.RegisterCodec(c, pion.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("webrtc: register %s: %w", c.MimeType, err)
		}
	}
	return me, nil
}

// openMux binds the shared ICE socket: one UDPMuxDefault on a specific
// address, or one per interface (same port) for 0.0.0.0, since a socket
// bound to 0.0.0.0 may answer from another address than the candidate's
// on a multi-homed host.
func (e *Engine) openMux() error {
	muxLog := slogFactory{e.log}.NewLogger("ice-mux")
	ip := e.cfg.Listen.Addr()
	if ip.IsUnspecified() {
		m, err := ice.NewMultiUDPMuxFromPort(int(e.cfg.Listen.Port()),
			ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4),
			ice.UDPMuxFromPortWithReadBufferSize(udpReadBuffer),
			ice.UDPMuxFromPortWithLogger(muxLog))
		if err != nil {
			return fmt.Errorf("webrtc: listen on UDP %v: %w", e.cfg.Listen, err)
		}
		e.mux, e.addr = m, e.cfg.Listen
		return nil
	}
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(e.cfg.Listen))
	if err != nil {
		return fmt.Errorf("webrtc: listen on UDP %v: %w", e.cfg.Listen, err)
	}
	_ = conn.SetReadBuffer(udpReadBuffer)
	e.addr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	e.mux = pion.NewICEUDPMux(muxLog, conn)
	return nil
}

// settings fills the SettingEngine template.
func (e *Engine) settings() error {
	se := &e.se
	se.SetICEUDPMux(e.mux)
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	// No mDNS: no 224.0.0.251:5353 socket, and our candidates carry real
	// addresses. A browser's .local candidates are dropped; the pair is then
	// learnt as peer-reflexive from its checks.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// pion waits 1 s before nominating a peer-reflexive pair, where NATed
	// browsers land: click -> connected went from 0.33 s to 1.3 s.
	se.SetPrflxAcceptanceMinWait(0)
	se.SetICETimeouts(e.cfg.DisconnectedTimeout, e.cfg.FailedTimeout, e.cfg.KeepaliveInterval)
	if e.addr.Addr().IsLoopback() {
		se.SetIncludeLoopbackCandidate(true) // pion skips loopback by default
	}
	if len(e.cfg.Announce) > 0 {
		ext := make([]string, len(e.cfg.Announce))
		for i, a := range e.cfg.Announce {
			ext[i] = a.String()
		}
		rule := pion.ICEAddressRewriteRule{
			External:        ext,
			Local:           e.addr.Addr().String(),
			AsCandidateType: pion.ICECandidateTypeHost,
			Mode:            pion.ICEAddressRewriteReplace,
			Networks:        []pion.NetworkType{pion.NetworkTypeUDP4},
		}
		if e.cfg.AnnouncePort != 0 {
			rule.NewPort = int(e.cfg.AnnouncePort)
		}
		if err := se.SetICEAddressRewriteRules(rule); err != nil {
			return fmt.Errorf("webrtc: Config.Announce: %w", err)
		}
	}
	return nil
}

// api returns a pion API for one leg: the shared settings with the leg's
// logger (pion's own warnings then carry the call_id).
func (e *Engine) api(log *slog.Logger) *pion.API {
	se := e.se
	se.LoggerFactory = slogFactory{log}
	return pion.NewAPI(pion.WithMediaEngine(e.me), pion.WithSettingEngine(se), pion.WithInterceptorRegistry(e.ir))
}

// Addr returns the address the ICE socket is bound to (with the port
// actually bound when Config.Listen had port 0).
func (e *Engine) Addr() netip.AddrPort { return e.addr }

// Legs returns how many legs are open.
func (e *Engine) Legs() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.legs)
}

func (e *Engine) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

func (e *Engine) add(l *Leg) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	e.legs[l] = struct{}{}
	return nil
}

func (e *Engine) remove(l *Leg) {
	e.mu.Lock()
	delete(e.legs, l)
	e.mu.Unlock()
}

// Close closes every open leg, then the ICE socket. It is safe to call more
// than once.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	legs := make([]*Leg, 0, len(e.legs))
	for l := range e.legs {
		legs = append(legs, l)
	}
	e.mu.Unlock()
	var wg sync.WaitGroup
	for _, l := range legs {
		wg.Go(func() { _ = l.Close() })
	}
	wg.Wait()
	if err := e.mux.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("webrtc: close ICE socket: %w", err)
	}
	return nil
}
