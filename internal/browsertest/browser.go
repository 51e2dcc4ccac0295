// Package browsertest runs callroute's end-to-end browser tests in a real
// headless Chromium driven with chromedp, with a fake microphone that plays a
// steady tone. It is test support: import it only from _test.go files.
//
// A test starts one browser, opens a tab per user (each user in a browser
// context of their own, so cookies are separate), drives the page by
// data-testid, and checks what the browser hears with an injected audio
// probe:
//
//	b := browsertest.Start(t, browsertest.Options{})   // mic plays 440 Hz
//	agent := b.NewTab(t)
//	agent.InstallAudioProbe()
//	agent.Navigate(srv.URL + "/softphone")
//	agent.Click("answer")
//	agent.WaitHearing(1000, 15, -50)
//
// Without Chromium the test is skipped, except under CI=true, where that is a
// failure. docs/testing.md describes the flags and how to debug a failure.
package browsertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// DefaultChromium is where Debian's chromium package puts its launcher.
const DefaultChromium = "/usr/bin/chromium"

// ChromiumEnv names the variable that points the harness at another
// Chromium binary.
const ChromiumEnv = "CALLROUTE_CHROMIUM"

// Defaults of Options.
const (
	DefaultMicHz        = 440
	DefaultMicDBFS      = -6
	DefaultWidth        = 1280
	DefaultHeight       = 800
	DefaultTimeout      = 5 * time.Minute
	DefaultWaitTimeout  = 10 * time.Second
	DefaultAudioTimeout = 10 * time.Second
)

// Fixed bounds of the harness's own steps.
const (
	launchTimeout  = 60 * time.Second // observed p90 0.9 s on a loaded 2-core VM
	closeTimeout   = 10 * time.Second // graceful Browser.close
	leakWait       = 5 * time.Second  // for Chromium's children to exit after close
	deadlineMargin = 10 * time.Second // kept free before the test binary's -timeout
	outputTail     = 64 << 10         // bytes of Chromium's stderr kept for failures
)

// Options configure a browser. The zero value is usable.
type Options struct {
	// MicHz is the frequency of the fake microphone's sine (default 440 Hz).
	// It is rounded to 0.1 Hz so that the looped file holds a whole number
	// of periods; Browser.MicHz reports what is played.
	MicHz float64
	// MicDBFS is the tone's peak level in dBFS (default -6; 0 means default).
	MicDBFS float64
	// Width and Height are the window size, and so the viewport of every
	// tab (default 1280x800, the size of the docs' screenshots).
	Width, Height int
	// ExtraFlags are more Chromium switches, "--name" or "--name=value".
	// --disable-features and --enable-features are merged into the
	// harness's single switch of that name.
	ExtraFlags []string
	// Timeout bounds the whole browser: when it passes Chromium is killed.
	// Default 5 minutes, and never past the test binary's deadline.
	Timeout time.Duration
	// WaitTimeout bounds each tab step (navigate, click, wait for a
	// selector or an expression). Default 10 s. Tab.WithTimeout overrides it
	// for a step.
	WaitTimeout time.Duration
	// AudioTimeout bounds Tab.WaitHearing. Default 10 s.
	AudioTimeout time.Duration
}

// Browser is one headless Chromium for one test. Its methods must be called
// from the test's goroutine; each Tab may be driven from its own goroutine.
type Browser struct {
	t          testing.TB
	opts       Options
	micHz      float64
	wavPath    string
	execPath   string
	profileDir string
	root       context.Context
	stop       func()
	output     *tailBuffer
	launch     time.Duration
	version    string
	cmdline    []string

	mu     sync.Mutex
	tabSeq int
	users  int
}

// Start launches a headless Chromium for the test and closes it when the
// test ends. Chromium is DefaultChromium or the path in $CALLROUTE_CHROMIUM;
// when it is missing the test is skipped, or fails under CI=true.
func Start(t testing.TB, opts Options) *Browser {
	t.Helper()
	execPath := findChromium(t)
	o, err := opts.withDefaults(t)
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}

	// The test's temp dir holds everything Chromium writes: the profile,
	// TMPDIR (shared memory files, libpulse's pulse-* dir), XDG_RUNTIME_DIR
	// and HOME (NSS database, Debian wrapper's crash-report path). Chromium
	// sees it through a short symlink: it puts Unix sockets
	// (SingletonSocket) there, and a socket path over 107 bytes, easy with
	// a long test name, is fatal at launch.
	dir := t.TempDir()
	root, err := shortLink(dir)
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	t.Cleanup(func() { _ = os.Remove(root) })
	b := &Browser{
		t:          t,
		opts:       o,
		micHz:      toneHz(o.MicHz),
		execPath:   execPath,
		profileDir: filepath.Join(root, "profile"),
		output:     &tailBuffer{max: outputTail},
	}
	env := map[string]string{
		"TMPDIR":          filepath.Join(root, "tmp"),
		"XDG_RUNTIME_DIR": filepath.Join(root, "run"),
		"HOME":            filepath.Join(root, "home"),
	}
	for _, d := range []string{b.profileDir, env["TMPDIR"], env["XDG_RUNTIME_DIR"], env["HOME"]} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatalf("browsertest: %v", err)
		}
	}
	// Chromium needs an absolute path; a wrong one gives silence, no error.
	b.wavPath = filepath.Join(root, fmt.Sprintf("mic-%gHz.wav", b.micHz))
	if err := writeToneWAV(b.wavPath, b.micHz, o.MicDBFS); err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	flags, err := browserFlags(b.wavPath, o.Width, o.Height, o.ExtraFlags)
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	allocOpts := append(allocatorOptions(flags),
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(b.profileDir),
		chromedp.CombinedOutput(b.output),
	)
	for k, v := range env {
		allocOpts = append(allocOpts, chromedp.Env(k+"="+v))
	}

	base, cancelBase := context.WithTimeout(context.Background(), o.Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(base, allocOpts...)
	bctx, cancelRoot := chromedp.NewContext(allocCtx,
		chromedp.WithErrorf(b.logf("chromedp error: ")),
		chromedp.WithLogf(b.logf("chromedp: ")),
	)
	b.root = bctx
	var once sync.Once
	b.stop = func() {
		once.Do(func() {
			cctx, cancel := context.WithTimeout(bctx, closeTimeout)
			// A graceful Browser.close lets Chromium reap its children.
			_ = chromedp.Cancel(cctx)
			cancel()
			cancelRoot()
			cancelAlloc()
			cancelBase()
		})
	}
	// Registered before any tab's cleanup, so it runs after them, and after
	// TempDir's registration, so Chromium is gone before its dir is removed.
	t.Cleanup(func() { b.cleanup() })

	start := time.Now()
	// The first Run binds Chromium's life to root, so it cannot take a
	// per-step context: bound the launch from outside instead.
	if err := runBounded(bctx, launchTimeout, func() error { return chromedp.Do(bctx) }); err != nil {
		b.stop()
		t.Fatalf("browsertest: launch %s: %v\nchromium output:\n%s", execPath, err, b.output.String())
	}
	b.launch = time.Since(start)

	c := chromedp.FromContext(bctx)
	b.cmdline, err = checkCommandLine(c.Browser.Process().Pid, b.wavPath)
	if err != nil {
		t.Fatalf("browsertest: %v\ncommand line: %q", err, b.cmdline)
	}
	vctx, cancel := context.WithTimeout(bctx, o.WaitTimeout)
	defer cancel()
	if v, err := chromedp.CallBrowser(vctx, browser.GetVersion, cdp.Empty{}); err == nil {
		b.version = v.Product
	}
	t.Logf("browsertest: %s launched in %v (mic %g Hz, %dx%d)", b.version, b.launch.Round(time.Millisecond), b.micHz, o.Width, o.Height)
	return b
}

func (o Options) withDefaults(t testing.TB) (Options, error) {
	if o.MicHz == 0 {
		o.MicHz = DefaultMicHz
	}
	if o.MicDBFS == 0 {
		o.MicDBFS = DefaultMicDBFS
	}
	if o.Width == 0 {
		o.Width = DefaultWidth
	}
	if o.Height == 0 {
		o.Height = DefaultHeight
	}
	if o.Width < 200 || o.Height < 200 || o.Width > 8000 || o.Height > 8000 {
		return o, fmt.Errorf("Options.Width, Height: %dx%d is outside 200..8000", o.Width, o.Height)
	}
	for name, d := range map[string]*time.Duration{
		"Timeout": &o.Timeout, "WaitTimeout": &o.WaitTimeout, "AudioTimeout": &o.AudioTimeout,
	} {
		if *d < 0 {
			return o, fmt.Errorf("Options.%s: %v is negative", name, *d)
		}
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.WaitTimeout == 0 {
		o.WaitTimeout = DefaultWaitTimeout
	}
	if o.AudioTimeout == 0 {
		o.AudioTimeout = DefaultAudioTimeout
	}
	// Die before the test binary's -timeout panics, so cleanup still runs
	// and the failure says which browser step hung.
	if dt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := dt.Deadline(); ok {
			if left := time.Until(dl) - deadlineMargin; left > 0 && left < o.Timeout {
				o.Timeout = left
			}
		}
	}
	return o, nil
}

// findChromium returns the Chromium to run, or ends the test: a skip
// locally, a failure under CI=true (CI must never pass by skipping).
func findChromium(t testing.TB) string {
	t.Helper()
	path, skip, err := locateChromium(os.Getenv(ChromiumEnv), DefaultChromium, os.Getenv("CI") == "true")
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	if skip != "" {
		t.Skipf("browsertest: skipping: %s", skip)
	}
	return path
}

// locateChromium decides which Chromium runs: explicit (from $CALLROUTE_CHROMIUM)
// must exist; otherwise the default path, whose absence is a skip reason
// locally and an error in CI.
func locateChromium(explicit, defaultPath string, ci bool) (path, skip string, err error) {
	if explicit != "" {
		if err := executable(explicit); err != nil {
			return "", "", fmt.Errorf("%s=%s: %w", ChromiumEnv, explicit, err)
		}
		return explicit, "", nil
	}
	err = executable(defaultPath)
	switch {
	case err == nil:
		return defaultPath, "", nil
	case ci:
		return "", "", fmt.Errorf("Chromium is required (CI=true) but %v; install Debian's chromium package", err)
	default:
		return "", fmt.Sprintf("%v (apt-get install chromium, or set %s; CI=true makes this a failure)", err, ChromiumEnv), nil
	}
}

func executable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// MicHz is the frequency the fake microphone plays.
func (b *Browser) MicHz() float64 { return b.micHz }

// LaunchTime is how long Chromium took from exec to a usable DevTools
// connection.
func (b *Browser) LaunchTime() time.Duration { return b.launch }

// Version is Chromium's product string, e.g. "Chrome/156.0.8078.114".
func (b *Browser) Version() string { return b.version }

// CommandLine is the command line the running Chromium received, after
// Debian's wrapper script added its switches.
func (b *Browser) CommandLine() []string { return append([]string(nil), b.cmdline...) }

// Output is the tail of what Chromium printed on stdout and stderr.
func (b *Browser) Output() string { return b.output.String() }

// NewTab opens a tab for a new user: a browser context of its own
// (incognito-like: cookies, storage and cache of its own) with one tab in
// it. Tab.NewTab opens more tabs for the same user. The tab and its context
// close when t ends.
func (b *Browser) NewTab(t testing.TB) *Tab {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.root, b.opts.WaitTimeout)
	defer cancel()
	res, err := chromedp.CallBrowser(ctx, target.CreateBrowserContext, target.CreateBrowserContextParams{})
	if err != nil {
		t.Fatalf("browsertest: create browser context: %v", err)
	}
	b.mu.Lock()
	b.users++
	user := b.users
	b.mu.Unlock()
	id := res.BrowserContextID
	t.Cleanup(func() {
		// Disposing of the context closes any tab of it still open.
		ctx, cancel := context.WithTimeout(b.root, b.opts.WaitTimeout)
		defer cancel()
		if _, err := chromedp.CallBrowser(ctx, target.DisposeBrowserContext, target.DisposeBrowserContextParams{BrowserContextID: id}); err != nil && b.root.Err() == nil {
			t.Logf("browsertest: dispose of browser context of user %d: %v", user, err)
		}
	})
	return b.newTab(t, id, user)
}

// pageTargets lists the IDs of the open page targets.
func (b *Browser) pageTargets() ([]target.ID, error) {
	ctx, cancel := context.WithTimeout(b.root, b.opts.WaitTimeout)
	defer cancel()
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	var ids []target.ID
	for _, in := range infos {
		if in.Type == "page" {
			ids = append(ids, in.TargetID)
		}
	}
	return ids, nil
}

func (b *Browser) cleanup() {
	b.stop()
	if b.t.Failed() && b.launch > 0 {
		b.t.Logf("browsertest: %s (launched in %v); last output:\n%s", b.version, b.launch.Round(time.Millisecond), b.output.String())
	}
	if pids := waitNoProcesses(b.profileDir, leakWait); len(pids) > 0 {
		b.t.Errorf("browsertest: %d Chromium processes outlived the browser (killed): %v", len(pids), pids)
	}
}

func (b *Browser) logf(prefix string) func(string, ...any) {
	return func(format string, args ...any) {
		fmt.Fprintf(b.output, prefix+format+"\n", args...)
	}
}

// shortLink makes a short symlink in the system temp dir pointing at dir
// and returns its path.
func shortLink(dir string) (string, error) {
	base := os.TempDir()
	if len(base) > 32 {
		base = "/tmp"
	}
	var err error
	for range 10 {
		b := make([]byte, 5)
		_, _ = rand.Read(b)
		link := filepath.Join(base, "crbt-"+hex.EncodeToString(b))
		if err = os.Symlink(dir, link); err == nil {
			return link, nil
		}
	}
	return "", fmt.Errorf("short symlink to the test's temp dir: %w", err)
}

// runBounded runs fn, which must stop when ctx ends, and gives up after d.
func runBounded(ctx context.Context, d time.Duration, fn func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- fn() }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case err := <-errc:
		return err
	case <-timer.C:
		return fmt.Errorf("no answer within %v", d)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitNoProcesses waits up to d for every process that has dir in its
// command line to exit, then kills the rest and returns their pids.
// Chromium passes --user-data-dir to every child (zygote, renderers, GPU,
// network, crashpad), so the profile dir finds them all.
func waitNoProcesses(dir string, d time.Duration) []int {
	deadline := time.Now().Add(d)
	for {
		pids := processesUsing(dir)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			return pids
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func processesUsing(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		if strings.Contains(string(raw), dir) && !isZombie(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// isZombie reports a process that exited and waits to be reaped; it holds
// nothing and cannot be killed.
func isZombie(pid int) bool {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	i := strings.LastIndexByte(string(raw), ')')
	return i < 0 || i+2 >= len(raw) || raw[i+2] == 'Z' || raw[i+2] == 'X'
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped bool
}

func (w *tailBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
		w.dropped = true
	}
	return len(p), nil
}

func (w *tailBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dropped {
		return "[...]\n" + string(w.buf)
	}
	return string(w.buf)
}

var errTabClosed = errors.New("tab is closed")
