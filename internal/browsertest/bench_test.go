package browsertest

import (
	"testing"
	"time"
)

// go test ./internal/browsertest -run '^$' -bench . -benchtime 10x

// BenchmarkStart is a whole browser: launch to a usable DevTools
// connection, then close and reap.
func BenchmarkStart(b *testing.B) {
	var launch, stop time.Duration
	for b.Loop() {
		s := &scope{TB: b}
		br := Start(s, Options{})
		launch += br.LaunchTime()
		t0 := time.Now()
		s.end()
		stop += time.Since(t0)
	}
	b.ReportMetric(float64(launch.Milliseconds())/float64(b.N), "launch-ms/op")
	b.ReportMetric(float64(stop.Milliseconds())/float64(b.N), "close-ms/op")
}

// scope runs the cleanups registered on it when end is called, so a
// benchmark can end one browser per iteration.
type scope struct {
	testing.TB
	fns []func()
}

func (s *scope) Cleanup(f func()) { s.fns = append(s.fns, f) }

func (s *scope) end() {
	for i := len(s.fns) - 1; i >= 0; i-- {
		s.fns[i]()
	}
	s.fns = nil
}

// BenchmarkNewTab opens a user's tab, loads a page and closes the tab.
func BenchmarkNewTab(b *testing.B) {
	srv := testServer(b)
	br := Start(b, Options{})
	var open, load time.Duration
	for b.Loop() {
		t0 := time.Now()
		tab := br.NewTab(b)
		t1 := time.Now()
		tab.Navigate(srv.URL + "/form.html")
		t2 := time.Now()
		tab.Close()
		open += t1.Sub(t0)
		load += t2.Sub(t1)
	}
	b.ReportMetric(float64(open.Milliseconds())/float64(b.N), "open-ms/op")
	b.ReportMetric(float64(load.Milliseconds())/float64(b.N), "navigate-ms/op")
}

// BenchmarkLoopbackHeard is the audio path in one warm browser: click, the
// in-page WebRTC pair connects, the probe locks on the 440 Hz tone.
func BenchmarkLoopbackHeard(b *testing.B) {
	srv := testServer(b)
	br := Start(b, Options{})
	var connect, heard time.Duration
	for b.Loop() {
		tab := br.NewTab(b)
		tab.InstallAudioProbe()
		tab.Navigate(srv.URL + "/loopback.html")
		t0 := time.Now()
		tab.Click("start")
		tab.WithTimeout(15 * time.Second).WaitFunc("window.loopback.state === 'connected'")
		t1 := time.Now()
		tab.WaitHearing(440, 15, -50)
		t2 := time.Now()
		tab.Close()
		connect += t1.Sub(t0)
		heard += t2.Sub(t1)
	}
	b.ReportMetric(float64(connect.Milliseconds())/float64(b.N), "click-to-connected-ms/op")
	b.ReportMetric(float64(heard.Milliseconds())/float64(b.N), "connected-to-heard-ms/op")
}
