package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"time"

	"callroute/media"
	"callroute/media/audio"
	"callroute/routing"
)

// CallRouter routes one call and blocks for its life; *routing.Router
// implements it.
type CallRouter interface {
	Handle(ctx context.Context, c *routing.Call) routing.Result
}

var _ CallRouter = (*routing.Router)(nil)

// MediaConfig is how the call layer makes RTP sessions, for the caller's
// leg and for the legs to phones alike.
type MediaConfig struct {
	// Ports hands out the RTP sockets (CALLROUTE_RTP_PORTS); required.
	Ports *media.PortAllocator
	// Announce is the address written into our SDP (CALLROUTE_RTP_ANNOUNCE):
	// where peers send RTP, which differs from the bind address behind NAT
	// (sip-webrtc.md pitfall 2); required.
	Announce netip.Addr
	// SymmetricRTP always sends to where the peer's RTP comes from (RFC
	// 4961); without it the session still latches when the SDP address
	// looks wrong (media.WithSymmetricRTP).
	SymmetricRTP bool
	// InitialTimeout (no RTP at all after answer) and Timeout (RTP stopped)
	// end a call; zero means media's defaults (30 s and 15 s), a negative
	// value turns that timeout off. Both are off while on hold.
	InitialTimeout time.Duration
	Timeout        time.Duration
	// Capabilities are the codecs we offer and accept; zero means
	// media.DefaultCapabilities (PCMU, PCMA, telephone-event 101, 20 ms).
	Capabilities media.Capabilities
}

func (c *MediaConfig) defaults() error {
	if c.Ports == nil {
		return errors.New("sip: MediaConfig.Ports is required")
	}
	if !c.Announce.IsValid() || c.Announce.IsUnspecified() {
		return errors.New("sip: MediaConfig.Announce must be a specific address")
	}
	if len(c.Capabilities.Codecs) == 0 {
		c.Capabilities = media.DefaultCapabilities()
	}
	switch {
	case c.InitialTimeout == 0:
		c.InitialTimeout = media.DefaultInitialTimeout
	case c.InitialTimeout < 0:
		c.InitialTimeout = 0
	}
	switch {
	case c.Timeout == 0:
		c.Timeout = media.DefaultMediaTimeout
	case c.Timeout < 0:
		c.Timeout = 0
	}
	return nil
}

// newSession allocates an RTP session with the configured options.
func (c *MediaConfig) newSession(log *slog.Logger, onTimeout func(error), opts ...media.SessionOption) (*media.Session, error) {
	opts = append([]media.SessionOption{
		media.WithAnnouncedAddr(c.Announce),
		media.WithSymmetricRTP(c.SymmetricRTP),
		media.WithMediaTimeouts(c.InitialTimeout, c.Timeout),
		media.WithLogger(log),
		media.WithTimeoutFunc(onTimeout),
	}, opts...)
	return media.NewSession(c.Ports, opts...)
}

// CallConfig configures the call layer (NewCallHandler).
type CallConfig struct {
	Media MediaConfig
	// RecordingsDir is where voicemail WAV files are written; required
	// (created if missing).
	RecordingsDir string
	// Ringback is the tone the caller hears as early media while agents
	// ring (183 Session Progress with SDP, RFC 3261 13.3.1.1 and RFC 3960);
	// zero means the European ringing tone (425 Hz, 1 s on, 4 s off).
	Ringback audio.Cadence
	// NoEarlyMedia sends 180 Ringing without SDP instead, so the caller's
	// own equipment makes the ringback tone.
	NoEarlyMedia bool
	// ProvisionalInterval re-sends the provisional response while the call
	// keeps ringing (RFC 3261 13.3.1.1: every minute); zero means 60 s.
	ProvisionalInterval time.Duration
	// MinMessage is the shortest voicemail kept; shorter recordings are
	// deleted and count as no message. Zero means 500 ms.
	MinMessage time.Duration
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Defaults for CallConfig.
const (
	DefaultProvisionalInterval = time.Minute
	DefaultMinMessage          = 500 * time.Millisecond
)

func (c *CallConfig) defaults() error {
	if err := c.Media.defaults(); err != nil {
		return err
	}
	if c.RecordingsDir == "" {
		return errors.New("sip: CallConfig.RecordingsDir is required")
	}
	if err := os.MkdirAll(c.RecordingsDir, 0o750); err != nil {
		return fmt.Errorf("sip: recordings directory: %w", err)
	}
	if len(c.Ringback.Freqs) == 0 {
		c.Ringback = audio.EuropeanRingback
	}
	if c.ProvisionalInterval <= 0 {
		c.ProvisionalInterval = DefaultProvisionalInterval
	}
	if c.MinMessage <= 0 {
		c.MinMessage = DefaultMinMessage
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// RingerConfig configures the SIP phone ringer (NewSIPRinger).
type RingerConfig struct {
	Media MediaConfig
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// cleanupTimeout bounds what is done after a call's context has ended:
// a BYE, a final response.
const cleanupTimeout = 5 * time.Second

func cleanupContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), cleanupTimeout)
}
