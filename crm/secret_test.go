package crm

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") || strings.Contains(h, "correct") {
		t.Fatalf("unexpected hash %q", h)
	}
	if !VerifyPassword(h, "correct horse battery") {
		t.Error("the right password does not verify")
	}
	if VerifyPassword(h, "correct horse battery!") {
		t.Error("a wrong password verifies")
	}
	h2, _ := HashPassword("correct horse battery")
	if h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=1,t=1,p=1$$", "$bcrypt$x$y$z$w"} {
		if VerifyPassword(bad, "x") {
			t.Errorf("VerifyPassword(%q) = true", bad)
		}
	}
}

func TestToken(t *testing.T) {
	tok, hash, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, tokenPrefix) || len(tok) < 30 {
		t.Errorf("token %q", tok)
	}
	if HashToken(tok) != hash || strings.Contains(hash, tok) {
		t.Error("hash does not match the token, or contains it")
	}
	tok2, _, _ := NewToken()
	if tok2 == tok {
		t.Error("two tokens are equal")
	}
}

func TestSIPHA1(t *testing.T) {
	// RFC 2617 section 3.5's example: Mufasa / testrealm@host.com / Circle Of Life.
	md5hex, sha := SIPHA1("Mufasa", "testrealm@host.com", "Circle Of Life")
	if md5hex != "939e7578ed9e3c518a452acee763bce9" {
		t.Errorf("MD5 HA1 = %s", md5hex)
	}
	// RFC 7616 section 3.9.1 uses "http-auth@example.org" and the same user.
	_, sha2 := SIPHA1("Mufasa", "http-auth@example.org", "Circle of Life")
	if sha2 != "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232" {
		t.Errorf("SHA-256 HA1 = %s", sha2)
	}
	if len(sha) != 64 {
		t.Errorf("SHA-256 HA1 length %d", len(sha))
	}
}

// The dummy hash an unknown email is checked against must cost what a real
// check costs: same algorithm and parameters as HashPassword's, and
// parseable (a malformed one would fail fast and tell emails apart).
func TestDummyHashCostsARealCheck(t *testing.T) {
	real, err := HashPassword("anything at all")
	if err != nil {
		t.Fatal(err)
	}
	params := func(h string) string {
		p := strings.Split(h, "$")
		if len(p) != 6 {
			t.Fatalf("hash %q has %d parts", h, len(p))
		}
		return strings.Join(p[1:4], "$")
	}
	if params(dummyHash) != params(real) {
		t.Fatalf("dummy hash parameters %q, HashPassword's %q", params(dummyHash), params(real))
	}
	p := strings.Split(dummyHash, "$")
	for i, want := range map[int]int{4: argonSaltLen, 5: argonKeyLen} {
		b, err := base64.RawStdEncoding.DecodeString(p[i])
		if err != nil || len(b) != want {
			t.Fatalf("dummy hash part %d: %d bytes, %v; want %d", i, len(b), err, want)
		}
	}
}
