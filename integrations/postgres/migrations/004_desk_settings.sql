-- The escalation desk's per-clinic settings and the returning-contact link.
--
-- Service levels: an escalation nobody has claimed after sla_renotify_s is announced again,
-- louder; after sla_oncall_s the clinic's on-call webhook is called (ids and codes only).
ALTER TABLE clinics
    ADD COLUMN sla_renotify_s     integer NOT NULL DEFAULT 60 CHECK (sla_renotify_s > 0),
    ADD COLUMN sla_oncall_s       integer NOT NULL DEFAULT 180 CHECK (sla_oncall_s > 0),
    ADD COLUMN oncall_webhook_url text CHECK (oncall_webhook_url IS NULL OR oncall_webhook_url ~ '^https?://'),
    -- a patient who comes back within this window with a new urgent complaint is escalated, linked
    ADD COLUMN repeat_window_s    integer NOT NULL DEFAULT 259200 CHECK (repeat_window_s >= 0),
    ADD CONSTRAINT clinics_sla_order CHECK (sla_oncall_s >= sla_renotify_s);

-- Keyed BLAKE2b of the random id the patient's browser keeps (no personal data): two
-- conversations with the same index come from the same returning contact.
ALTER TABLE conversations ADD COLUMN contact_index bytea;
CREATE INDEX conversations_contact ON conversations (clinic_id, contact_index) WHERE contact_index IS NOT NULL;
