-- The escalation desk: staff accounts and their sign-in sessions, the escalation lifecycle,
-- internal notes and canned replies (staff_store). No secret is stored in the clear: passwords as
-- Argon2id strings, session tokens and CSRF tokens only as hashes made by the caller, note bodies
-- sealed like messages.
--
-- Composite foreign keys (x, clinic_id) -> (id, clinic_id) make it impossible for a row to point
-- at a staff user or escalation of another clinic; row-level security cannot do that, because
-- PostgreSQL checks foreign keys without it.

CREATE TABLE staff_users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    clinic_id     uuid NOT NULL REFERENCES clinics(id),
    email         text NOT NULL CHECK (email <> '' AND email = lower(email)),
    -- the first name the patient sees when this person joins the chat
    display_name  text NOT NULL CHECK (display_name <> ''),
    role          text NOT NULL CHECK (role IN ('front_desk', 'nurse', 'clinic_admin', 'auditor')),
    -- libsodium Argon2id string (crypto_pwhash_str); NULL: no local sign-in. Never logged.
    password_hash text,
    oidc_issuer   text,
    oidc_subject  text,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (clinic_id, email),
    UNIQUE (oidc_issuer, oidc_subject),
    UNIQUE (id, clinic_id),
    CHECK ((oidc_issuer IS NULL) = (oidc_subject IS NULL))
);

CREATE TABLE staff_sessions (
    -- SHA-256 or BLAKE2b of the session token, made by the caller: the token is never stored
    id_hash          bytea PRIMARY KEY,
    user_id          uuid NOT NULL,
    clinic_id        uuid NOT NULL REFERENCES clinics(id),
    csrf_hash        bytea NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('local', 'oidc')),
    -- id_token_hint for the provider's logout: a secret, never logged
    idp_session_hint text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    absolute_expiry  timestamptz NOT NULL,
    revoked_at       timestamptz,
    FOREIGN KEY (user_id, clinic_id) REFERENCES staff_users (id, clinic_id)
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id) WHERE revoked_at IS NULL;

-- The lifecycle: raised -> notified -> claimed -> in_conversation -> resolved | handed_back.
-- staff_store checks each transition in its UPDATE's WHERE clause, so concurrent callers on any
-- instance cannot break it; the constraints below are the backstop.
ALTER TABLE escalations ADD CONSTRAINT escalations_id_clinic UNIQUE (id, clinic_id);
ALTER TABLE escalations
    ADD COLUMN claimed_by        uuid,
    ADD COLUMN claimed_at        timestamptz,
    ADD COLUMN resolved_at       timestamptz,
    ADD COLUMN outcome           text,
    ADD COLUMN notified_at       timestamptz,
    ADD COLUMN renotified_at     timestamptz,
    ADD COLUMN oncall_sent_at    timestamptz,
    -- an earlier escalation of the same patient (repeat contact)
    ADD COLUMN linked_escalation uuid,
    -- structured handoff summary: codes and ids chosen by the caller, no free text
    ADD COLUMN summary           jsonb NOT NULL DEFAULT '{}',
    -- higher first; the caller derives it from the urgency
    ADD COLUMN priority          integer NOT NULL DEFAULT 0,
    -- set by the trigger below on every change, for consoles catching up after a reconnect
    ADD COLUMN updated_at        timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT escalations_status
        CHECK (status IN ('raised', 'notified', 'claimed', 'in_conversation', 'resolved', 'handed_back')),
    ADD CONSTRAINT escalations_outcome
        CHECK (outcome IN ('called_emergency_services', 'callback_booked', 'advice_given', 'no_action_needed',
                           'handed_back', 'other')),
    ADD CONSTRAINT escalations_claimed_has_owner
        CHECK (status NOT IN ('claimed', 'in_conversation') OR claimed_by IS NOT NULL),
    ADD CONSTRAINT escalations_resolved_has_outcome
        CHECK (status <> 'resolved' OR (outcome IS NOT NULL AND outcome <> 'handed_back')),
    ADD CONSTRAINT escalations_handed_back_outcome
        CHECK (status <> 'handed_back' OR outcome = 'handed_back'),
    ADD CONSTRAINT escalations_not_linked_to_itself CHECK (linked_escalation <> id),
    ADD CONSTRAINT escalations_claimed_by FOREIGN KEY (claimed_by, clinic_id) REFERENCES staff_users (id, clinic_id),
    ADD CONSTRAINT escalations_linked FOREIGN KEY (linked_escalation, clinic_id) REFERENCES escalations (id, clinic_id);
CREATE INDEX escalations_changes ON escalations (clinic_id, updated_at);

-- now() is the start of the writing transaction. staff_store's catch-up cursor relies on exactly
-- that (it holds back to the oldest transaction still running), so do not use clock_timestamp().
CREATE FUNCTION escalations_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER escalations_updated_at BEFORE UPDATE ON escalations
    FOR EACH ROW EXECUTE FUNCTION escalations_touch();

-- Internal notes: staff only, never shown to the patient. May hold PHI, so sealed by the caller
-- (associated data escalation_notes.body|<note id>|<clinic>).
CREATE TABLE escalation_notes (
    id            uuid PRIMARY KEY,
    seq           bigint GENERATED ALWAYS AS IDENTITY,  -- listing order
    escalation_id uuid NOT NULL,
    clinic_id     uuid NOT NULL REFERENCES clinics(id),
    author        uuid NOT NULL,
    key_id        integer NOT NULL REFERENCES phi_keys(id),
    body          bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (escalation_id, clinic_id) REFERENCES escalations (id, clinic_id),
    FOREIGN KEY (author, clinic_id) REFERENCES staff_users (id, clinic_id)
);
CREATE INDEX escalation_notes_escalation ON escalation_notes (escalation_id, seq);

-- Replies the clinic writes in advance; configuration, not PHI.
CREATE TABLE canned_replies (
    id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    clinic_id uuid NOT NULL REFERENCES clinics(id),
    title     text NOT NULL CHECK (title <> ''),
    body_en   text NOT NULL,
    body_es   text NOT NULL,
    position  integer NOT NULL DEFAULT 0,
    UNIQUE (clinic_id, title)
);

-- Tenant isolation exactly as in 002.
ALTER TABLE staff_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_users FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON staff_users
    USING (clinic_id = nullif(current_setting('triage.clinic_id', true), '')::uuid);

ALTER TABLE staff_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON staff_sessions
    USING (clinic_id = nullif(current_setting('triage.clinic_id', true), '')::uuid);

ALTER TABLE escalation_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE escalation_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON escalation_notes
    USING (clinic_id = nullif(current_setting('triage.clinic_id', true), '')::uuid);

ALTER TABLE canned_replies ENABLE ROW LEVEL SECURITY;
ALTER TABLE canned_replies FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON canned_replies
    USING (clinic_id = nullif(current_setting('triage.clinic_id', true), '')::uuid);

-- Two lookups are cross-clinic by nature: the clinic is what they find out. Each admits, for
-- reading only, the single row whose identity the transaction names, which the caller can only
-- know from a verified ID token (issuer + subject) or from the session cookie (the hash of its
-- token). A query that forgets its filter still sees nothing else; writes still need the clinic
-- scope. Policies of one command are OR-ed, so these add to clinic_isolation.
CREATE POLICY oidc_sign_in ON staff_users FOR SELECT
    USING (oidc_issuer = nullif(current_setting('triage.oidc_issuer', true), '')
           AND oidc_subject = nullif(current_setting('triage.oidc_subject', true), ''));
CREATE POLICY session_lookup ON staff_sessions FOR SELECT
    USING (id_hash = decode(nullif(current_setting('triage.session_id_hash', true), ''), 'hex'));
