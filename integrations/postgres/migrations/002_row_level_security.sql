-- Tenant isolation as a second line behind the clinic filter in every query: rows of clinical
-- tables are visible and writable only when the transaction has set triage.clinic_id to their
-- clinic (conversation_store does it for each turn). FORCE makes it apply to the table owner,
-- which is the role the server connects as.
ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversations FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON conversations
    USING (clinic_id = nullif(current_setting('triage.clinic_id', true), '')::uuid);

ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON messages
    USING (clinic_id = nullif(current_setting('triage.clinic_id', true), '')::uuid);

ALTER TABLE escalations ENABLE ROW LEVEL SECURITY;
ALTER TABLE escalations FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON escalations
    USING (clinic_id = nullif(current_setting('triage.clinic_id', true), '')::uuid);

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON audit_events
    USING (clinic_id = nullif(current_setting('triage.clinic_id', true), '')::uuid);
