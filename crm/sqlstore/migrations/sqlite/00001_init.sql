-- callroute client base, SQLite. Times are TEXT in UTC, fixed width
-- (2006-01-02T15:04:05.000000Z), so text order is time order. *_key columns
-- hold the case-folded name or email, computed by the application.

-- +goose Up
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL,
    email_key      TEXT    NOT NULL,
    name           TEXT    NOT NULL DEFAULT '',
    role           TEXT    NOT NULL,
    active         INTEGER NOT NULL DEFAULT 1,
    password_hash  TEXT    NOT NULL DEFAULT '',
    sip_username   TEXT    NOT NULL DEFAULT '',
    sip_ha1_md5    TEXT    NOT NULL DEFAULT '',
    sip_ha1_sha256 TEXT    NOT NULL DEFAULT '',
    sip_realm      TEXT    NOT NULL DEFAULT '',
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_email_key_uq ON users (email_key);
CREATE UNIQUE INDEX users_sip_username_uq ON users (sip_username) WHERE sip_username <> '';

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       TEXT    NOT NULL,
    label      TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX api_tokens_hash_uq ON api_tokens (hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE companies (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL,
    website    TEXT    NOT NULL DEFAULT '',
    size       INTEGER NOT NULL DEFAULT 0,
    industry   TEXT    NOT NULL DEFAULT '',
    owner_id   INTEGER REFERENCES users (id),
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT    NOT NULL,
    created_by INTEGER REFERENCES users (id),
    updated_at TEXT    NOT NULL,
    updated_by INTEGER REFERENCES users (id)
) STRICT;
CREATE INDEX companies_name_key ON companies (name_key);
CREATE INDEX companies_owner ON companies (owner_id);

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    name_key     TEXT    NOT NULL,
    company_id   INTEGER REFERENCES companies (id),
    position     TEXT    NOT NULL DEFAULT '',
    email        TEXT    NOT NULL DEFAULT '',
    email_key    TEXT    NOT NULL DEFAULT '',
    messenger    TEXT    NOT NULL DEFAULT '',
    owner_id     INTEGER REFERENCES users (id),
    mailing_only INTEGER NOT NULL DEFAULT 0,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT    NOT NULL,
    created_by   INTEGER REFERENCES users (id),
    updated_at   TEXT    NOT NULL,
    updated_by   INTEGER REFERENCES users (id)
) STRICT;
CREATE INDEX contacts_company ON contacts (company_id);
CREATE INDEX contacts_owner ON contacts (owner_id);
CREATE INDEX contacts_name_key ON contacts (name_key);

-- A phone belongs to exactly one contact or one company (switchboard).
CREATE TABLE phones (
    id         INTEGER PRIMARY KEY,
    e164       TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    contact_id INTEGER REFERENCES contacts (id) ON DELETE CASCADE,
    company_id INTEGER REFERENCES companies (id) ON DELETE CASCADE,
    CHECK ((contact_id IS NULL) <> (company_id IS NULL)),
    CHECK ((contact_id IS NOT NULL AND kind IN ('work', 'mobile', 'other'))
        OR (company_id IS NOT NULL AND kind = 'switchboard'))
) STRICT;
-- The caller lookup: an index seek on e164 that covers the owner columns.
CREATE INDEX phones_e164 ON phones (e164, contact_id, company_id);
CREATE INDEX phones_contact ON phones (contact_id);
CREATE INDEX phones_company ON phones (company_id);

CREATE TABLE interests (
    id               INTEGER PRIMARY KEY,
    contact_id       INTEGER REFERENCES contacts (id),
    company_id       INTEGER REFERENCES companies (id),
    title            TEXT    NOT NULL DEFAULT '',
    need             TEXT    NOT NULL DEFAULT '',
    stage            TEXT    NOT NULL CHECK (stage IN ('new', 'meeting', 'offer', 'waiting', 'won', 'lost')),
    lost_reason      TEXT    NOT NULL DEFAULT '',
    owner_id         INTEGER REFERENCES users (id),
    next_follow_up   TEXT,
    notes            TEXT    NOT NULL DEFAULT '',
    last_activity_at TEXT    NOT NULL,
    closed_at        TEXT,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT    NOT NULL,
    created_by       INTEGER REFERENCES users (id),
    updated_at       TEXT    NOT NULL,
    updated_by       INTEGER REFERENCES users (id)
) STRICT;
CREATE INDEX interests_contact ON interests (contact_id);
CREATE INDEX interests_company ON interests (company_id);
CREATE INDEX interests_owner ON interests (owner_id);
CREATE INDEX interests_activity ON interests (last_activity_at);
-- The lookup's "most recently active open interest".
CREATE INDEX interests_open_contact ON interests (contact_id, last_activity_at, id) WHERE stage NOT IN ('won', 'lost');
CREATE INDEX interests_open_company ON interests (company_id, last_activity_at, id) WHERE stage NOT IN ('won', 'lost');
CREATE INDEX interests_follow_up ON interests (next_follow_up) WHERE stage NOT IN ('won', 'lost') AND next_follow_up IS NOT NULL;

CREATE TABLE interactions (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    direction    TEXT    NOT NULL DEFAULT '',
    contact_id   INTEGER REFERENCES contacts (id),
    company_id   INTEGER REFERENCES companies (id),
    interest_id  INTEGER REFERENCES interests (id),
    at           TEXT    NOT NULL,
    user_id      INTEGER REFERENCES users (id),
    call_id      TEXT    NOT NULL DEFAULT '',
    caller_e164  TEXT    NOT NULL DEFAULT '',
    outcome      TEXT    NOT NULL DEFAULT '',
    answered_by  INTEGER REFERENCES users (id),
    ring_seconds INTEGER NOT NULL DEFAULT 0,
    talk_seconds INTEGER NOT NULL DEFAULT 0,
    route        TEXT,
    subject      TEXT    NOT NULL DEFAULT '',
    notes        TEXT    NOT NULL DEFAULT '',
    recording    TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    created_by   INTEGER REFERENCES users (id)
) STRICT;
CREATE UNIQUE INDEX interactions_call_id_uq ON interactions (call_id) WHERE call_id <> '';
CREATE INDEX interactions_contact_at ON interactions (contact_id, at);
CREATE INDEX interactions_company ON interactions (company_id);
CREATE INDEX interactions_interest ON interactions (interest_id);
CREATE INDEX interactions_at ON interactions (at);

CREATE TABLE tasks (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL,
    assignee_id    INTEGER REFERENCES users (id),
    contact_id     INTEGER REFERENCES contacts (id),
    company_id     INTEGER REFERENCES companies (id),
    interest_id    INTEGER REFERENCES interests (id),
    interaction_id INTEGER REFERENCES interactions (id),
    caller_e164    TEXT    NOT NULL DEFAULT '',
    title          TEXT    NOT NULL DEFAULT '',
    due            TEXT    NOT NULL,
    done_at        TEXT,
    notes          TEXT    NOT NULL DEFAULT '',
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT    NOT NULL,
    created_by     INTEGER REFERENCES users (id),
    updated_at     TEXT    NOT NULL,
    updated_by     INTEGER REFERENCES users (id)
) STRICT;
CREATE INDEX tasks_assignee_due ON tasks (assignee_id, due);
CREATE INDEX tasks_due ON tasks (due);
CREATE INDEX tasks_contact ON tasks (contact_id);
CREATE INDEX tasks_company ON tasks (company_id);

CREATE TABLE delegations (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    delegate_id INTEGER NOT NULL REFERENCES users (id),
    starts      TEXT    NOT NULL,
    ends        TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    ended_at    TEXT,
    created_at  TEXT    NOT NULL,
    created_by  INTEGER REFERENCES users (id)
) STRICT;
CREATE INDEX delegations_user ON delegations (user_id, starts);

CREATE TABLE reassignments (
    id           INTEGER PRIMARY KEY,
    contact_id   INTEGER REFERENCES contacts (id),
    company_id   INTEGER REFERENCES companies (id),
    from_user_id INTEGER REFERENCES users (id),
    to_user_id   INTEGER NOT NULL REFERENCES users (id),
    note         TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    created_by   INTEGER REFERENCES users (id),
    undone_at    TEXT,
    undone_by    INTEGER REFERENCES users (id),
    skipped      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE reassignment_items (
    id              INTEGER PRIMARY KEY,
    reassignment_id INTEGER NOT NULL REFERENCES reassignments (id) ON DELETE CASCADE,
    entity          TEXT    NOT NULL,
    entity_id       INTEGER NOT NULL,
    prev_owner_id   INTEGER
) STRICT;
CREATE INDEX reassignment_items_reassignment ON reassignment_items (reassignment_id, entity, entity_id);

-- The change log. user_id is NULL for callroute itself; no foreign keys, so
-- the log never blocks anything.
CREATE TABLE changes (
    id        INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,
    user_id   INTEGER,
    entity    TEXT    NOT NULL,
    entity_id INTEGER NOT NULL,
    action    TEXT    NOT NULL,
    data      TEXT
) STRICT;
CREATE INDEX changes_entity ON changes (entity, entity_id, id);

-- +goose Down
DROP TABLE changes;
DROP TABLE reassignment_items;
DROP TABLE reassignments;
DROP TABLE delegations;
DROP TABLE tasks;
DROP TABLE interactions;
DROP TABLE interests;
DROP TABLE phones;
DROP TABLE contacts;
DROP TABLE companies;
DROP TABLE api_tokens;
DROP TABLE users;
