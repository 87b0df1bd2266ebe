-- The analytics page and the drift check read a clinic's events of one kind over a window
-- (issue 16); without this they would scan the clinic's whole trail.
CREATE INDEX audit_events_clinic_action ON audit_events (clinic_id, action, at);
