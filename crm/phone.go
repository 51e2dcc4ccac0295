package crm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// PhoneKind says which of a contact's phones a number is.
type PhoneKind string

const (
	PhoneWork        PhoneKind = "work"
	PhoneMobile      PhoneKind = "mobile"
	PhoneOther       PhoneKind = "other"
	PhoneSwitchboard PhoneKind = "switchboard" // a company's number
)

// Phone is one number of a contact or a company, always stored as E.164.
type Phone struct {
	Kind PhoneKind `json:"kind"`
	E164 string    `json:"e164"`
}

// PhoneParser turns what people type (national format, spaces, dashes, a
// leading 00) into E.164, with a default region for national numbers.
type PhoneParser struct {
	region string
}

// NewPhoneParser returns a parser for numbers written in region's national
// format (an ISO 3166 code such as "RO" or "DE").
func NewPhoneParser(region string) (*PhoneParser, error) {
	region = strings.ToUpper(strings.TrimSpace(region))
	if phonenumbers.GetCountryCodeForRegion(region) == 0 {
		return nil, fmt.Errorf("unknown phone region %q: want an ISO 3166 country code such as RO, DE or GB", region)
	}
	return &PhoneParser{region: region}, nil
}

// Region is the default region the parser was made with.
func (p *PhoneParser) Region() string { return p.region }

// E164 normalises raw to E.164 ("+40721234567"). It accepts a SIP user part
// too ("0040721234567", "+40721234567", "40721234567" when it is a valid
// international number without the plus).
func (p *PhoneParser) E164(raw string) (string, error) {
	num, err := p.parse(raw)
	if err != nil {
		return "", err
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// parse reads raw as E164 does and returns the valid number.
func (p *PhoneParser) parse(raw string) (*phonenumbers.PhoneNumber, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, fmt.Errorf("phone number is empty")
	}
	if len(s) > 64 {
		return nil, fmt.Errorf("%.20q... is not a phone number: too long", s)
	}
	if num := parseE164(s); num != nil && phonenumbers.IsPossibleNumber(num) && phonenumbers.IsValidNumber(num) {
		return num, nil
	}
	num, err := phonenumbers.Parse(s, p.region)
	if err == nil && phonenumbers.IsPossibleNumber(num) && phonenumbers.IsValidNumber(num) {
		return num, nil
	}
	// Trunks often send international numbers without "+" or "00" in the
	// From user part; try that reading before giving up.
	if !strings.HasPrefix(s, "+") && !strings.HasPrefix(s, "0") && onlyDigits(s) {
		if n2, err2 := phonenumbers.Parse("+"+s, ""); err2 == nil && phonenumbers.IsValidNumber(n2) {
			return n2, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%q is not a phone number: %s", s, parseReason(err))
	}
	return nil, fmt.Errorf("%q is not a valid phone number for region %s", s, p.region)
}

// National formats an E.164 number the way people in the default region
// write it, for display and demo hints.
func (p *PhoneParser) National(e164 string) string {
	num, err := phonenumbers.Parse(e164, p.region)
	if err != nil {
		return e164
	}
	return p.national(num)
}

func (p *PhoneParser) national(num *phonenumbers.PhoneNumber) string {
	if phonenumbers.GetRegionCodeForNumber(num) == p.region {
		return phonenumbers.Format(num, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}

// E164National is E164 and then National of the result, parsing raw once:
// the caller lookup needs both for every call.
func (p *PhoneParser) E164National(raw string) (e164, national string, err error) {
	num, err := p.parse(raw)
	if err != nil {
		return "", "", err
	}
	e164 = phonenumbers.Format(num, phonenumbers.E164)
	// What National(e164) would parse back: the number without what E.164
	// leaves out (an extension, how the number was written).
	bare := &phonenumbers.PhoneNumber{CountryCode: num.CountryCode, NationalNumber: num.NationalNumber,
		ItalianLeadingZero: num.ItalianLeadingZero, NumberOfLeadingZeros: num.NumberOfLeadingZeros}
	return e164, p.national(bare), nil
}

// parseE164 reads s without phonenumbers.Parse when it is written as E.164
// already ("+40721234567", what a SIP From user part mostly carries): Parse
// is most of the cost of a caller lookup, its regular expressions there
// for spaces, extensions and phone-context that such a number lacks. It
// returns nil, leaving s to Parse, for anything Parse could read otherwise:
// a country code of no region (non-geographic numbers), and a national
// significant number that starts with 0 (Parse keeps Italian leading
// zeros) or with the region's national prefix (Parse strips a prefix
// written after the country code, as in "+40 0721..."). The caller still
// checks that the number is valid.
func parseE164(s string) *phonenumbers.PhoneNumber {
	if len(s) < 2 || s[0] != '+' || !onlyDigits(s[1:]) {
		return nil
	}
	digits := s[1:]
	// Country codes are prefix-free: the first known one is the one.
	for n := 1; n <= 3 && n < len(digits); n++ {
		cc, _ := strconv.Atoi(digits[:n])
		region := phonenumbers.GetRegionCodeForCountryCode(cc)
		if region == "ZZ" {
			continue
		}
		nsn := digits[n:]
		if region == "001" || nsn[0] == '0' {
			return nil
		}
		if ndd := phonenumbers.GetNddPrefixForRegion(region, true); ndd != "" && strings.HasPrefix(nsn, ndd) {
			return nil
		}
		national, err := strconv.ParseUint(nsn, 10, 64)
		if err != nil {
			return nil
		}
		code := int32(cc)
		return &phonenumbers.PhoneNumber{CountryCode: &code, NationalNumber: &national}
	}
	return nil
}

func onlyDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func parseReason(err error) string {
	switch err {
	case phonenumbers.ErrInvalidCountryCode:
		return "unknown country code"
	case phonenumbers.ErrNotANumber:
		return "not a number"
	case phonenumbers.ErrTooShortNSN, phonenumbers.ErrTooShortAfterIDD:
		return "too short"
	case phonenumbers.ErrNumTooLong:
		return "too long"
	}
	return err.Error()
}

// normalizePhones parses every phone, checks its kind and drops exact
// repeats. field names the input field in errors ("phones": a bad number
// is "phones[1].e164").
func (p *PhoneParser) normalizePhones(field string, in []Phone, allowed ...PhoneKind) ([]Phone, error) {
	out := make([]Phone, 0, len(in))
	seen := map[string]bool{}
	for i, ph := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		if ph.Kind == "" {
			ph.Kind = allowed[0]
		}
		ok := false
		for _, k := range allowed {
			ok = ok || ph.Kind == k
		}
		if !ok {
			return nil, fieldErr(f+".kind", "unknown phone kind %q", ph.Kind)
		}
		e, err := p.E164(ph.E164)
		if err != nil {
			return nil, fieldErr(f+".e164", "%v", err)
		}
		if seen[e] {
			continue
		}
		seen[e] = true
		out = append(out, Phone{Kind: ph.Kind, E164: e})
	}
	return out, nil
}

// kindOf is the kind a contact's number gets when nobody said: mobile for a
// mobile number, else work.
func (p *PhoneParser) kindOf(e164 string) PhoneKind {
	num, err := phonenumbers.Parse(e164, p.region)
	if err == nil && phonenumbers.GetNumberType(num) == phonenumbers.MOBILE {
		return PhoneMobile
	}
	return PhoneWork
}
