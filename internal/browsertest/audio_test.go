package browsertest

import (
	"math"
	"net"
	"strings"
	"testing"
	"time"
)

// startLoopback opens the loopback page with the probe installed and starts
// the call: the fake microphone goes out of one RTCPeerConnection and into
// another as real WebRTC audio over 127.0.0.1.
func startLoopback(t *testing.T, b *Browser) *Tab {
	t.Helper()
	srv := testServer(t)
	tab := b.NewTab(t)
	tab.InstallAudioProbe()
	tab.Navigate(srv.URL + "/loopback.html")
	tab.Click("start") // a real click: the page's audio starts after a gesture
	tab.WithTimeout(15 * time.Second).WaitFunc("window.loopback.state === 'connected'")
	return tab
}

func TestProbeHearsTheFakeMicrophoneOverWebRTC(t *testing.T) {
	b := Start(t, Options{}) // 440 Hz
	tab := startLoopback(t, b)

	r := tab.WaitHearing(440, 15, -50)
	t.Logf("heard %v (AudioContext %s at %g Hz)", r, r.ContextState, r.SampleRate)
	if math.Abs(r.PeakHz-440) > 3 {
		t.Errorf("peak %.2f Hz, want 440 within 3 Hz (parabolic interpolation over 5.4 Hz bins)", r.PeakHz)
	}
	if r.SampleRate <= 0 || r.ContextState != "running" {
		t.Errorf("AudioContext %q at %g Hz, want running", r.ContextState, r.SampleRate)
	}

	stats := tab.AudioStats()
	if len(stats) != 2 {
		t.Fatalf("probe saw %d peer connections, want the page's 2: %v", len(stats), stats)
	}
	rx := stats[1]
	t.Logf("sender: %v", stats[0])
	t.Logf("receiver: %v", rx)
	if rx.ConnectionState != "connected" || rx.PacketsReceived == 0 || rx.InboundCodec == "" {
		t.Errorf("receiver: %v, want connected with packets and a codec", rx)
	}
	if stats[0].PacketsSent == 0 || stats[0].OutboundCodec == "" {
		t.Errorf("sender: %v, want packets sent with a codec", stats[0])
	}
	// The page passes on only 127.0.0.1 candidates, so one end of each
	// side's selected pair is a 127.0.0.1 host candidate. Chrome cannot be
	// kept from pairing its own non-loopback host address with it (either
	// side's local end may be, e.g., eth0's address, or show as a prflx
	// whose address Chrome hides), but that is an address of this machine:
	// the kernel delivers the packets over lo and nothing goes on the wire.
	for _, s := range stats {
		ends := []string{s.LocalCandidate, s.RemoteCandidate}
		if !strings.HasPrefix(ends[0], "host 127.0.0.1:") && !strings.HasPrefix(ends[1], "host 127.0.0.1:") {
			t.Errorf("pc#%d's selected pair %s <-> %s has no 127.0.0.1 host candidate", s.Index, ends[0], ends[1])
		}
		for _, c := range ends {
			if ip := candidateIP(c); ip == nil && !strings.HasPrefix(c, "prflx ") || ip != nil && !isLocalAddress(t, ip) {
				t.Errorf("pc#%d's candidate %q is not an address of this machine", s.Index, c)
			}
		}
	}

	// Muted (the track stays live, the audio stops), then hung up (the
	// track ends): both are silence, and after hang-up no stale tone stays.
	tab.Click("mute")
	if r := tab.WaitSilence(-60); r.Ended {
		t.Errorf("muted track reported ended: %v", r)
	}
	tab.Click("hangup")
	tab.WaitSilence(-60)
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, ok := tab.Audio()
		if ok && r.Ended {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after hang-up the reading is %v, want the track ended", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	mustFail(t, "WaitHearing after hang-up", func(tb testing.TB) {
		tab.For(tb).WithTimeout(time.Second).WaitHearing(440, 15, -50)
	}, "(track ended)")
}

// candidateIP takes the address out of "host 192.0.2.2:39566/udp".
func candidateIP(c string) net.IP {
	_, hostport, _ := strings.Cut(c, " ")
	hostport, _, _ = strings.Cut(hostport, "/")
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil
	}
	return net.ParseIP(host)
}

func isLocalAddress(t *testing.T, ip net.IP) bool {
	t.Helper()
	if ip == nil {
		return false
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// The negative control: with the microphone at 700 Hz, waiting for 440 Hz
// must fail, and say what was heard instead.
func TestWaitHearingFailsOnTheWrongTone(t *testing.T) {
	b := Start(t, Options{MicHz: 700})
	tab := startLoopback(t, b)

	mustFail(t, "WaitHearing(440) with a 700 Hz microphone", func(tb testing.TB) {
		tab.For(tb).WithTimeout(3*time.Second).WaitHearing(440, 15, -50)
	}, "did not hear 440±15 Hz above -50 dBFS", "last readings: 70", "peer connections: pc#0 connected")
	// The probe did hear the 700 Hz tone: the check bites on frequency, not
	// on silence.
	tab.WaitHearing(700, 15, -50)
}

func TestWaitHearingWithoutAudioSaysSo(t *testing.T) {
	srv := testServer(t)
	b := Start(t, Options{})
	tab := b.NewTab(t)
	tab.InstallAudioProbe()
	tab.Navigate(srv.URL + "/form.html")
	if _, ok := tab.Audio(); ok {
		t.Error("Audio reports a reading on a page without WebRTC")
	}
	mustFail(t, "WaitHearing on a page without remote audio", func(tb testing.TB) {
		tab.For(tb).WithTimeout(500*time.Millisecond).WaitHearing(440, 15, -50)
	}, "the page got no remote audio track")
	mustFail(t, "WaitSilence on a page without remote audio", func(tb testing.TB) {
		tab.For(tb).WithTimeout(500 * time.Millisecond).WaitSilence(-60)
	}, "did not fall silent below -60 dBFS", "the page got no remote audio track")
	mustFail(t, "WaitHearing without the probe", func(tb testing.TB) {
		b.NewTab(tb).WaitHearing(440, 15, -50)
	}, "needs InstallAudioProbe before Navigate")
}
