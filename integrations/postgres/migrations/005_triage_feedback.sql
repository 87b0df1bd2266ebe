-- Clinicians' verdicts on the product's triage (issue 16): on an escalation, staff mark the
-- urgency right, over-triaged or under-triaged and give the urgency and intent it should have
-- had. Codes only, never message text: the words stay sealed in `messages`.
CREATE TABLE triage_feedback (
    id              uuid PRIMARY KEY,
    clinic_id       uuid NOT NULL REFERENCES clinics(id),
    escalation_id   uuid NOT NULL,
    author          uuid NOT NULL,
    verdict         text NOT NULL CHECK (verdict IN ('right', 'over_triaged', 'under_triaged')),
    product_urgency text NOT NULL,  -- what the product said, kept beside the correction
    correct_urgency text NOT NULL CHECK (correct_urgency IN ('none', 'self_care', 'routine', 'urgent', 'emergency')),
    correct_intent  text NOT NULL CHECK (correct_intent ~ '^[a-z_]{1,40}$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- one verdict per person per escalation; a second one replaces the first
    UNIQUE (escalation_id, author),
    FOREIGN KEY (escalation_id, clinic_id) REFERENCES escalations (id, clinic_id),
    FOREIGN KEY (author, clinic_id) REFERENCES staff_users (id, clinic_id)
);
CREATE INDEX triage_feedback_clinic ON triage_feedback (clinic_id, created_at);

-- An under-triage is a safety event: it opens a review item for the clinic's safety lead.
CREATE TABLE safety_reviews (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    clinic_id     uuid NOT NULL REFERENCES clinics(id),
    escalation_id uuid NOT NULL,
    feedback_id   uuid NOT NULL UNIQUE REFERENCES triage_feedback(id) ON DELETE CASCADE,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (escalation_id, clinic_id) REFERENCES escalations (id, clinic_id)
);
CREATE INDEX safety_reviews_open ON safety_reviews (clinic_id, status, opened_at);

ALTER TABLE triage_feedback ENABLE ROW LEVEL SECURITY;
ALTER TABLE triage_feedback FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON triage_feedback
    USING (clinic_id = nullif(current_setting('triage.clinic_id', true), '')::uuid);

ALTER TABLE safety_reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE safety_reviews FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON safety_reviews
    USING (clinic_id = nullif(current_setting('triage.clinic_id', true), '')::uuid);
