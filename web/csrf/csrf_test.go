package csrf

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMatches(t *testing.T) {
	const want = "tok-123"
	post := func(ctype, body string, hdr string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		if hdr != "" {
			r.Header.Set(HeaderName, hdr)
		}
		return r
	}
	form := "application/x-www-form-urlencoded"
	for name, tc := range map[string]struct {
		r    *http.Request
		want bool
	}{
		"form field":                   {post(form, "a=1&csrf_token=tok-123", ""), true},
		"form field, charset":          {post(form+"; charset=utf-8", "csrf_token=tok-123", ""), true},
		"header":                       {post("application/json", `{}`, want), true},
		"wrong header beats good form": {post(form, "csrf_token=tok-123", "nope"), false},
		"wrong field":                  {post(form, "csrf_token=tok-124", ""), false},
		"none":                         {post(form, "a=1", ""), false},
		"field in the query only":      {httptest.NewRequest(http.MethodPost, "/x?csrf_token=tok-123", nil), false},
		"JSON body with the field":     {post("application/json", `{"csrf_token":"tok-123"}`, ""), false},
		"oversized form":               {post(form, "csrf_token=tok-123&pad="+strings.Repeat("x", MaxFormBytes), ""), false},
	} {
		if got := Matches(httptest.NewRecorder(), tc.r, want); got != tc.want {
			t.Errorf("%s: Matches = %v, want %v", name, got, tc.want)
		}
	}
	if Matches(httptest.NewRecorder(), post(form, "csrf_token=", ""), "") {
		t.Error("an empty expected token matched an empty one")
	}
}

func TestProtect(t *testing.T) {
	changed := 0
	h := Protect(func(*http.Request) string { return "tok" }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { changed++ }))
	for method, want := range map[string]int{http.MethodGet: 200, http.MethodHead: 200, http.MethodOptions: 200,
		http.MethodPost: 403, http.MethodPut: 403, http.MethodPatch: 403, http.MethodDelete: 403} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/", nil))
		if rec.Code != want {
			t.Errorf("%s without a token: %d, want %d", method, rec.Code, want)
		}
	}
	if changed != 3 {
		t.Errorf("the handler ran %d times, want 3 (the safe methods)", changed)
	}
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodDelete, "/", nil)
	r.Header.Set(HeaderName, "tok")
	h.ServeHTTP(rec, r)
	if rec.Code != 200 || changed != 4 {
		t.Errorf("DELETE with the token: %d", rec.Code)
	}
}

func TestCrossOrigin(t *testing.T) {
	h := CrossOrigin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })).
		Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, tc := range []struct {
		method, site, origin string
		want                 int
	}{
		{http.MethodPost, "cross-site", "", 403},
		{http.MethodPost, "same-site", "", 403}, // a sibling subdomain is another origin
		{http.MethodPost, "same-origin", "", 200},
		{http.MethodPost, "", "https://evil.example", 403},
		{http.MethodPost, "", "http://callroute.example", 200},
		{http.MethodPost, "", "", 200}, // curl, scripts: no browser, no ambient cookie
		{http.MethodGet, "cross-site", "https://evil.example", 200},
	} {
		r := httptest.NewRequest(tc.method, "http://callroute.example/x", nil)
		if tc.site != "" {
			r.Header.Set("Sec-Fetch-Site", tc.site)
		}
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.want {
			t.Errorf("%s Sec-Fetch-Site %q Origin %q: %d, want %d", tc.method, tc.site, tc.origin, rec.Code, tc.want)
		}
	}
}
