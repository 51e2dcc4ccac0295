package crm

import (
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
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

// TestParseE164AgreesWithParse: the E.164 fast path reads every number it
// takes as phonenumbers.Parse does. The numbers are each region's example
// numbers of every type, in E.164, and each with a digit or the region's
// national prefix written after the country code (what Parse may strip).
func TestParseE164AgreesWithParse(t *testing.T) {
	p, err := NewPhoneParser("RO")
	if err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for region := range phonenumbers.GetSupportedRegions() {
		ndd := phonenumbers.GetNddPrefixForRegion(region, true)
		for typ := phonenumbers.FIXED_LINE; typ <= phonenumbers.VOICEMAIL; typ++ {
			ex := phonenumbers.GetExampleNumberForType(region, typ)
			if ex == nil {
				continue
			}
			cc := "+" + strconv.Itoa(int(ex.GetCountryCode()))
			nsn := phonenumbers.GetNationalSignificantNumber(ex)
			inputs = append(inputs, cc+nsn, cc+ndd+nsn)
			for d := '0'; d <= '9'; d++ {
				inputs = append(inputs, cc+string(d)+nsn)
			}
		}
	}
	inputs = append(inputs, "+40721234567", "+400721234567", "+5215512345678", "+78123456789", "+390612345678",
		"+4402079460000", "+12015550123", "+112015550123", "+80012345678", "+", "+4", "+40")
	fast := 0
	for _, in := range inputs {
		num := parseE164(in)
		if num == nil {
			continue
		}
		fast++
		ok := phonenumbers.IsPossibleNumber(num) && phonenumbers.IsValidNumber(num)
		want, err := phonenumbers.Parse(in, p.region)
		wantOK := err == nil && phonenumbers.IsPossibleNumber(want) && phonenumbers.IsValidNumber(want)
		if !ok {
			continue // left to Parse, as if there were no fast path
		}
		if !wantOK {
			t.Errorf("%s: the fast path takes it as valid, Parse does not (%v)", in, err)
			continue
		}
		got, wantE := phonenumbers.Format(num, phonenumbers.E164), phonenumbers.Format(want, phonenumbers.E164)
		if got != wantE || p.national(num) != p.national(want) || !sameNumber(num, want) {
			t.Errorf("%s: fast path %s %q %v, Parse %s %q %v", in, got, p.national(num), num, wantE, p.national(want), want)
		}
	}
	if fast < len(inputs)/4 {
		t.Errorf("the fast path took %d of %d numbers", fast, len(inputs))
	}
}

func sameNumber(a, b *phonenumbers.PhoneNumber) bool {
	return a.GetCountryCode() == b.GetCountryCode() && a.GetNationalNumber() == b.GetNationalNumber() &&
		a.GetItalianLeadingZero() == b.GetItalianLeadingZero() && a.GetNumberOfLeadingZeros() == b.GetNumberOfLeadingZeros() &&
		a.GetExtension() == b.GetExtension()
}

// BenchmarkE164National times the parsing of a caller's number, in E.164
// (the fast path) and in the national format.
//
//	go test ./crm -run '^$' -bench E164National -benchmem
func BenchmarkE164National(b *testing.B) {
	p, err := NewPhoneParser("RO")
	if err != nil {
		b.Fatal(err)
	}
	for _, raw := range []string{"+40722481305", "0722 481 305"} {
		b.Run(raw, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := p.E164National(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
