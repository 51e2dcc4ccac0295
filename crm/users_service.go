package crm

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
)

// NewUser is what it takes to add a user.
type NewUser struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Password string `json:"password,omitempty"` // "" = cannot sign in with a password yet
}

// CreateUser adds a user (head of sales only).
func (s *Service) CreateUser(ctx context.Context, a Actor, in NewUser) (*User, error) {
	if err := requireHead(a, "add a user"); err != nil {
		return nil, err
	}
	email, err := cleanEmail(in.Email)
	if err != nil {
		return nil, fieldErr("email", "%v", err)
	}
	if email == "" {
		return nil, fieldErr("email", "is required")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, fieldErr("name", "is required")
	}
	if _, err := ParseRole(string(in.Role)); err != nil {
		return nil, fieldErr("role", "%v", err)
	}
	u := &User{Email: email, Name: name, Role: in.Role, Active: true}
	if in.Password != "" {
		if u.PasswordHash, err = hashValidPassword(in.Password); err != nil {
			return nil, err
		}
	}
	if err := s.store.CreateUser(ctx, a, u); err != nil {
		return nil, fmt.Errorf("create user %s: %w", email, err)
	}
	return u, nil
}

func hashValidPassword(pw string) (string, error) {
	if len([]rune(pw)) < MinPasswordLen {
		return "", fieldErr("password", "must be at least %d characters", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return "", fieldErr("password", "must be at most %d bytes", MaxPasswordLen)
	}
	return HashPassword(pw)
}

// SetPassword sets a user's sign-in password: the head of sales for anyone,
// a user for themselves.
func (s *Service) SetPassword(ctx context.Context, a Actor, userID int64, password string) error {
	if !isAdmin(a) && a.UserID != userID {
		return fmt.Errorf("set another user's password: %w", ErrForbidden)
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if u.PasswordHash, err = hashValidPassword(password); err != nil {
		return err
	}
	if err := s.store.UpdateUser(ctx, a, u); err != nil {
		return err
	}
	// A new password ends every session signed in with the old one.
	if _, err := s.store.EndUserSessions(ctx, a, userID); err != nil {
		return fmt.Errorf("end the sessions of user %d: %w", userID, err)
	}
	return nil
}

// SetSIPCredentials gives a user a SIP username (their extension) and
// password for their desk phones. Only the digest HA1 values are kept.
func (s *Service) SetSIPCredentials(ctx context.Context, a Actor, userID int64, username, password string) error {
	if err := requireHead(a, "set SIP credentials"); err != nil {
		return err
	}
	username = strings.TrimSpace(username)
	if username == "" || len(username) > 32 || strings.IndexFunc(username, notSIPUserChar) >= 0 {
		return fieldErr("sip_username", "want 1-32 letters, digits, '.', '-' or '_'")
	}
	if len(password) < 8 {
		return fieldErr("sip_password", "must be at least 8 characters")
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	u.SIPUsername = username
	u.SIPRealm = s.sipRealm
	u.SIPHA1MD5, u.SIPHA1SHA256 = SIPHA1(username, s.sipRealm, password)
	return s.store.UpdateUser(ctx, a, u)
}

func notSIPUserChar(r rune) bool {
	return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_'))
}

// CreateAPIToken makes a new API token for a user and returns the secret,
// shown once. The head of sales may make one for anyone, a user for
// themselves.
func (s *Service) CreateAPIToken(ctx context.Context, a Actor, userID int64, label string) (string, error) {
	if !isAdmin(a) && a.UserID != userID {
		return "", fmt.Errorf("make a token for another user: %w", ErrForbidden)
	}
	if _, err := s.store.GetUser(ctx, userID); err != nil {
		return "", err
	}
	token, hash, err := NewToken()
	if err != nil {
		return "", err
	}
	if err := s.store.CreateAPIToken(ctx, a, &APIToken{UserID: userID, Hash: hash, Label: label}); err != nil {
		return "", fmt.Errorf("store token: %w", err)
	}
	return token, nil
}

// Authenticate returns the active user an API token belongs to.
func (s *Service) Authenticate(ctx context.Context, token string) (*User, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, ErrUnauthenticated
	}
	u, err := s.store.UserByTokenHash(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
		return nil, ErrUnauthenticated
	}
	return u, err
}

// CheckPassword returns the active user with this email and password. An
// unknown email, an inactive user, a user without a password and a wrong
// password are all ErrUnauthenticated after one full argon2id check, so
// neither the answer nor its timing tells which emails exist (ASVS 5.0
// 6.3.8). Sign-ins go through SignIn, which adds the throttle.
func (s *Service) CheckPassword(ctx context.Context, email, password string) (*User, error) {
	var u *User
	if len(strings.TrimSpace(email)) <= MaxEmailLen { // longer is nobody's
		var err error
		u, err = s.store.UserByEmail(ctx, emailKey(email))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	hash := dummyHash
	if u != nil && u.Active && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	tooLong := len(password) > MaxPasswordLen
	if tooLong {
		password = password[:MaxPasswordLen] // still checked, and refused
	}
	release, err := s.awaitPasswordSlot(ctx)
	if err != nil {
		return nil, err
	}
	ok := VerifyPassword(hash, password)
	release()
	if !ok || tooLong || hash == dummyHash {
		return nil, ErrUnauthenticated
	}
	return u, nil
}

// dummyHash is an argon2id hash of a random string, with the parameters
// HashPassword uses, for CheckPassword: checking against it costs what a
// real check costs.
const dummyHash = "$argon2id$v=19$m=65536,t=3,p=2$c29tZXNhbHRzb21lc2FsdA$0mWJ3qI6y0nA3fEo2uQZ3uS+5n1N7pC0x0w7u7c3t5o"

// User returns one user; any signed-in user may see who their colleagues are.
func (s *Service) User(ctx context.Context, id int64) (*User, error) { return s.store.GetUser(ctx, id) }

// UserByEmail finds a user by email.
func (s *Service) UserByEmail(ctx context.Context, email string) (*User, error) {
	return s.store.UserByEmail(ctx, strings.TrimSpace(email))
}

// Users lists every user.
func (s *Service) Users(ctx context.Context) ([]User, error) { return s.store.ListUsers(ctx) }

// cleanEmail checks an email address; "" stays "".
func cleanEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || !strings.Contains(s[strings.IndexByte(s, '@'):], ".") {
		return "", fmt.Errorf("%q is not an email address", s)
	}
	return strings.ToLower(s), nil
}

// SIPUser finds the active user with this SIP username, for digest
// authentication of their phones; ErrNotFound for nobody (or an inactive
// user, who may no longer register).
func (s *Service) SIPUser(ctx context.Context, username string) (*User, error) {
	u, err := s.store.UserBySIPUsername(ctx, username)
	if err != nil {
		return nil, err
	}
	if !u.Active || u.SIPUsername == "" {
		return nil, fmt.Errorf("SIP user %q is inactive: %w", username, ErrNotFound)
	}
	return u, nil
}
