-- Calls captured while they are live, and their wrap-up.
--
-- The answerer's capture (and the wrap-up) can reach the database before
-- routing has written the call's record (it does at hang-up, later when the
-- database was down), so a call's interaction can be started by a person.
-- recorded_at is when routing's record arrived: NULL while only people have
-- written the row. Routing's write merges into such a row (see
-- sqlstore/calls.go).
--
-- Numbered 00003 to leave 00002 to another change made at the same time; it
-- depends on 00001 only, and callroute's goose provider applies a missing
-- lower version when it turns up later (WithAllowOutofOrder), so the two may
-- arrive in either order.

-- +goose Up
ALTER TABLE interactions ADD COLUMN recorded_at TEXT;
-- The wrap-up: the desk's outcome of an answered call (interested,
-- call_back, ...; outcome stays routing's: answered, missed, ...) and its
-- note, kept apart from the call's notes so that a wrap-up never
-- overwrites them.
ALTER TABLE interactions ADD COLUMN wrap_up_outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE interactions ADD COLUMN wrap_up_note TEXT NOT NULL DEFAULT '';
ALTER TABLE interactions ADD COLUMN wrapped_up_at TEXT;
ALTER TABLE interactions ADD COLUMN wrapped_up_by INTEGER REFERENCES users (id);
-- Every call row so far was written by routing.
UPDATE interactions SET recorded_at = created_at WHERE call_id <> '';
-- A call's tasks: the call-back of a missed call or of a wrap-up.
CREATE INDEX tasks_interaction ON tasks (interaction_id);

-- +goose Down
DROP INDEX tasks_interaction;
ALTER TABLE interactions DROP COLUMN wrapped_up_by;
ALTER TABLE interactions DROP COLUMN wrapped_up_at;
ALTER TABLE interactions DROP COLUMN wrap_up_note;
ALTER TABLE interactions DROP COLUMN wrap_up_outcome;
ALTER TABLE interactions DROP COLUMN recorded_at;
