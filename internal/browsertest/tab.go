package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// pollInterval is how often the harness re-checks a condition in the page.
const pollInterval = 100 * time.Millisecond

// Tab is one browser tab. Every method fails the test (t.Fatal) on error,
// with the tab's recent console output in the message; call them from the
// test's goroutine or the goroutine For was given.
type Tab struct {
	*tabState
	t testing.TB
	// timeout is WithTimeout's; zero means the Options' defaults.
	timeout time.Duration
}

// tabState is shared by a Tab and the copies For and WithTimeout make.
type tabState struct {
	b                *Browser
	name             string
	user             int
	browserContextID cdp.BrowserContextID
	ctx              context.Context
	cancel           context.CancelFunc
	targetID         target.ID
	console          *consoleLog
	consoleDone      chan struct{}
	closeOnce        sync.Once
	mu               sync.Mutex
	closed           bool
	probe            bool
}

func (b *Browser) newTab(t testing.TB, bc cdp.BrowserContextID, user int) *Tab {
	t.Helper()
	b.mu.Lock()
	b.tabSeq++
	name := fmt.Sprintf("tab %d (user %d)", b.tabSeq, user)
	b.mu.Unlock()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithExistingBrowserContext(bc))
	st := &tabState{
		b: b, name: name, user: user, browserContextID: bc, ctx: ctx, cancel: cancel,
		console:     newConsoleLog(maxConsoleLines),
		consoleDone: make(chan struct{}),
	}
	tab := &Tab{tabState: st, t: t}
	// The first Run creates the target and binds it to ctx, so like the
	// launch it is bounded from outside.
	if err := runBounded(ctx, b.opts.WaitTimeout, func() error { return chromedp.Do(ctx) }); err != nil {
		cancel()
		t.Fatalf("browsertest: open %s: %v", name, err)
	}
	st.targetID = chromedp.FromContext(ctx).Target.TargetID
	if err := runBounded(ctx, b.opts.WaitTimeout, func() error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatchJS})
		return err
	}); err != nil {
		cancel()
		t.Fatalf("browsertest: open %s: watch the Content-Security-Policy: %v", name, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		// Owned by the tab: ends when the tab's context does (Close).
		defer close(st.consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			st.console.add(m)
		}
	}()
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		// Owned by the tab like the console reader. An alert, confirm,
		// prompt or beforeunload dialog blocks the page and every later
		// step, so accept it and note it in the console log.
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			st.console.note("dialog", fmt.Sprintf("%s %q accepted by browsertest", ev.Type, ev.Message), ev.URL)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			tab.dumpOnFailure()
		}
		if err := tab.close(); err != nil {
			t.Logf("browsertest: close %s: %v", name, err)
		}
	})
	return tab
}

// NewTab opens another tab for the same user as tab: same browser context,
// so it shares cookies and storage with tab (two softphone tabs of one
// agent).
func (tab *Tab) NewTab(t testing.TB) *Tab {
	t.Helper()
	return tab.b.newTab(t, tab.browserContextID, tab.user)
}

// For returns the same tab reporting failures to t, for driving a tab made
// by a parent test from a subtest or a helper goroutine's own recorder.
func (tab *Tab) For(t testing.TB) *Tab {
	c := *tab
	c.t = t
	return &c
}

// WithTimeout returns the same tab whose steps wait up to d (instead of
// Options.WaitTimeout), e.g. 15 s for a call to connect.
func (tab *Tab) WithTimeout(d time.Duration) *Tab {
	tab.t.Helper()
	if d <= 0 {
		tab.t.Fatalf("browsertest: WithTimeout: %v is not positive", d)
	}
	c := *tab
	c.timeout = d
	return &c
}

// stepTimeout bounds one step: WithTimeout's, or Options.WaitTimeout.
func (tab *Tab) stepTimeout() time.Duration {
	if tab.timeout > 0 {
		return tab.timeout
	}
	return tab.b.opts.WaitTimeout
}

// Name is the tab's name in failure messages, e.g. "tab 2 (user 1)".
func (tab *Tab) Name() string { return tab.name }

// Navigate loads url and waits for its load event.
func (tab *Tab) Navigate(url string) {
	tab.t.Helper()
	if err := tab.run(func(ctx context.Context) error { return chromedp.Do(ctx, chromedp.Navigate(url)) }); err != nil {
		tab.fatalf("navigate to %s: %v", url, err)
	}
}

// Eval evaluates the JavaScript expression js in the page, awaiting it if it
// is a promise, and decodes its JSON value into out (nil to ignore it).
func (tab *Tab) Eval(js string, out any) {
	tab.t.Helper()
	if err := tab.eval(js, out); err != nil {
		tab.fatalf("eval %s: %v", abbreviate(js), err)
	}
}

// WaitFunc polls the JavaScript expression js every 100 ms until it is
// truthy. An exception (window.softphone not defined yet) counts as false;
// the last one is in the failure message.
func (tab *Tab) WaitFunc(js string) {
	tab.t.Helper()
	expr := fmt.Sprintf("(async () => !!(await (%s)))()", js)
	var last string
	syntax := false
	ok := tab.poll(func() bool {
		var v bool
		if err := tab.eval(expr, &v); err != nil {
			last = err.Error()
			// Waiting cannot fix a typo: stop at once.
			syntax = strings.Contains(last, "SyntaxError")
			return syntax
		}
		last = "false"
		return v
	})
	if syntax {
		tab.fatalf("WaitFunc: %s is not a JavaScript expression: %s", abbreviate(js), last)
	}
	if !ok {
		tab.fatalf("%s was not true within %v (last: %s)", abbreviate(js), tab.stepTimeout(), last)
	}
}

// Screenshot writes a PNG of the whole page (beyond the viewport) to path,
// creating its directory.
func (tab *Tab) Screenshot(path string) {
	tab.t.Helper()
	var png []byte
	err := tab.run(func(ctx context.Context) (err error) {
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		return err
	})
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o755)
	}
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil {
		tab.fatalf("screenshot to %s: %v", path, err)
	}
}

// Console returns what the page wrote to its console so far: console.*
// calls, uncaught exceptions and browser log entries, oldest first (the
// last 1000).
func (tab *Tab) Console() []ConsoleLine { return tab.console.lines() }

// Exceptions returns the uncaught exceptions and unhandled rejections of
// Console.
func (tab *Tab) Exceptions() []ConsoleLine {
	var out []ConsoleLine
	for _, l := range tab.console.lines() {
		if l.Type == string(chromedp.ConsoleException) {
			out = append(out, l)
		}
	}
	return out
}

// run runs fn with a context bounded by the tab's step timeout.
func (tab *Tab) run(fn func(ctx context.Context) error) error {
	tab.mu.Lock()
	closed := tab.closed
	tab.mu.Unlock()
	if closed {
		return errTabClosed
	}
	ctx, cancel := context.WithTimeout(tab.ctx, tab.stepTimeout())
	defer cancel()
	err := fn(ctx)
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no result within %v: %w", tab.stepTimeout(), err)
	}
	return err
}

func (tab *Tab) eval(js string, out any) error {
	var raw []byte
	err := tab.run(func(ctx context.Context) (err error) {
		raw, err = chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
		return err
	})
	if err != nil || out == nil {
		return err
	}
	if len(raw) == 0 {
		return errors.New("the expression's value is undefined")
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode %s into %T: %w", abbreviate(string(raw)), out, err)
	}
	return nil
}

// poll calls cond every pollInterval until it is true or the step timeout
// passes.
func (tab *Tab) poll(cond func() bool) bool {
	deadline := time.Now().Add(tab.stepTimeout())
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || tab.ctx.Err() != nil {
			return false
		}
		time.Sleep(pollInterval)
	}
}

// fatalf fails the test with the tab's name and its recent console lines.
func (tab *Tab) fatalf(format string, args ...any) {
	tab.t.Helper()
	msg := fmt.Sprintf(format, args...)
	tab.t.Fatalf("browsertest: %s: %s%s", tab.name, msg, tab.console.tail(consoleTailLines))
}

func (tab *Tab) dumpOnFailure() {
	lines := tab.console.lines()
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString("\n  " + l.String())
	}
	if len(lines) == 0 {
		sb.WriteString(" (empty)")
	}
	tab.t.Logf("browsertest: %s: console (%d lines, %d dropped):%s", tab.name, len(lines), tab.console.droppedCount(), sb.String())
	if dir := os.Getenv(ArtifactsEnv); dir != "" && !tab.isClosed() {
		name := strings.NewReplacer("/", "_", " ", "_", "(", "", ")", "").Replace(tab.t.Name() + "-" + tab.name)
		path := filepath.Join(dir, name+".png")
		var png []byte
		err := tab.run(func(ctx context.Context) (err error) {
			png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
			return err
		})
		if err == nil {
			err = os.MkdirAll(dir, 0o755)
		}
		if err == nil {
			err = os.WriteFile(path, png, 0o644)
		}
		if err != nil {
			tab.t.Logf("browsertest: %s: failure screenshot: %v", tab.name, err)
		} else {
			tab.t.Logf("browsertest: %s: failure screenshot at %s", tab.name, path)
		}
	}
}

func (tab *Tab) isClosed() bool {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return tab.closed
}

// ArtifactsEnv names a directory where a failing test's open tabs leave a
// screenshot each.
const ArtifactsEnv = "CALLROUTE_BROWSER_ARTIFACTS"

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		return s[:157] + "..."
	}
	return s
}
