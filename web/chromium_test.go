package web_test

import (
	"strings"
	"testing"

	"callroute/internal/browsertest"
	"callroute/internal/testdb"
)

// TestSignInInChromium signs in, calls the API from the page with the
// session cookie and the CSRF header, and signs out, in a real headless
// Chromium: the page's CSS and JavaScript must load under the
// Content-Security-Policy without a single violation.
func TestSignInInChromium(t *testing.T) {
	t.Parallel()
	b := browsertest.Start(t, browsertest.Options{})
	s := newSite(t, testdb.SQLite(t), false)
	tab := b.NewTab(t)

	tab.Navigate(s.srv.URL + "/")
	tab.WaitVisible("login-email")
	tab.WaitFunc(`document.documentElement.dataset.js === 'ready'`)
	var path, radius string
	tab.Eval(`location.pathname`, &path)
	tab.Eval(`getComputedStyle(document.querySelector('.card')).borderTopLeftRadius`, &radius)
	if path != "/login" || radius != "6px" {
		t.Errorf("not signed in: path %q, card radius %q; want /login and 6px (the stylesheet applied)", path, radius)
	}

	tab.Fill("login-email", s.manager.Email)
	tab.Fill("login-password", "not the password")
	tab.Click("login-submit")
	tab.WaitVisible("login-error")
	if got := tab.Text("login-error"); got != wrongMessage {
		t.Errorf("error after a wrong password: %q", got)
	}

	tab.Fill("login-password", pw)
	tab.Click("login-submit")
	tab.WaitText("current-user", "Mara Manager")
	// The page's own module calls the API: the cookie and X-CSRF-Token.
	var created string
	tab.Eval(`(async () => {
		const { api } = await import(document.querySelector('script[type=module]').src.replace('app.js', 'api.js'));
		return (await api('POST', '/companies', { name: 'Chromium SRL' })).name;
	})()`, &created)
	if created != "Chromium SRL" {
		t.Errorf("the page's API call answered %q", created)
	}
	if v := tab.CSPViolations(); len(v) > 0 {
		t.Errorf("Content-Security-Policy violations on the workspace: %s", strings.Join(v, "; "))
	}

	tab.Click("logout")
	tab.WaitVisible("login-email")
	tab.Navigate(s.srv.URL + "/")
	tab.WaitVisible("login-email")
	if v := tab.CSPViolations(); len(v) > 0 {
		t.Errorf("Content-Security-Policy violations: %s", strings.Join(v, "; "))
	}
	if !strings.Contains(s.logs.String(), "signed out") {
		t.Error("the sign-out button did not sign out")
	}
}
