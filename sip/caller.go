package sip

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// CallerKind says how an INVITE was admitted.
type CallerKind int

const (
	// CallerTrunk: the source address is inside a trunk prefix.
	CallerTrunk CallerKind = iota + 1
	// CallerUser: a SIP user authenticated with digest.
	CallerUser
)

func (k CallerKind) String() string {
	switch k {
	case CallerTrunk:
		return "trunk"
	case CallerUser:
		return "user"
	}
	return "unknown"
}

// Caller is who sent an admitted INVITE.
type Caller struct {
	Kind      CallerKind
	Source    netip.AddrPort // observed source of the request
	Transport string         // "UDP", "TCP" or "TLS"
	// UserID and Username are set for CallerUser.
	UserID   int64
	Username string
	// ID is the caller ID parsed from the request.
	ID CallerID
}

// CallerID is the calling party as the request presents it. Values are
// hostile input: cleaned of control characters and bounded, but a number
// still has to be normalised (E.164) before any lookup.
type CallerID struct {
	// User is the user part: "+4930123456", "0301234", "alice"; for a tel:
	// URI the number without visual separators (RFC 3966 5.1.1).
	User        string
	DisplayName string
	// URI is the URI the user part came from.
	URI string
	// FromPAI is true when it came from P-Asserted-Identity (RFC 3325).
	FromPAI bool
	// Withheld: Privacy: id/user/header (RFC 3323) or an anonymous From.
	Withheld bool
}

// maxCallerUser bounds a caller ID's user part (bytes).
const maxCallerUser = 64

// ParseCallerID extracts the caller ID: the user part of P-Asserted-Identity
// when trustPAI (RFC 3325 9.1: only from inside the trust domain, i.e. our
// trunks), else of From, with the display name.
func ParseCallerID(req *sip.Request, trustPAI bool) CallerID {
	var id CallerID
	if trustPAI {
		for _, h := range req.GetHeaders("P-Asserted-Identity") {
			for _, v := range splitAddressList(h.Value()) {
				var u sip.Uri
				var params sip.HeaderParams
				name, err := sip.ParseAddressValue(v, &u, &params)
				if err != nil {
					continue
				}
				if user := uriUser(u); user != "" {
					id = CallerID{User: user, DisplayName: CleanDisplayName(name), URI: CleanHeaderValue(u.String(), 256), FromPAI: true}
					break
				}
			}
			if id.FromPAI {
				break
			}
		}
	}
	if from := req.From(); from != nil {
		if !id.FromPAI {
			id.User = uriUser(from.Address)
			id.URI = CleanHeaderValue(from.Address.String(), 256)
		}
		if id.DisplayName == "" {
			id.DisplayName = CleanDisplayName(from.DisplayName)
		}
		if strings.EqualFold(from.Address.User, "anonymous") {
			id.Withheld = true
		}
	}
	for _, h := range req.GetHeaders("Privacy") {
		for _, p := range strings.FieldsFunc(strings.ToLower(h.Value()), func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
			if p == "id" || p == "user" || p == "header" {
				id.Withheld = true
			}
		}
	}
	return id
}

// uriUser is the caller's user part of a sip, sips or tel URI, unescaped
// (RFC 3261 19.1.2), cleaned and bounded; "" when there is none.
func uriUser(u sip.Uri) string {
	var user string
	switch strings.ToLower(u.Scheme) {
	case "sip", "sips":
		user = u.User
		if i := strings.IndexByte(user, ';'); i >= 0 { // user-params (RFC 3261 19.1.1)
			user = user[:i]
		}
	case "tel":
		user, _, _ = strings.Cut(u.Raw(), ";")
		user = strings.Map(func(r rune) rune {
			if r == '-' || r == '.' || r == '(' || r == ')' || r == ' ' {
				return -1
			}
			return r
		}, user)
	default:
		return ""
	}
	if un, err := url.PathUnescape(user); err == nil {
		user = un
	}
	return CleanHeaderValue(user, maxCallerUser)
}

// splitAddressList splits a header value on commas that are outside
// quotes and angle brackets (RFC 3261 7.3.1).
func splitAddressList(v string) []string {
	var out []string
	inQuote, inAngle, escaped := false, false, false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case escaped:
			escaped = false
		case inQuote && c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '<':
			inAngle = true
		case !inQuote && c == '>':
			inAngle = false
		case !inQuote && !inAngle && c == ',':
			if s := strings.TrimSpace(v[start:i]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(v[start:]); s != "" {
		out = append(out, s)
	}
	return out
}
