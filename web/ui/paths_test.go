package ui

import (
	"bytes"
	"html/template"
	"strings"
	"testing"

	"callroute/crm"
)

func TestLocalPath(t *testing.T) {
	for next, want := range map[string]string{
		"/":                             "/",
		"/contacts?q=ion&page=2":        "/contacts?q=ion&page=2",
		"/%2F%2Fevil.example":           "/%2F%2Fevil.example", // a path on this site, as browsers read it
		"":                              "",
		"//evil.example":                "",
		"///evil.example":               "",
		`/\evil.example`:                "",
		`/a\b`:                          "",
		"/\t/evil.example":              "",
		"/\n/evil.example":              "",
		"https://evil.example/":         "",
		"http:evil.example":             "",
		"javascript:alert(1)":           "",
		"evil.example":                  "",
		" /":                            "",
		"/" + strings.Repeat("a", 3000): "",
	} {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	got := contentSecurityPolicy("callroute.example:8443", true)
	for _, want := range []string{"default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
		"connect-src 'self' wss://callroute.example:8443", "media-src 'self' blob:", "script-src 'self'", "form-action 'self'"} {
		if !strings.Contains(got, want) {
			t.Errorf("policy %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "unsafe") || strings.Contains(got, "ws://") {
		t.Errorf("policy %q allows more than it should", got)
	}
	if got := contentSecurityPolicy("127.0.0.1:8080", false); !strings.Contains(got, "connect-src 'self' ws://127.0.0.1:8080;") {
		t.Errorf("plain HTTP policy %q", got)
	}
	// A Host header that tries to add a source or a directive is left out.
	for _, host := range []string{"evil.example; script-src *", "a b", "x'y", ""} {
		if got := contentSecurityPolicy(host, true); !strings.Contains(got, "connect-src 'self'; ") {
			t.Errorf("host %q: policy %q", host, got)
		}
	}
}

func TestTemplatesAndAssets(t *testing.T) {
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"css/app.css", "js/app.js", "js/api.js", "img/favicon.svg"} {
		if _, err := a.url(f); err != nil {
			t.Errorf("asset %s: %v", f, err)
		}
	}
	if _, err := a.url("js/nope.js"); err == nil {
		t.Error("an unknown asset has a URL")
	}
	tpl, err := parseTemplates(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, screen := range []string{"login", "workspace", "error"} {
		if tpl[screen] == nil {
			t.Errorf("no template for %s", screen)
		}
	}
	if tpl["layout"] != nil {
		t.Error("the layout is listed as a screen")
	}
}

// A screen adds its own JS module by defining "scripts" in its template.
func TestScreenScriptsBlock(t *testing.T) {
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := parseTemplates(a)
	if err != nil {
		t.Fatal(err)
	}
	screen := template.Must(tpl["workspace"].Clone())
	template.Must(screen.Parse(`{{define "scripts"}}<script type="module" src="{{asset "js/api.js"}}"></script>{{end}}`))
	var buf bytes.Buffer
	if err := screen.ExecuteTemplate(&buf, layoutFile, view{Title: "Workspace", User: &crm.User{Name: "Ana", Email: "ana@example.com"}}); err != nil {
		t.Fatal(err)
	}
	want := `<script type="module" src="/static/` + a.version + `/js/api.js"></script>`
	if !strings.Contains(buf.String(), want) {
		t.Errorf("the page lacks %s:\n%s", want, buf.String())
	}
	// Without its own block a screen (sign-in) loads only app.js.
	buf.Reset()
	if err := tpl["login"].ExecuteTemplate(&buf, layoutFile, view{Data: loginForm{}}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "<script"); n != 1 {
		t.Errorf("the sign-in page loads %d scripts, want 1", n)
	}
}
