package sip

import (
	"context"
	"errors"
)

// Credentials finds a SIP user's digest secrets. cmd wires it to the client
// base (a user's SIPUsername, SIPRealm, SIPHA1MD5, SIPHA1SHA256); sip never
// touches the database itself.
type Credentials interface {
	// Lookup returns the user's credential, or an error wrapping
	// ErrUnknownUser when no user has that SIP username.
	Lookup(ctx context.Context, username string) (Credential, error)
}

// Credential is one user's digest material. HA1 = H(username:realm:password)
// in lower-case hex, for MD5 (RFC 2617 3.2.2.2) and SHA-256 (RFC 8760 2);
// the password itself is never stored.
type Credential struct {
	UserID    int64
	Username  string
	Realm     string
	HA1MD5    string
	HA1SHA256 string
}

// ErrUnknownUser is what Credentials.Lookup returns for a username nobody has.
var ErrUnknownUser = errors.New("sip: unknown user")

// CredentialsFunc adapts a function to Credentials.
type CredentialsFunc func(ctx context.Context, username string) (Credential, error)

// Lookup calls f.
func (f CredentialsFunc) Lookup(ctx context.Context, username string) (Credential, error) {
	return f(ctx, username)
}
