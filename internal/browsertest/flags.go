package browsertest

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/chromedp/chromedp"
)

// chromedpDisabledFeatures is the value chromedp v0.23.1 gives
// --disable-features in DefaultExecAllocatorOptions. Chrome honours only the
// last --disable-features switch and does not merge repeats, and chromedp
// keeps one value per flag name, so the harness must repeat chromedp's list
// inside its own single switch. TestChromedpDefaultDisabledFeatures notices
// when a chromedp upgrade changes it.
const chromedpDisabledFeatures = "Translate,BlinkGenPropertyTrees"

// disabledFeatures are the features the harness turns off on top of
// chromedp's. WebRtcHideLocalIpsWithMdns would replace host candidates with
// <uuid>.local names, which a loopback-only pion leg drops.
var disabledFeatures = []string{"WebRtcHideLocalIpsWithMdns"}

// hostResolverRules makes every host name but the loopback ones resolve to
// nothing, so background lookups (accounts.google.com,
// update.googleapis.com, clients2.google.com) never leave the machine.
const hostResolverRules = "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"

// flag is one Chromium command-line switch: a string value, or true for a
// bare switch.
type flag struct {
	name  string
	value any
}

// browserFlags returns the switches the harness adds to chromedp's defaults,
// in order, with the extra ones of Options merged in. A list-valued switch
// (disable-features, enable-features) given again in extra is joined into the
// single switch rather than replacing it.
func browserFlags(wavPath string, width, height int, extra []string) ([]flag, error) {
	disable := append(strings.Split(chromedpDisabledFeatures, ","), disabledFeatures...)
	flags := []flag{
		{"headless", true},
		{"disable-gpu", true},
		{"disable-quic", true},
		{"no-first-run", true},
		{"disable-sync", true},
		{"disable-background-networking", true},
		{"disable-component-update", true},
		{"disable-dev-shm-usage", true},
		// Grants the microphone without a prompt; with the permission
		// granted Chrome also puts raw host IPs, not mDNS names, in SDP.
		{"use-fake-ui-for-media-stream", true},
		// A fake capture device: with no sound card getUserMedia would
		// fail with NotFoundError.
		{"use-fake-device-for-media-stream", true},
		// A known steady tone instead of the default beep pattern. A bad
		// path is not an error for Chrome: it sends silence.
		{"use-file-for-fake-audio-capture", wavPath},
		// AudioContext starts running and media plays without a gesture.
		{"autoplay-policy", "no-user-gesture-required"},
		// Without it Chrome offers no 127.0.0.1 ICE candidate.
		{"allow-loopback-in-peer-connection", true},
		{"host-resolver-rules", hostResolverRules},
		{"window-size", fmt.Sprintf("%d,%d", width, height)},
	}
	if os.Getuid() == 0 {
		// Chrome's sandbox refuses to run as root (containers, CI).
		flags = append(flags, flag{"no-sandbox", true})
	}
	enable := []string(nil)
	for _, raw := range extra {
		name, value, err := parseFlag(raw)
		if err != nil {
			return nil, err
		}
		switch name {
		case "disable-features":
			disable = append(disable, splitList(value)...)
			continue
		case "enable-features":
			enable = append(enable, splitList(value)...)
			continue
		case "user-data-dir", "remote-debugging-pipe", "remote-debugging-port":
			return nil, fmt.Errorf("ExtraFlags: %s is managed by browsertest", raw)
		}
		flags = setFlag(flags, name, value)
	}
	flags = setFlag(flags, "disable-features", strings.Join(disable, ","))
	if len(enable) > 0 {
		// chromedp's default enable-features list, kept for the same
		// reason as its disable-features list.
		base := []string{"NetworkService", "NetworkServiceInProcess"}
		flags = setFlag(flags, "enable-features", strings.Join(append(base, enable...), ","))
	}
	return flags, nil
}

// parseFlag reads "--name" or "--name=value".
func parseFlag(raw string) (name string, value any, err error) {
	s, ok := strings.CutPrefix(raw, "--")
	if !ok || s == "" || strings.HasPrefix(s, "=") {
		return "", nil, fmt.Errorf("ExtraFlags: %q is not of the form --name or --name=value", raw)
	}
	if n, v, ok := strings.Cut(s, "="); ok {
		return n, v, nil
	}
	return s, true, nil
}

func splitList(v any) []string {
	s, _ := v.(string)
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// setFlag sets name to value, keeping the first position of a repeated name.
func setFlag(flags []flag, name string, value any) []flag {
	for i := range flags {
		if flags[i].name == name {
			flags[i].value = value
			return flags
		}
	}
	return append(flags, flag{name, value})
}

// allocatorOptions turns the switches into chromedp options on top of its
// defaults (chromedp keeps one value per name, so ours win).
func allocatorOptions(flags []flag) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption(nil), chromedp.DefaultExecAllocatorOptions[:]...)
	for _, f := range flags {
		opts = append(opts, chromedp.Flag(f.name, f.value))
	}
	return opts
}

// checkCommandLine reads the command line the running Chromium received
// (after Debian's wrapper script added its own switches) and checks the
// switches whose loss would fail silently: exactly one --disable-features
// carrying every feature we disable, and the fake-capture file.
func checkCommandLine(pid int, wavPath string) ([]string, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return nil, fmt.Errorf("read Chromium's command line: %w", err)
	}
	args := strings.Split(string(bytes.TrimRight(raw, "\x00")), "\x00")
	var disable []string
	fakeAudio := false
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--disable-features="); ok {
			disable = append(disable, v)
		}
		if a == "--use-file-for-fake-audio-capture="+wavPath {
			fakeAudio = true
		}
	}
	if len(disable) != 1 {
		return args, fmt.Errorf("chromium got %d --disable-features switches, want exactly 1 (only the last counts): %q", len(disable), disable)
	}
	have := map[string]bool{}
	for _, f := range splitList(disable[0]) {
		have[f] = true
	}
	for _, want := range append(strings.Split(chromedpDisabledFeatures, ","), disabledFeatures...) {
		if !have[want] {
			return args, fmt.Errorf("chromium's --disable-features=%s lacks %s", disable[0], want)
		}
	}
	if !fakeAudio {
		return args, fmt.Errorf("chromium's command line lacks --use-file-for-fake-audio-capture=%s", wavPath)
	}
	return args, nil
}
