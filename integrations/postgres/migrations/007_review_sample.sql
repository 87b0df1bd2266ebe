-- Verdicts on a sample of the conversations that raised no escalation (issue 16): the only way a
-- clinic learns of the emergencies the product missed. A verdict is on an escalation or on a
-- sampled conversation, never both; an under-triaged conversation opens a safety review item too.
ALTER TABLE clinics ADD COLUMN review_sample_percent int NOT NULL DEFAULT 5
    CHECK (review_sample_percent BETWEEN 0 AND 100);

ALTER TABLE triage_feedback ALTER COLUMN escalation_id DROP NOT NULL;
ALTER TABLE triage_feedback ADD COLUMN conversation_id uuid REFERENCES conversations(id);
ALTER TABLE triage_feedback ADD CONSTRAINT triage_feedback_one_subject
    CHECK ((escalation_id IS NULL) <> (conversation_id IS NULL));
CREATE UNIQUE INDEX triage_feedback_conversation_author ON triage_feedback (conversation_id, author)
    WHERE conversation_id IS NOT NULL;

ALTER TABLE safety_reviews ALTER COLUMN escalation_id DROP NOT NULL;
ALTER TABLE safety_reviews ADD COLUMN conversation_id uuid REFERENCES conversations(id);
