-- Browser sessions and the sign-in throttle. A session row holds only the
-- SHA-256 of the browser's token; the token itself is never stored.

-- +goose Up
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT    NOT NULL,
    csrf_token   TEXT    NOT NULL,
    source       TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX sessions_token_hash_uq ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_created_at ON sessions (created_at);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);

-- Sign-in attempts not (yet) successful, one window's worth: the throttle
-- counts them per source and per email from a source.
CREATE TABLE sign_in_attempts (
    id        INTEGER PRIMARY KEY,
    source    TEXT    NOT NULL,
    email_key TEXT    NOT NULL,
    at        TEXT    NOT NULL
) STRICT;
CREATE INDEX sign_in_attempts_source ON sign_in_attempts (source, at);
CREATE INDEX sign_in_attempts_at ON sign_in_attempts (at);

-- +goose Down
DROP TABLE sign_in_attempts;
DROP TABLE sessions;
