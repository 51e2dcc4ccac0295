package browsertest

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

//go:embed audio_probe.js
var audioProbeJS string

// passesInARow is how many consecutive fresh analyses (100 ms apart) must
// pass: ~300 ms of stable tone, not one lucky frame.
const passesInARow = 3

// AudioReading is one analysis of the newest remote audio track: the
// strongest frequency in 100-3900 Hz and the level.
type AudioReading struct {
	PeakHz float64 `json:"peakHz"`
	PeakDB float64 `json:"peakDb"`
	RMSDB  float64 `json:"rmsDb"` // dBFS; -200 for digital silence
	// At is the page's performance.now() in ms; Seq counts the track's
	// analyses, so two polls of one analysis are told apart.
	At           float64 `json:"at"`
	Seq          int     `json:"seq"`
	Track        string  `json:"track"`
	SampleRate   float64 `json:"sampleRate"`
	ContextState string  `json:"contextState"`
	Tracks       int     `json:"tracks"` // remote audio tracks seen in the page
	// Ended is set once the track has ended (its peer connection closed):
	// the reading is its last.
	Ended bool `json:"ended"`
}

func (r AudioReading) String() string {
	s := fmt.Sprintf("%.1f Hz %.1f dBFS", r.PeakHz, r.RMSDB)
	if r.Ended {
		s += " (track ended)"
	}
	return s
}

// PeerStats summarises getStats() of one RTCPeerConnection of the page.
type PeerStats struct {
	Index                int     `json:"index"`
	ConnectionState      string  `json:"connectionState"`
	ICEConnectionState   string  `json:"iceConnectionState"`
	SignalingState       string  `json:"signalingState"`
	DTLSState            string  `json:"dtlsState"`
	InboundCodec         string  `json:"inboundCodec"`  // e.g. "PCMU/8000 pt=0"
	OutboundCodec        string  `json:"outboundCodec"` // e.g. "PCMU/8000 pt=0"
	PacketsReceived      int64   `json:"packetsReceived"`
	PacketsSent          int64   `json:"packetsSent"`
	PacketsLost          int64   `json:"packetsLost"`
	Jitter               float64 `json:"jitter"`
	ConcealedSamples     int64   `json:"concealedSamples"`
	TotalSamplesReceived int64   `json:"totalSamplesReceived"`
	LocalCandidate       string  `json:"localCandidate"`  // e.g. "host 127.0.0.1:40002/udp"
	RemoteCandidate      string  `json:"remoteCandidate"` // of the selected pair
	PairState            string  `json:"pairState"`
	Error                string  `json:"error"`
}

func (s PeerStats) String() string {
	if s.Error != "" {
		return fmt.Sprintf("pc#%d: getStats failed: %s", s.Index, s.Error)
	}
	return fmt.Sprintf("pc#%d %s (ice %s, dtls %s) in %q out %q, rx %d tx %d lost %d concealed %d/%d, pair %s <-> %s %s",
		s.Index, s.ConnectionState, s.ICEConnectionState, s.DTLSState, s.InboundCodec, s.OutboundCodec,
		s.PacketsReceived, s.PacketsSent, s.PacketsLost, s.ConcealedSamples, s.TotalSamplesReceived,
		s.LocalCandidate, s.RemoteCandidate, s.PairState)
}

// InstallAudioProbe makes every page the tab loads from now on analyse its
// remote audio: it wraps RTCPeerConnection before the page's scripts run
// (and in the current page, for connections made after this call). Call it
// before Navigate. The probe lives in the test only; callroute's pages know
// nothing of it.
func (tab *Tab) InstallAudioProbe() {
	tab.t.Helper()
	err := tab.run(func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source:         audioProbeJS,
			RunImmediately: new(true),
		})
		return err
	})
	if err != nil {
		tab.fatalf("install audio probe: %v", err)
	}
	tab.mu.Lock()
	tab.probe = true
	tab.mu.Unlock()
}

// Audio returns the probe's latest reading, and false while the page has no
// remote audio track.
func (tab *Tab) Audio() (AudioReading, bool) {
	tab.t.Helper()
	tab.requireProbe("Audio")
	var r *AudioReading
	if err := tab.eval("window.__callrouteAudio", &r); err != nil {
		tab.fatalf("read audio probe: %v", err)
	}
	if r == nil {
		return AudioReading{}, false
	}
	return *r, true
}

// AudioStats summarises getStats() of every RTCPeerConnection the page made.
func (tab *Tab) AudioStats() []PeerStats {
	tab.t.Helper()
	tab.requireProbe("AudioStats")
	var s []PeerStats
	if err := tab.eval("window.__callrouteProbe ? window.__callrouteProbe.stats() : []", &s); err != nil {
		tab.fatalf("read getStats: %v", err)
	}
	return s
}

// WaitHearing waits until the tab hears a tone: the peak of the newest
// remote audio track within tolerance Hz of hz and its RMS level above
// minDB dBFS, in 3 consecutive fresh analyses (100 ms apart), within
// Options.AudioTimeout (or WithTimeout's). It fails with the last readings,
// the peer connections' stats and the console. It returns the last reading.
func (tab *Tab) WaitHearing(hz, tolerance, minDB float64) AudioReading {
	tab.t.Helper()
	if hz <= 0 || tolerance <= 0 || math.IsNaN(minDB) {
		tab.t.Fatalf("browsertest: WaitHearing: hz %g and tolerance %g must be positive, minDB %g a number", hz, tolerance, minDB)
	}
	return tab.waitAudio("WaitHearing", fmt.Sprintf("hear %g±%g Hz above %g dBFS", hz, tolerance, minDB), tonePass(hz, tolerance, minDB))
}

// WaitSilence waits until the newest remote audio track is quieter than
// maxDB dBFS (e.g. -60) in 3 consecutive fresh analyses, or has ended: the
// browser stopped hearing the other side (hold, hang-up). A page that never
// got a remote audio track fails: there was nothing to fall silent.
func (tab *Tab) WaitSilence(maxDB float64) AudioReading {
	tab.t.Helper()
	if math.IsNaN(maxDB) {
		tab.t.Fatalf("browsertest: WaitSilence: maxDB %g is not a number", maxDB)
	}
	return tab.waitAudio("WaitSilence", fmt.Sprintf("fall silent below %g dBFS", maxDB), func(r AudioReading) bool {
		return r.Ended || r.RMSDB < maxDB
	})
}

func tonePass(hz, tolerance, minDB float64) func(AudioReading) bool {
	return func(r AudioReading) bool {
		return !r.Ended && math.Abs(r.PeakHz-hz) <= tolerance && r.RMSDB > minDB
	}
}

// waitAudio polls the probe until pass holds for passesInARow fresh
// analyses, or fails the test saying it did not want.
func (tab *Tab) waitAudio(method, want string, pass func(AudioReading) bool) AudioReading {
	tab.t.Helper()
	tab.requireProbe(method)
	timeout := tab.timeout
	if timeout == 0 {
		timeout = tab.b.opts.AudioTimeout
	}
	h := hearing{pass: pass}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && tab.ctx.Err() == nil {
		var r *AudioReading
		err := tab.eval("window.__callrouteAudio", &r)
		if h.observe(r, err) {
			return *r
		}
		time.Sleep(pollInterval)
	}
	var stats []string
	var s []PeerStats
	if err := tab.eval("window.__callrouteProbe ? window.__callrouteProbe.stats() : []", &s); err != nil {
		stats = append(stats, "getStats: "+err.Error())
	}
	for _, p := range s {
		stats = append(stats, p.String())
	}
	var probeErrors []string
	_ = tab.eval("window.__callrouteProbe ? window.__callrouteProbe.errors : []", &probeErrors)
	tab.fatalf("did not %s (%d analyses in a row) within %v\n%s\npeer connections: %s\nprobe errors: %s",
		want, passesInARow, timeout, h.report(),
		orNone(strings.Join(stats, "; ")), orNone(strings.Join(probeErrors, "; ")))
	return AudioReading{}
}

// hearing counts consecutive passing analyses over polled readings.
type hearing struct {
	pass      func(AudioReading) bool
	streak    int
	lastSeq   int
	lastTrack string
	last      []AudioReading // newest last, at most 5
	lastErr   error
	polls     int
}

// observe takes one poll and reports whether pass has now held for
// passesInARow fresh analyses.
func (h *hearing) observe(r *AudioReading, err error) bool {
	h.polls++
	if err != nil {
		h.lastErr = err
		h.streak = 0
		return false
	}
	if r == nil {
		h.streak = 0
		return false
	}
	fresh := r.Track != h.lastTrack || r.Seq != h.lastSeq
	if fresh {
		h.lastTrack, h.lastSeq = r.Track, r.Seq
		h.last = append(h.last, *r)
		if len(h.last) > 5 {
			h.last = h.last[1:]
		}
	}
	if r.Ended {
		// An ended track's reading is its last: no analyses follow, so
		// it decides at once.
		return h.pass(*r)
	}
	if !fresh {
		return false // the same analysis polled twice: neither a pass nor a miss
	}
	if h.pass(*r) {
		h.streak++
	} else {
		h.streak = 0
	}
	return h.streak >= passesInARow
}

func (h *hearing) report() string {
	if len(h.last) == 0 {
		msg := fmt.Sprintf("no audio analysis in %d polls: the page got no remote audio track", h.polls)
		if h.lastErr != nil {
			msg += " (last error: " + h.lastErr.Error() + ")"
		}
		return msg
	}
	var rs []string
	for _, r := range h.last {
		rs = append(rs, r.String())
	}
	l := h.last[len(h.last)-1]
	return fmt.Sprintf("last readings: %s (AudioContext %s at %g Hz, %d remote audio tracks)",
		strings.Join(rs, ", "), l.ContextState, l.SampleRate, l.Tracks)
}

func (tab *Tab) requireProbe(method string) {
	tab.t.Helper()
	tab.mu.Lock()
	ok := tab.probe
	tab.mu.Unlock()
	if !ok {
		tab.t.Fatalf("browsertest: %s: %s needs InstallAudioProbe before Navigate", tab.name, method)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
