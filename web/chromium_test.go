package web_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"callroute/internal/testdb"
)

// chromium finds the browser, or skips (fails under CI=true: CI installs
// it and must not pass by skipping).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is required when CI=true (apt-get install chromium)")
	}
	t.Skip("Chromium not found; skipping the browser test")
	return ""
}

// cspWatch records every Content-Security-Policy violation of the page,
// from before its first script.
const cspWatch = `window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`

// TestSignInInChromium signs in, calls the API from the page with the
// session cookie and the CSRF header, and signs out, in a real headless
// Chromium: the page's CSS and JavaScript must load under the
// Content-Security-Policy without a single violation.
func TestSignInInChromium(t *testing.T) {
	exe := chromium(t)
	t.Parallel()
	s := newSite(t, testdb.SQLite(t), false)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	byID := func(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

	run("open the workspace",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument,
				cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch})
			return err
		}),
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(byID("login-email")),
	)
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.documentElement.dataset.js === 'ready'`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the page's script did not run: %v", err)
	}
	path := eval(`location.pathname`)
	radius := eval(`getComputedStyle(document.querySelector('.card')).borderTopLeftRadius`)
	if path != "/login" || radius != "6px" {
		t.Errorf("not signed in: path %q, card radius %q; want /login and 6px (the stylesheet applied)", path, radius)
	}

	run("a wrong password",
		chromedp.SendKeys(byID("login-email"), s.manager.Email),
		chromedp.SendKeys(byID("login-password"), "not the password"),
		chromedp.Click(byID("login-submit")),
		chromedp.WaitVisible(byID("login-error")),
	)
	if got := eval(`document.querySelector('[data-testid="login-error"]').textContent`); got != wrongMessage {
		t.Errorf("error after a wrong password: %q", got)
	}

	run("the right password",
		chromedp.Clear(byID("login-password")),
		chromedp.SendKeys(byID("login-password"), pw),
		chromedp.Click(byID("login-submit")),
		chromedp.WaitVisible(byID("current-user")),
	)
	if got := eval(`document.querySelector('[data-testid="current-user"]').textContent`); got != "Mara Manager" {
		t.Errorf("current user %q, want Mara Manager", got)
	}
	// The page's own module calls the API: the cookie and X-CSRF-Token.
	created := eval(`(async () => {
		const { api } = await import(document.querySelector('script[type=module]').src.replace('app.js', 'api.js'));
		return (await api('POST', '/companies', { name: 'Chromium SRL' })).name;
	})()`)
	if created != "Chromium SRL" {
		t.Errorf("the page's API call answered %q", created)
	}

	run("sign out",
		chromedp.Click(byID("logout")),
		chromedp.WaitVisible(byID("login-email")),
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(byID("login-email")),
	)
	if v := eval(`window.__csp.join('; ')`); v != "" {
		t.Errorf("Content-Security-Policy violations: %s", v)
	}
	if !strings.Contains(s.logs.String(), "signed out") {
		t.Error("the sign-out button did not sign out")
	}
}
