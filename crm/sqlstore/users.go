package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"callroute/crm"
)

const userColumns = "id, email, name, role, active, password_hash, sip_username, sip_ha1_md5, sip_ha1_sha256, sip_realm, created_at, updated_at"

func userDest(u *crm.User) []any {
	return []any{i64(&u.ID), st(&u.Email), st(&u.Name), st(&u.Role), bl(&u.Active), st(&u.PasswordHash),
		st(&u.SIPUsername), st(&u.SIPHA1MD5), st(&u.SIPHA1SHA256), st(&u.SIPRealm), tm(&u.CreatedAt), tm(&u.UpdatedAt)}
}

// userErr turns a unique violation into the *crm.FieldError the interface
// promises.
func userErr(err error, u *crm.User) error {
	kind, detail, ok := constraint(err)
	if ok && kind == "unique" {
		switch {
		case strings.Contains(detail, "sip_username"):
			return &crm.FieldError{Field: "sip_username", Message: fmt.Sprintf("SIP username %q is already taken", u.SIPUsername)}
		case strings.Contains(detail, "email"):
			return &crm.FieldError{Field: "email", Message: fmt.Sprintf("a user with email %q already exists", u.Email)}
		}
	}
	return fmt.Errorf("sqlstore: write user: %w", err)
}

func (s *Store) CreateUser(ctx context.Context, a crm.Actor, u *crm.User) error {
	now := utc(s.now())
	var id int64
	err := s.inTx(ctx, func(r runner) error {
		var err error
		id, err = r.insert(ctx, `INSERT INTO users (email, email_key, name, role, active, password_hash,
			sip_username, sip_ha1_md5, sip_ha1_sha256, sip_realm, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.Email, fold(u.Email), u.Name, string(u.Role), u.Active, u.PasswordHash,
			u.SIPUsername, u.SIPHA1MD5, u.SIPHA1SHA256, u.SIPRealm, s.d.ts(now), s.d.ts(now))
		if err != nil {
			return userErr(err, u)
		}
		return r.logChange(ctx, now, a, crm.EntityUser, id, "create",
			map[string]any{"email": u.Email, "role": u.Role, "active": u.Active})
	})
	if err != nil {
		return err
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
	return nil
}

func (s *Store) getUser(ctx context.Context, r runner, where string, arg any) (*crm.User, error) {
	u := &crm.User{}
	err := r.row(ctx, "SELECT "+userColumns+" FROM users WHERE "+where, arg).Scan(userDest(u)...)
	if err := one(err, "user", arg); err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Store) GetUser(ctx context.Context, id int64) (*crm.User, error) {
	return s.getUser(ctx, s.r(), "id = ?", id)
}

func (s *Store) UserByEmail(ctx context.Context, email string) (*crm.User, error) {
	return s.getUser(ctx, s.r(), "email_key = ?", fold(email))
}

func (s *Store) UserBySIPUsername(ctx context.Context, username string) (*crm.User, error) {
	if username == "" {
		return nil, fmt.Errorf("user with an empty SIP username: %w", crm.ErrNotFound)
	}
	return s.getUser(ctx, s.r(), "sip_username = ?", username)
}

func (s *Store) ListUsers(ctx context.Context) ([]crm.User, error) {
	return queryAll(ctx, s.r(), "list users", userDest, "SELECT "+userColumns+" FROM users ORDER BY id")
}

func (s *Store) UpdateUser(ctx context.Context, a crm.Actor, u *crm.User) error {
	now := utc(s.now())
	err := s.inTx(ctx, func(r runner) error {
		old, err := s.getUser(ctx, r, "id = ?", u.ID)
		if err != nil {
			return err
		}
		_, err = r.exec(ctx, `UPDATE users SET name = ?, role = ?, active = ?, password_hash = ?,
			sip_username = ?, sip_ha1_md5 = ?, sip_ha1_sha256 = ?, sip_realm = ?, updated_at = ? WHERE id = ?`,
			u.Name, string(u.Role), u.Active, u.PasswordHash, u.SIPUsername, u.SIPHA1MD5, u.SIPHA1SHA256, u.SIPRealm,
			s.d.ts(now), u.ID)
		if err != nil {
			return userErr(err, u)
		}
		d := diff{}
		d.field("name", old.Name, u.Name)
		d.field("role", old.Role, u.Role)
		d.field("active", old.Active, u.Active)
		d.field("sip_username", old.SIPUsername, u.SIPUsername)
		d.field("sip_realm", old.SIPRealm, u.SIPRealm)
		d.flag("password", old.PasswordHash, u.PasswordHash)
		d.flag("sip_password", old.SIPHA1MD5+old.SIPHA1SHA256, u.SIPHA1MD5+u.SIPHA1SHA256)
		return r.logChange(ctx, now, a, crm.EntityUser, u.ID, "update", d)
	})
	if err != nil {
		return err
	}
	u.UpdatedAt = now
	return nil
}

func (s *Store) CreateAPIToken(ctx context.Context, a crm.Actor, t *crm.APIToken) error {
	now := utc(s.now())
	var id int64
	err := s.inTx(ctx, func(r runner) error {
		var err error
		id, err = r.insert(ctx, `INSERT INTO api_tokens (user_id, hash, label, created_at) VALUES (?, ?, ?, ?)`,
			t.UserID, t.Hash, t.Label, s.d.ts(now))
		if err != nil {
			if kind, _, ok := constraint(err); ok && kind == "foreign_key" {
				return &crm.FieldError{Field: "user_id", Message: fmt.Sprintf("no user %d", t.UserID)}
			}
			return fmt.Errorf("sqlstore: create API token: %w", err)
		}
		return r.logChange(ctx, now, a, crm.EntityUser, t.UserID, "create_token",
			map[string]any{"token_id": id, "label": t.Label})
	})
	if err != nil {
		return err
	}
	t.ID, t.CreatedAt = id, now
	return nil
}

func (s *Store) UserByTokenHash(ctx context.Context, hash string) (*crm.User, error) {
	u := &crm.User{}
	err := s.r().row(ctx, "SELECT "+cols("u", userColumns)+" FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?",
		hash).Scan(userDest(u)...)
	if err := one(err, "API token", "(hash)"); err != nil {
		return nil, err
	}
	return u, nil
}
