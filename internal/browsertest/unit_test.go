package browsertest

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowserFlagsHaveOneDisableFeatures(t *testing.T) {
	flags, err := browserFlags("/abs/mic.wav", 1280, 800, []string{
		"--disable-features=MediaRouter, OptimizationHints",
		"--enable-features=WebRtcFoo",
		"--lang=en-GB",
		"--autoplay-policy=document-user-activation-required",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	count := map[string]int{}
	for _, f := range flags {
		got[f.name] = f.value
		count[f.name]++
	}
	for name, n := range count {
		if n != 1 {
			t.Errorf("--%s appears %d times", name, n)
		}
	}
	want := map[string]any{
		"disable-features":                  "Translate,BlinkGenPropertyTrees,WebRtcHideLocalIpsWithMdns,MediaRouter,OptimizationHints",
		"enable-features":                   "NetworkService,NetworkServiceInProcess,WebRtcFoo",
		"use-file-for-fake-audio-capture":   "/abs/mic.wav",
		"window-size":                       "1280,800",
		"lang":                              "en-GB",
		"autoplay-policy":                   "document-user-activation-required", // an extra flag overrides
		"allow-loopback-in-peer-connection": true,
		"host-resolver-rules":               hostResolverRules,
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("--%s = %v, want %v", name, got[name], v)
		}
	}
}

func TestBrowserFlagsRejectBadExtraFlags(t *testing.T) {
	for _, bad := range []string{"lang=en", "--", "--=x", "--user-data-dir=/tmp/x", "--remote-debugging-port=9222"} {
		if _, err := browserFlags("/abs/mic.wav", 1280, 800, []string{bad}); err == nil || !strings.Contains(err.Error(), "ExtraFlags") {
			t.Errorf("ExtraFlags %q: err = %v, want an ExtraFlags error", bad, err)
		}
	}
}

// chromedp's default --disable-features must be what the harness repeats
// in its single switch; a chromedp upgrade that changes it fails here. The
// defaults are read from the command line chromedp builds, with /bin/true
// standing in for Chromium.
func TestChromedpDefaultDisabledFeatures(t *testing.T) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) to stand in for Chromium")
	}
	var args []string
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(truePath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) { args = cmd.Args }),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	_ = chromedp.Do(bctx) // true(1) exits at once: the launch fails, the args are what we want
	var found []string
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--disable-features="); ok {
			found = append(found, v)
		}
	}
	if len(found) != 1 || found[0] != chromedpDisabledFeatures {
		t.Errorf("chromedp's default --disable-features = %q, browsertest repeats %q: update chromedpDisabledFeatures", found, chromedpDisabledFeatures)
	}
}

func TestToneWAVIsSeamlessPCM(t *testing.T) {
	for _, hz := range []float64{440, 700, 1000, 440.04} {
		path := filepath.Join(t.TempDir(), "tone.wav")
		if err := writeToneWAV(path, hz, -6); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(raw[0:4]) != "RIFF" || string(raw[8:16]) != "WAVEfmt " || string(raw[36:40]) != "data" {
			t.Fatalf("%g Hz: not a canonical RIFF/WAVE header: %q", hz, raw[:44])
		}
		le := binary.LittleEndian
		if f, ch, rate, bits := le.Uint16(raw[20:]), le.Uint16(raw[22:]), le.Uint32(raw[24:]), le.Uint16(raw[34:]); f != 1 || ch != 1 || rate != wavRate || bits != 16 {
			t.Errorf("%g Hz: format %d, %d channels, %d Hz, %d bits; want PCM mono 48 kHz 16-bit", hz, f, ch, rate, bits)
		}
		n := int(le.Uint32(raw[40:])) / 2
		if n != wavRate*wavSeconds || len(raw) != 44+2*n {
			t.Fatalf("%g Hz: %d samples in %d bytes", hz, n, len(raw))
		}
		sample := func(i int) float64 { return float64(int16(le.Uint16(raw[44+2*i:]))) }
		// Seamless loop: the sample after the last is the first again, so
		// the last one is where sin() would be one step before 0.
		played := toneHz(hz)
		wantLast := math.Pow(10, -6.0/20) * math.MaxInt16 * math.Sin(-2*math.Pi*played/wavRate)
		if math.Abs(sample(n-1)-wantLast) > 1 || sample(0) != 0 {
			t.Errorf("%g Hz: first %v, last %v (want 0 and %.0f): the loop clicks", hz, sample(0), sample(n-1), wantLast)
		}
		// Zero crossings count the periods: 2 per period.
		crossings := 0
		for i := 1; i < n; i++ {
			if (sample(i-1) < 0) != (sample(i) < 0) {
				crossings++
			}
		}
		if periods := float64(crossings) / 2 / wavSeconds; math.Abs(periods-played) > 0.2 {
			t.Errorf("%g Hz: %v periods per second, want %g", hz, periods, played)
		}
		peak := 0.0
		for i := range n {
			peak = math.Max(peak, math.Abs(sample(i)))
		}
		if db := 20 * math.Log10(peak/math.MaxInt16); math.Abs(db+6) > 0.1 {
			t.Errorf("%g Hz: peak %.2f dBFS, want -6", hz, db)
		}
	}
}

func TestToneWAVRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		hz, db float64
		field  string
	}{{10, -6, "MicHz"}, {30000, -6, "MicHz"}, {440, 3, "MicDBFS"}, {440, -90, "MicDBFS"}} {
		err := writeToneWAV(filepath.Join(dir, "x.wav"), c.hz, c.db)
		if err == nil || !strings.HasPrefix(err.Error(), c.field) {
			t.Errorf("%g Hz %g dBFS: err = %v, want one naming %s", c.hz, c.db, err, c.field)
		}
	}
}

func TestHearingNeedsThreeFreshPassesInARow(t *testing.T) {
	r := func(seq int, hz, db float64) *AudioReading {
		return &AudioReading{Seq: seq, Track: "a", PeakHz: hz, RMSDB: db}
	}
	ended := func(seq int) *AudioReading {
		return &AudioReading{Seq: seq, Track: "a", PeakHz: 440, RMSDB: -9, Ended: true}
	}
	cases := []struct {
		name  string
		polls []*AudioReading
		want  bool
	}{
		{"three passes", []*AudioReading{r(1, 440, -9), r(2, 441, -9), r(3, 439.5, -9)}, true},
		{"same analysis polled again does not count", []*AudioReading{r(1, 440, -9), r(1, 440, -9), r(1, 440, -9), r(2, 440, -9)}, false},
		{"a miss resets", []*AudioReading{r(1, 440, -9), r(2, 440, -9), r(3, 700, -9), r(4, 440, -9), r(5, 440, -9)}, false},
		{"too quiet", []*AudioReading{r(1, 440, -60), r(2, 440, -60), r(3, 440, -60)}, false},
		{"outside tolerance", []*AudioReading{r(1, 456, -9), r(2, 456, -9), r(3, 456, -9)}, false},
		{"no track yet, then three passes", []*AudioReading{nil, nil, r(1, 440, -9), r(2, 440, -9), r(3, 440, -9)}, true},
		{"an ended track is not heard", []*AudioReading{ended(1), ended(2), ended(3)}, false},
	}
	silence := hearing{pass: func(r AudioReading) bool { return r.Ended || r.RMSDB < -60 }}
	if !silence.observe(ended(7), nil) {
		t.Error("an ended track is not silence at once")
	}
	for _, c := range cases {
		h := hearing{pass: tonePass(440, 15, -50)}
		got := false
		for _, p := range c.polls {
			got = h.observe(p, nil)
		}
		if got != c.want {
			t.Errorf("%s: heard = %v, want %v (%s)", c.name, got, c.want, h.report())
		}
	}
}

func TestLocateChromium(t *testing.T) {
	dir := t.TempDir()
	present := filepath.Join(dir, "chromium")
	if err := os.WriteFile(present, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExec := filepath.Join(dir, "plain")
	if err := os.WriteFile(notExec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	for _, c := range []struct {
		name              string
		explicit, def     string
		ci                bool
		path, skip, error string
	}{
		{"default present", "", present, false, present, "", ""},
		{"default missing locally: skip", "", missing, false, "", "apt-get install chromium", ""},
		{"default missing in CI: fail", "", missing, true, "", "", "required (CI=true)"},
		{"explicit present", present, missing, true, present, "", ""},
		{"explicit missing: fail even locally", missing, present, false, "", "", ChromiumEnv},
		{"explicit not executable", notExec, present, false, "", "", "not an executable"},
	} {
		path, skip, err := locateChromium(c.explicit, c.def, c.ci)
		if path != c.path || (c.skip == "") != (skip == "") || !strings.Contains(skip, c.skip) {
			t.Errorf("%s: path %q skip %q, want %q and a skip with %q", c.name, path, skip, c.path, c.skip)
		}
		if (c.error == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.error)) {
			t.Errorf("%s: err = %v, want one with %q", c.name, err, c.error)
		}
	}
}

func TestOptionsRejectBadValues(t *testing.T) {
	for _, c := range []struct {
		o     Options
		field string
	}{
		{Options{Width: 50}, "Width"},
		{Options{Timeout: -time.Second}, "Timeout"},
		{Options{WaitTimeout: -1}, "WaitTimeout"},
	} {
		if _, err := c.o.withDefaults(t); err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%+v: err = %v, want one naming %s", c.o, err, c.field)
		}
	}
	o, err := Options{}.withDefaults(t)
	if err != nil {
		t.Fatal(err)
	}
	if o.MicHz != 440 || o.Width != 1280 || o.Height != 800 || o.WaitTimeout != 10*time.Second || o.Timeout <= 0 {
		t.Errorf("defaults: %+v", o)
	}
}
