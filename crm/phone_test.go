package crm

import (
	"strings"
	"testing"
)

func TestPhoneParserE164(t *testing.T) {
	p, err := NewPhoneParser("ro")
	if err != nil {
		t.Fatal(err)
	}
	ok := []struct{ in, want string }{
		{"0721 234 567", "+40721234567"},
		{"0721-234-567", "+40721234567"},
		{"+40 721 234 567", "+40721234567"},
		{"0040721234567", "+40721234567"},
		{"40721234567", "+40721234567"}, // trunk style, no plus
		{"021 312 3456", "+40213123456"},
		{"+49 30 1234567", "+49301234567"},
	}
	for _, c := range ok {
		got, err := p.E164(c.in)
		if err != nil || got != c.want {
			t.Errorf("E164(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	bad := []string{"", "abc", "12", "0721", "+999 123 456 789", strings.Repeat("9", 80)}
	for _, in := range bad {
		if got, err := p.E164(in); err == nil {
			t.Errorf("E164(%q) = %q, want an error", in, got)
		}
	}
	if _, err := p.E164("abc"); err == nil || !strings.Contains(err.Error(), `"abc"`) {
		t.Errorf("the error should name the input, got %v", err)
	}
}

func TestNewPhoneParserRejectsUnknownRegion(t *testing.T) {
	if _, err := NewPhoneParser("XX"); err == nil {
		t.Fatal("want an error for region XX")
	}
}

func TestNational(t *testing.T) {
	p, _ := NewPhoneParser("RO")
	if got := p.National("+40721234567"); got != "0721 234 567" {
		t.Errorf("National = %q", got)
	}
	if got := p.National("+49301234567"); !strings.HasPrefix(got, "+49") {
		t.Errorf("a foreign number should stay international, got %q", got)
	}
}

func TestNormalizePhones(t *testing.T) {
	p, _ := NewPhoneParser("RO")
	got, err := p.normalizePhones("phones", []Phone{{Kind: PhoneMobile, E164: "0721 234 567"}, {E164: "+40721234567"}, {E164: "021 312 3456"}}, PhoneWork, PhoneMobile)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (Phone{PhoneMobile, "+40721234567"}) || got[1] != (Phone{PhoneWork, "+40213123456"}) {
		t.Errorf("got %+v", got)
	}
	_, err = p.normalizePhones("phones", []Phone{{E164: "0721 234 567"}, {E164: "nope"}}, PhoneWork)
	fe, ok := err.(*FieldError)
	if !ok || fe.Field != "phones[1].e164" {
		t.Errorf("want a FieldError on phones[1].e164, got %v", err)
	}
	_, err = p.normalizePhones("phones", []Phone{{Kind: "fax", E164: "0721 234 567"}}, PhoneWork)
	if fe, ok := err.(*FieldError); !ok || fe.Field != "phones[0].kind" {
		t.Errorf("want a FieldError on phones[0].kind, got %v", err)
	}
}

// TestE164National: the caller lookup's one parse gives what E164 and then
// National give, for every way a number comes in (and the same errors).
func TestE164National(t *testing.T) {
	for _, region := range []string{"RO", "DE", "IT", "US"} {
		p, _ := NewPhoneParser(region)
		for _, in := range []string{"0721 234 567", "+40 721 234 567", "0040721234567", "40721234567", "021 312 3456",
			"+49 30 1234567", "030 1234567", "+39 06 6982 0000", "06 69820000", "+1 202 555 0143", "202-555-0143",
			"+40 721 234 567 ext. 12", "+40721234567;ext=9", "", "abc", "12", "+999 123 456 789"} {
			e, n, err := p.E164National(in)
			want, werr := p.E164(in)
			if (err == nil) != (werr == nil) || e != want {
				t.Errorf("%s: E164National(%q) = %q, %v; E164 = %q, %v", region, in, e, err, want, werr)
				continue
			}
			if err == nil && n != p.National(want) {
				t.Errorf("%s: E164National(%q) national %q, National(%q) = %q", region, in, n, want, p.National(want))
			}
		}
	}
}

func BenchmarkCallerNumber(b *testing.B) {
	p, _ := NewPhoneParser("RO")
	b.Run("E164+National", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e, _ := p.E164("+40721234567")
			_ = p.National(e)
		}
	})
	b.Run("E164National", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_, _, _ = p.E164National("+40721234567")
		}
	})
}
