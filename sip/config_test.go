package sip

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		field  string
		mutate func(*Config)
	}{
		{"UDPListen", func(c *Config) { c.UDPListen, c.TCPListen = "", "" }},
		{"TCPListen", func(c *Config) { c.TCPListen = "nonsense" }},
		{"TLSCertFile", func(c *Config) { c.TLSListen = "127.0.0.1:5061" }},
		{"AnnounceHost", func(c *Config) { c.UDPListen, c.TCPListen = "0.0.0.0:5060", "" }},
		{"AnnounceHost", func(c *Config) { c.AnnounceHost = "evil\r\nX: y" }},
		{"Realm", func(c *Config) { c.Realm = `a"b` }},
		{"NonceLifetime", func(c *Config) { c.NonceLifetime = 0 }},
		{"MinExpires", func(c *Config) { c.MinExpires = 2 * c.MaxExpires }},
		{"DefaultExpires", func(c *Config) { c.DefaultExpires = 1 }},
		{"MaxBindingsPerUser", func(c *Config) { c.MaxBindingsPerUser = 0 }},
		{"RatePerSecond", func(c *Config) { c.RatePerSecond = -1 }},
		{"MaxMessageSize", func(c *Config) { c.MaxMessageSize = 1 << 20 }},
		{"NonceSecret", func(c *Config) { c.NonceSecret = []byte("short") }},
		{"UserAgent", func(c *Config) { c.UserAgent = "" }},
		{"DigestAlgorithms", func(c *Config) { c.DigestAlgorithms = []string{"MD5", "MD5"} }},
		{"DigestAlgorithms", func(c *Config) { c.DigestAlgorithms = []string{"SHA-512"} }},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.field+":") {
			t.Errorf("%s: got %v", tt.field, err)
		}
	}
	c := DefaultConfig()
	c.UDPListen, c.TCPListen, c.AnnounceHost = "0.0.0.0:5060", "", "sip.example.com"
	if err := c.Validate(); err != nil {
		t.Errorf("announce host with wildcard bind: %v", err)
	}
}

func TestParseTrunks(t *testing.T) {
	got, err := ParseTrunks(" 127.0.0.1/32, 192.0.2.0/24 ,10.1.2.3,, ::1/128")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1/32", "192.0.2.0/24", "10.1.2.3/32", "::1/128"}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("%d: %v, want %s", i, got[i], want[i])
		}
	}
	if _, err := ParseTrunks("300.1.1.1/8"); err == nil {
		t.Error("bad CIDR accepted")
	}
	tl := trunkList(got)
	if !tl.contains(netip.MustParseAddr("::ffff:192.0.2.7")) || tl.contains(netip.MustParseAddr("127.0.0.2")) {
		t.Error("contains")
	}
}

func TestHeaderGuard(t *testing.T) {
	if CleanHeaderValue("Ann\r\nX-Evil: 1\x00\x7f", 64) != "AnnX-Evil: 1" {
		t.Error("CleanHeaderValue")
	}
	if CleanDisplayName(`Bob "the" \ Builder`+"\n") != "Bob the  Builder" {
		t.Errorf("CleanDisplayName = %q", CleanDisplayName(`Bob "the" \ Builder`))
	}
	if got := CleanHeaderValue("ääää", 5); got != "ää" {
		t.Errorf("cut on rune boundary: %q", got)
	}
	res := sip.NewResponse(200, "OK")
	res.AppendHeader(sip.NewHeader("X-Name", "ok"))
	if err := ValidateMessage(res); err != nil {
		t.Fatal(err)
	}
	res.AppendHeader(sip.NewHeader("X-Name", "bad\r\nInjected: yes"))
	if err := ValidateMessage(res); err == nil {
		t.Fatal("CRLF in a header value passed")
	}
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "a\nb", Host: "h"})
	if err := ValidateMessage(req); err == nil {
		t.Fatal("LF in the request-uri passed")
	}
	bad := sip.NewResponse(200, "OK\r\nX: y")
	if err := ValidateMessage(bad); err == nil {
		t.Fatal("CRLF in the reason phrase passed")
	}
}
