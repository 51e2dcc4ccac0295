package sip

import (
	"strings"
	"testing"
)

func inviteWith(t *testing.T, headers ...string) []string {
	lines := []string{
		"INVITE sip:+4930123@127.0.0.1 SIP/2.0",
		"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1",
		"Max-Forwards: 70",
		"To: <sip:+4930123@127.0.0.1>",
		"Call-ID: cid-1",
		"CSeq: 1 INVITE",
	}
	return append(append(lines, headers...), "Content-Length: 0", "", "")
}

func TestParseCallerID(t *testing.T) {
	tests := []struct {
		name     string
		headers  []string
		trustPAI bool
		want     CallerID
	}{
		{"from only", []string{`From: "Alice Smith" <sip:+4930111@carrier.example>;tag=1`}, true,
			CallerID{User: "+4930111", DisplayName: "Alice Smith", URI: "sip:+4930111@carrier.example"}},
		{"PAI beats From from a trunk", []string{
			`From: "Unknown" <sip:anonymous@anonymous.invalid>;tag=1`,
			`P-Asserted-Identity: "Bob" <sip:+4930222@carrier.example;user=phone>`,
			`Privacy: id`,
		}, true, CallerID{User: "+4930222", DisplayName: "Bob", URI: "sip:+4930222@carrier.example;user=phone", FromPAI: true, Withheld: true}},
		{"PAI ignored from a user", []string{
			`From: <sip:201@pbx.example>;tag=1`,
			`P-Asserted-Identity: <sip:+4930222@carrier.example>`,
		}, false, CallerID{User: "201", URI: "sip:201@pbx.example"}},
		{"PAI tel URI with separators, display from From", []string{
			`From: "Carol" <sip:0301234@carrier.example>;tag=1`,
			`P-Asserted-Identity: <tel:+1-212-555-0101;phone-context=example.com>`,
		}, true, CallerID{User: "+12125550101", DisplayName: "Carol", URI: "tel:+1-212-555-0101;phone-context=example.com", FromPAI: true}},
		{"PAI list, first usable wins", []string{
			`From: <sip:x@carrier.example>;tag=1`,
			`P-Asserted-Identity: "Dan, Jr" <sip:+4930333@carrier.example>, <tel:+4930333>`,
		}, true, CallerID{User: "+4930333", DisplayName: "Dan, Jr", URI: "sip:+4930333@carrier.example", FromPAI: true}},
		{"garbage PAI falls back to From", []string{
			`From: <sip:+4930444@carrier.example>;tag=1`,
			`P-Asserted-Identity: <<<>>>`,
		}, true, CallerID{User: "+4930444", URI: "sip:+4930444@carrier.example"}},
		{"escaped user and hostile display name", []string{
			`From: "Eve\" <x>" <sip:%2B49%2030555@carrier.example>;tag=1`,
		}, true, CallerID{User: "+49 30555", DisplayName: "Eve <x>", URI: "sip:%2B49%2030555@carrier.example"}},
		{"escaped NUL is dropped", []string{`From: <sip:12%0034@carrier.example>;tag=1`}, true,
			CallerID{User: "1234", URI: "sip:12%0034@carrier.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := parseRequest(t, inviteWith(t, tt.headers...)...)
			got := ParseCallerID(req, tt.trustPAI)
			if got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCallerUserIsBounded(t *testing.T) {
	req := parseRequest(t, inviteWith(t, `From: <sip:`+strings.Repeat("9", 500)+`@c.example>;tag=1`)...)
	if got := ParseCallerID(req, true).User; len(got) != maxCallerUser {
		t.Fatalf("user of %d bytes", len(got))
	}
}

func TestSplitAddressList(t *testing.T) {
	got := splitAddressList(`"a, \"b" <sip:1@x>, <sip:2@y;p=a,b>,tel:+3`)
	want := []string{`"a, \"b" <sip:1@x>`, `<sip:2@y;p=a,b>`, `tel:+3`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%q", got)
	}
}
