package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "callroute test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeHTTPS: with a certificate and key the server speaks HTTPS only,
// sends HSTS, and the sign-in cookie is __Host- and Secure.
func TestServeHTTPS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
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
