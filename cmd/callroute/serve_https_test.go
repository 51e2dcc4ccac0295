package main

import (
	"crypto/tls"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"callroute/internal/testcert"
)

// TestServeHTTPS: with a certificate and key the server speaks HTTPS only,
// sends HSTS, and the sign-in cookie is __Host- and Secure.
func TestServeHTTPS(t *testing.T) {
	certFile, keyFile, pool := testcert.SelfSigned(t)
	env := map[string]string{
		"CALLROUTE_DATA_DIR":      filepath.Join(t.TempDir(), "data"),
		"CALLROUTE_HTTP_ADDR":     "127.0.0.1:0",
		"CALLROUTE_SIP_ADDR":      "127.0.0.1:0",
		"CALLROUTE_LOG_LEVEL":     "warn",
		"CALLROUTE_HTTP_TLS_CERT": certFile,
		"CALLROUTE_HTTP_TLS_KEY":  keyFile,
	}
	srv := startServe(t, env, "--demo")
	m := srv.waitFor(t, regexp.MustCompile(`listening on (https://127\.0\.0\.1:\d+)\n(?s:.*)Sign in at\n  (https://\S+)/login`))
	base := m[1]
	if m[2] != base {
		t.Errorf("sign-in URL %s, want on %s", m[2], base)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(base + "/login")
	if err != nil {
		t.Fatalf("GET /login over HTTPS: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Errorf("GET /login over HTTPS: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	if c := res.Header.Get("Set-Cookie"); !strings.HasPrefix(c, "__Host-callroute_login=") || !strings.Contains(c, "Secure") {
		t.Errorf("the sign-in form's cookie over HTTPS: %q", c)
	}
	// Plain HTTP on the same port gets no page.
	plain := "http://" + strings.TrimPrefix(base, "https://") + "/login"
	if res, err := http.Get(plain); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP GET %s answered 200", plain)
		}
	}
	srv.stop(t)
}

func TestServeHTTPSFlagsGoTogether(t *testing.T) {
	c, _, stderr := testCLI(map[string]string{"CALLROUTE_DATA_DIR": t.TempDir()}, "")
	code := c.run(t.Context(), []string{"serve", "--http-tls-cert", "cert.pem"})
	if code != exitUsage || !strings.Contains(stderr.String(), "--http-tls-cert and --http-tls-key go together") {
		t.Errorf("serve with a certificate but no key: exit %d\n%s", code, stderr)
	}
}
