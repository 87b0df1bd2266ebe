-- Clinics, conversations, the encrypted transcript, escalations and the audit trail.
-- Every row carries its clinic id. Columns holding PHI are bytea ciphertext (XChaCha20-Poly1305,
-- sealed in the server process) with the id of the data key that sealed them.

CREATE TABLE clinics (
    id              uuid PRIMARY KEY,
    slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name            text NOT NULL,
    allowed_origins text[] NOT NULL DEFAULT '{}',
    flow            text NOT NULL DEFAULT 'default',
    timezone        text NOT NULL DEFAULT 'America/New_York',
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Data keys, each wrapped (encrypted) by the master key; the master key never touches the database.
CREATE TABLE phi_keys (
    id         integer PRIMARY KEY,
    wrapped    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversations (
    id              uuid PRIMARY KEY,
    clinic_id       uuid NOT NULL REFERENCES clinics(id),
    -- keyed BLAKE2b of the resume token: the token itself is never stored
    token_index     bytea NOT NULL UNIQUE,
    lang            text NOT NULL CHECK (lang IN ('en', 'es')),
    flow_id         text NOT NULL,
    flow_version    text NOT NULL,
    highest_urgency text NOT NULL DEFAULT 'none',
    started_at      timestamptz NOT NULL DEFAULT now(),
    ended_at        timestamptz
);
CREATE INDEX conversations_clinic ON conversations (clinic_id, started_at);

CREATE TABLE messages (
    conversation_id uuid NOT NULL REFERENCES conversations(id),
    seq             bigint NOT NULL CHECK (seq > 0),
    clinic_id       uuid NOT NULL REFERENCES clinics(id),
    author          text NOT NULL CHECK (author IN ('patient', 'bot', 'staff')),
    client_msg_id   text,
    key_id          integer NOT NULL REFERENCES phi_keys(id),
    body            bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, seq),
    UNIQUE (conversation_id, client_msg_id)
);

CREATE TABLE escalations (
    id              uuid PRIMARY KEY,
    clinic_id       uuid NOT NULL REFERENCES clinics(id),
    conversation_id uuid NOT NULL REFERENCES conversations(id),
    reason          text NOT NULL,
    urgency         text NOT NULL,
    status          text NOT NULL DEFAULT 'raised',
    -- rule ids, spans and modifiers; never message text
    triage          jsonb NOT NULL DEFAULT '{}',
    raised_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX escalations_queue ON escalations (clinic_id, status, raised_at);

-- Append-only: who did what, when, to which record, under which rule/model/flow version.
-- `detail` holds ids, codes and versions only, never PHI.
CREATE TABLE audit_events (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    clinic_id       uuid REFERENCES clinics(id),
    actor           text NOT NULL,
    action          text NOT NULL,
    conversation_id uuid,
    detail          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_conversation ON audit_events (conversation_id, at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END $$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
