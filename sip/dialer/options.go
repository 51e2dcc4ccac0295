package dialer

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"callroute/media"
	"callroute/media/audio"
)

// Defaults of Options.
const (
	DefaultTone        = 1000.0 // Hz
	DefaultToneLevel   = -10.0  // dBFS
	DefaultDuration    = 5 * time.Second
	DefaultRingTimeout = 60 * time.Second
	DefaultLocalAddr   = "127.0.0.1:0"
	DefaultRTPPorts    = "31000-31999"
)

// ErrBadOptions wraps every mistake in Options (a usage error for a CLI).
var ErrBadOptions = errors.New("dialer: bad options")

// Options say whom to call and what to send.
type Options struct {
	// From is the calling number: the user part and display name of From.
	From string
	// To is the SIP URI called, such as sip:callroute@127.0.0.1:5060
	// (required; a ";transport=tcp" parameter wins over Transport).
	To string
	// Transport is "udp" (default) or "tcp".
	Transport string
	// LocalAddr is the host:port SIP binds to (default 127.0.0.1:0); RTP
	// binds to the same host. An unspecified host (0.0.0.0) announces the
	// address the system routes towards To.
	LocalAddr string
	// Username and Password answer one digest challenge (401 or 407),
	// with SHA-256 when offered, else MD5. Without a password a challenge
	// fails the call.
	Username, Password string
	// Tone is the frequency sent during the talk, in Hz (default 1000).
	Tone float64
	// Play is a WAV file (8 kHz mono PCM, mu-law or A-law) sent instead of
	// the tone, once, then silence until Duration ends.
	Play string
	// Record is a WAV file written with what is heard (early media and the
	// talk), 16-bit PCM at 8 kHz.
	Record string
	// Duration is the talk time after the answer (default 5 s).
	Duration time.Duration
	// RingTimeout is how long the call may go unanswered (default 60 s);
	// then it is cancelled.
	RingTimeout time.Duration
	// RTPPorts is the local RTP port range, "MIN-MAX" (default
	// DefaultRTPPorts).
	RTPPorts string
	// Logger gets the SIP and media events (default: discard).
	Logger *slog.Logger
}

// checked are Options with defaults filled in and parsed values.
type checked struct {
	Options
	to             sip.Uri
	transport      string // "UDP" or "TCP"
	bindHost       string
	bindPort       int
	rtpMin, rtpMax int
}

func badf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadOptions, fmt.Sprintf(format, args...))
}

// check fills in the defaults and validates o.
func (o Options) check() (*checked, error) {
	c := &checked{Options: o}
	if strings.TrimSpace(o.From) == "" {
		return nil, badf("a From number is required")
	}
	if strings.ContainsFunc(o.From, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' || r == '<' || r == '>' || r == '@' }) {
		return nil, badf("From %q has characters a SIP header cannot carry", o.From)
	}
	if o.To == "" {
		return nil, badf("a To URI is required")
	}
	if len(o.To) < 4 || !strings.EqualFold(o.To[:4], "sip:") {
		return nil, badf("To %q is not a sip: URI (sip:user@host:port)", o.To)
	}
	if err := sip.ParseUri(o.To, &c.to); err != nil || c.to.Host == "" {
		return nil, badf("To %q is not a sip: URI (sip:user@host:port)", o.To)
	}
	c.transport = strings.ToUpper(o.Transport)
	if t, ok := c.to.UriParams.Get("transport"); ok && t != "" {
		c.transport = strings.ToUpper(t)
	}
	switch c.transport {
	case "":
		c.transport = "UDP"
	case "UDP", "TCP":
	default:
		return nil, badf("transport %q: want udp or tcp", o.Transport)
	}
	if c.LocalAddr == "" {
		c.LocalAddr = DefaultLocalAddr
	}
	host, port, err := net.SplitHostPort(c.LocalAddr)
	if err != nil || net.ParseIP(host) == nil {
		return nil, badf("local address %q: want ip:port, such as %s", c.LocalAddr, DefaultLocalAddr)
	}
	if c.bindPort, err = strconv.Atoi(port); err != nil || c.bindPort < 0 || c.bindPort > 65535 {
		return nil, badf("local address %q: bad port", c.LocalAddr)
	}
	c.bindHost = host
	if o.Play != "" && o.Tone != 0 {
		return nil, badf("give a tone or a file to play, not both")
	}
	if c.Tone == 0 {
		c.Tone = DefaultTone
	}
	if math.IsNaN(c.Tone) || c.Tone < 50 || c.Tone > 3950 {
		return nil, badf("tone %g Hz: want 50 to 3950 Hz (telephone audio is sampled at 8 kHz)", c.Tone)
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.RingTimeout == 0 {
		c.RingTimeout = DefaultRingTimeout
	}
	if c.Duration < 0 || c.RingTimeout < 0 {
		return nil, badf("durations must be positive")
	}
	if c.RTPPorts == "" {
		c.RTPPorts = DefaultRTPPorts
	}
	if c.rtpMin, c.rtpMax, err = media.ParsePortRange(c.RTPPorts); err != nil {
		return nil, badf("%v", err)
	}
	if c.Password != "" && c.Username == "" {
		c.Username = c.From
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// source is what the call sends during the talk: the tone, or the WAV file
// then silence, for Duration.
func (c *checked) source() (audio.Source, error) {
	ms := int(c.Duration / time.Millisecond)
	if c.Play == "" {
		return audio.Limit(audio.NewTone(c.Tone, DefaultToneLevel), ms), nil
	}
	f, err := os.Open(c.Play)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	clip, err := media.WAVSource(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Play, err)
	}
	return audio.Limit(audio.Concat(clip, audio.Silence()), ms), nil
}
