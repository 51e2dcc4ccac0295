package dialer_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"callroute/media/audio"
	"callroute/media/wav"
	"callroute/sip/dialer"
	"callroute/sip/dialer/dialertest"
)

// Every test places real calls over loopback to a dialertest UAS; calls are
// short (about a second of talk) and every wait is bounded.

const talk = 1200 * time.Millisecond // enough audio for ±5 Hz (audio.Analyze)

func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// dial calls the UAS with o (From, To, Duration and Logger filled in).
func dial(t *testing.T, ctx context.Context, uas *dialertest.UAS, o dialer.Options) (*dialer.Report, error) {
	t.Helper()
	if o.From == "" {
		o.From = "+40722000111"
	}
	o.To = uas.URI()
	if o.Duration == 0 {
		o.Duration = talk
	}
	o.Logger = testLogger(t)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rep, err := dialer.Dial(ctx, o)
	if rep != nil {
		t.Logf("report: %s (statuses %v, err %v)", rep.Summary(), rep.Statuses, err)
	}
	return rep, err
}

// next is the UAS's view of the call that just ended.
func next(t *testing.T, uas *dialertest.UAS) dialertest.Call {
	t.Helper()
	c, ok := uas.Next(10 * time.Second)
	if !ok {
		t.Fatal("the UAS saw no call end")
	}
	return c
}

func near(got, want float64) bool { return math.Abs(got-want) <= 5 }

func TestToneBothWays(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			uas := dialertest.New(t, transport, dialertest.Behaviour{RingFor: 100 * time.Millisecond})
			rep, err := dial(t, t.Context(), uas, dialer.Options{Transport: transport})
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			if !rep.Answered || rep.HungUp != dialer.HungUpLocal || rep.Codec != "PCMU" {
				t.Errorf("answered %v, hung up %q, codec %q", rep.Answered, rep.HungUp, rep.Codec)
			}
			if !near(rep.Heard.FrequencyHz, 440) || rep.Heard.PeakFraction < 0.5 {
				t.Errorf("heard %s, want 440 Hz", rep.Heard)
			}
			// The UAS sends 100 and 180 together: sipgo may pass them up
			// in either order, or drop the 100 once the 180 is in.
			if !slices.Contains(rep.Statuses, 180) || rep.Statuses[len(rep.Statuses)-1] != 200 || rep.RingStatus != 180 || rep.FirstRing <= 0 ||
				rep.Answer < 100*time.Millisecond || rep.Talk < talk {
				t.Errorf("statuses %v, ring %d after %v, answer after %v, talk %v", rep.Statuses, rep.RingStatus, rep.FirstRing, rep.Answer, rep.Talk)
			}
			if want := uint64(talk / (20 * time.Millisecond)); rep.PacketsSent < want-2 || rep.PacketsReceived < want/2 {
				t.Errorf("packets sent %d, received %d; want about %d", rep.PacketsSent, rep.PacketsReceived, want)
			}
			c := next(t, uas)
			a := audio.Analyze(c.PCM)
			if !c.Answered || !c.ByeReceived || !near(a.PeakHz, 1000) || c.From != "+40722000111" || c.DisplayName != "+40722000111" {
				t.Errorf("UAS: %+v heard %.1f Hz", c, a.PeakHz)
			}
			if !strings.EqualFold(c.Transport, transport) {
				t.Errorf("UAS got the call over %s", c.Transport)
			}
		})
	}
}

func TestPlayWAVAndRecord(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	play, rec := filepath.Join(dir, "play.wav"), filepath.Join(dir, "heard.wav")
	b, err := wav.Encode(wav.ULaw, 8000, audio.Render(audio.NewTone(700, -12), 800))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(play, b, 0o600); err != nil {
		t.Fatal(err)
	}
	uas := dialertest.New(t, "udp", dialertest.Behaviour{})
	rep, err := dial(t, t.Context(), uas, dialer.Options{Play: play, Record: rec})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := next(t, uas)
	// The file (0.8 s of 700 Hz) is followed by silence up to the talk time.
	if a := audio.Analyze(c.PCM); !near(a.PeakHz, 700) {
		t.Errorf("UAS heard %.1f Hz, want 700", a.PeakHz)
	}
	f, err := os.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := wav.Read(f)
	if err != nil {
		t.Fatalf("recording: %v", err)
	}
	if w.Format != wav.PCM || w.SampleRate != 8000 || w.DurationMillis() < 800 || rep.Recording != rec || rep.Recorded < 800*time.Millisecond {
		t.Errorf("recording %v %d Hz %d ms, report %q %v", w.Format, w.SampleRate, w.DurationMillis(), rep.Recording, rep.Recorded)
	}
	if a := audio.Analyze(w.PCM()); !near(a.PeakHz, 440) {
		t.Errorf("recording: %.1f Hz, want 440", a.PeakHz)
	}
}

func TestDigestAuth(t *testing.T) {
	for _, tc := range []struct {
		name     string
		b        dialertest.Behaviour
		password string
		want     string // algorithm, "" = rejected
	}{
		{"sha256 preferred", dialertest.Behaviour{}, "s3cret-pw", "SHA-256"},
		{"md5 only", dialertest.Behaviour{Algorithms: []string{"MD5"}}, "s3cret-pw", "MD5"},
		{"proxy 407", dialertest.Behaviour{Proxy: true}, "s3cret-pw", "SHA-256"},
		{"wrong password", dialertest.Behaviour{}, "wrong", ""},
		{"no password", dialertest.Behaviour{}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := tc.b
			b.Username, b.Password = "201", "s3cret-pw"
			uas := dialertest.New(t, "udp", b)
			rep, err := dial(t, t.Context(), uas, dialer.Options{Username: "201", Password: tc.password, Duration: 300 * time.Millisecond})
			if tc.want == "" {
				var se *dialer.StatusError
				if !errors.As(err, &se) || (se.Status != 401 && se.Status != 407) {
					t.Fatalf("err %v, want the challenge as the failure", err)
				}
				return
			}
			if err != nil || rep.Auth != tc.want {
				t.Fatalf("err %v, auth %q; want %s", err, rep.Auth, tc.want)
			}
			challenge := 401
			if tc.b.Proxy {
				challenge = 407
			}
			if rep.Statuses[0] != challenge || rep.FinalStatus != 200 {
				t.Errorf("statuses %v", rep.Statuses)
			}
			if c := next(t, uas); c.AuthAlgorithm != tc.want || !c.Answered {
				t.Errorf("UAS: %+v", c)
			}
		})
	}
}

func TestRemoteHangsUp(t *testing.T) {
	t.Parallel()
	uas := dialertest.New(t, "udp", dialertest.Behaviour{HangUpAfter: 600 * time.Millisecond})
	start := time.Now()
	rep, err := dial(t, t.Context(), uas, dialer.Options{Duration: 10 * time.Second})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if rep.HungUp != dialer.HungUpRemote || !rep.Answered || rep.Talk > 3*time.Second || time.Since(start) > 5*time.Second {
		t.Errorf("hung up %q after %v", rep.HungUp, rep.Talk)
	}
	if !strings.Contains(rep.Summary(), "the far side hung up") {
		t.Errorf("summary %q", rep.Summary())
	}
	if c := next(t, uas); !c.HungUp || c.ByeReceived {
		t.Errorf("UAS: %+v", c)
	}
}

func TestEarlyMedia(t *testing.T) {
	t.Parallel()
	uas := dialertest.New(t, "udp", dialertest.Behaviour{EarlyTone: 425, RingFor: 800 * time.Millisecond})
	rep, err := dial(t, t.Context(), uas, dialer.Options{})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if rep.RingStatus != 183 || !rep.RingbackHeard || !near(rep.Early.FrequencyHz, 425) || rep.Early.Packets < 20 {
		t.Errorf("ring %d, early %s (%d packets), ringback %v", rep.RingStatus, rep.Early, rep.Early.Packets, rep.RingbackHeard)
	}
	if !near(rep.Heard.FrequencyHz, 440) {
		t.Errorf("talk: %s", rep.Heard)
	}
	if !strings.Contains(rep.Summary(), "ringback heard 425") {
		t.Errorf("summary %q", rep.Summary())
	}
}
