package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"callroute/media"
	"callroute/sip/dialer"
)

var dialCommand = &command{
	name:    "dial",
	args:    "--from NUMBER [--to SIP-URI] [--tone HZ | --play FILE.wav] [--record FILE.wav] [--duration D]",
	summary: "place a test call: send a tone or a WAV file, hear and analyse the answer",
	about: `Calls a SIP URI (by default callroute itself, at --sip-addr) from the caller
ID --from, over UDP or TCP. Once answered it sends a tone (--tone, 1000 Hz by
default) or a WAV file (--play: 8 kHz mono, 16-bit PCM, mu-law or A-law, then
silence) for --duration, records what it hears (early media and the talk) to
--record if given, then hangs up. A 401 or 407 is answered once with
--username and --password (the password may also come from
CALLROUTE_DIAL_PASSWORD).

It prints one line: the answer and ringing times, the codec, the talk time,
the dominant frequency heard with its level and share of the power, the RTP
packets sent and received, and who hung up. Exit status 0 when the call was
answered and completed (also when the far side hung up first), 1 when it was
rejected, not answered within --ring-timeout (then cancelled) or failed, 2 on
a usage error.`,
	run: runDial,
}

// dialPasswordEnv is read for --password when neither the flag nor its
// own variable (CALLROUTE_PASSWORD) is set: a name no other command reads.
const dialPasswordEnv = envPrefix + "DIAL_PASSWORD"

// dialFlags are the settings of dial.
type dialFlags struct {
	o        dialer.Options
	sipAddr  string
	logLevel slog.Level
}

func dialFlagSet(d *dialFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("dial", flag.ContinueOnError)
	o := &d.o
	fs.StringVar(&o.From, "from", "", "the caller ID `NUMBER` to call from (required): From's user part and display name")
	fs.StringVar(&o.To, "to", "", "the SIP `URI` to call (default sip:callroute@ the --sip-addr); ;transport=tcp selects TCP")
	checkedVar(fs, &d.sipAddr, "sip-addr", defaultSIPAddr,
		"`host:port` of callroute's SIP edge, called when --to is not given", checkHostPort)
	fs.Float64Var(&o.Tone, "tone", dialer.DefaultTone, "frequency of the tone to send, in `HZ` (50-3950)")
	fs.StringVar(&o.Play, "play", "", "a `FILE.wav` to send instead of the tone")
	fs.StringVar(&o.Record, "record", "", "write what is heard to `FILE.wav` (16-bit PCM, 8 kHz)")
	fs.DurationVar(&o.Duration, "duration", dialer.DefaultDuration, "talk time once answered (`duration`)")
	fs.DurationVar(&o.RingTimeout, "ring-timeout", dialer.DefaultRingTimeout,
		"how long to let it ring before cancelling (`duration`)")
	checkedVar(fs, &o.Transport, "transport", "udp", "SIP `transport`: udp or tcp", func(s string) (string, error) {
		if s = strings.ToLower(s); s != "udp" && s != "tcp" {
			return "", errors.New("want udp or tcp")
		}
		return s, nil
	})
	checkedVar(fs, &o.LocalAddr, "local-addr", dialer.DefaultLocalAddr,
		"`ip:port` to send from (SIP; RTP uses the same IP); 0.0.0.0:0 to call another host", checkHostPort)
	checkedVar(fs, &o.RTPPorts, "rtp-ports", dialer.DefaultRTPPorts, "local RTP port `range`", func(s string) (string, error) {
		if _, _, err := media.ParsePortRange(s); err != nil {
			return "", errors.New("want MIN-MAX, such as " + dialer.DefaultRTPPorts)
		}
		return s, nil
	})
	fs.StringVar(&o.Username, "username", "", "digest `username` to answer a 401 or 407 with (default: --from)")
	fs.StringVar(&o.Password, "password", "", "digest `password` (or "+dialPasswordEnv+")")
	d.logLevel = slog.LevelWarn
	fs.Var((*levelFlag)(&d.logLevel), "log-level", "log `level` on standard error: debug, info, warn or error")
	return fs
}

func runDial(ctx context.Context, c *cli, cmd *command, args []string) error {
	var d dialFlags
	fs := dialFlagSet(&d)
	if _, err := c.parse(cmd, fs, args, 0); err != nil {
		return err
	}
	o := &d.o
	switch {
	case o.From == "":
		return usagef("dial: --from is required")
	case o.Play != "" && flagGiven(fs, "tone"):
		return usagef("dial: give --tone or --play, not both")
	case o.Duration <= 0 || o.RingTimeout <= 0:
		return usagef("dial: --duration and --ring-timeout must be positive")
	}
	if o.Play != "" {
		o.Tone = 0
	}
	if o.To == "" {
		o.To = defaultDialTarget(d.sipAddr)
	}
	if !flagGiven(fs, "password") {
		o.Password = c.getenv(dialPasswordEnv)
	}
	o.Logger = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: d.logLevel}))
	rep, err := dialer.Dial(ctx, *o)
	if errors.Is(err, dialer.ErrBadOptions) {
		return usagef("dial: %s", strings.TrimPrefix(err.Error(), dialer.ErrBadOptions.Error()+": "))
	}
	if rep != nil {
		fmt.Fprintln(c.stdout, rep.Summary())
		if rep.Recording != "" {
			fmt.Fprintf(c.stdout, "recorded %.1f s to %s\n", rep.Recorded.Seconds(), rep.Recording)
		}
	}
	return dialFailure(err, o.RingTimeout)
}

// dialFailure says why a call failed, nil when it did not.
func dialFailure(err error, ringTimeout time.Duration) error {
	var se *dialer.StatusError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return fmt.Errorf("the call failed: %d %s", se.Status, se.Reason)
	case errors.Is(err, dialer.ErrNoAnswer):
		return fmt.Errorf("no answer within %v: cancelled", ringTimeout)
	case errors.Is(err, dialer.ErrNoResponse):
		return fmt.Errorf("the call failed: %w (is anything listening there?)", err)
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted")
	}
	return fmt.Errorf("the call failed: %w", err)
}

// defaultDialTarget is callroute's own URI at its SIP address; an
// unspecified host (the server listens on every address) is called on
// loopback.
func defaultDialTarget(sipAddr string) string {
	host, port, err := net.SplitHostPort(sipAddr)
	if err != nil {
		return "sip:callroute@" + sipAddr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "sip:callroute@" + net.JoinHostPort(host, port)
}
