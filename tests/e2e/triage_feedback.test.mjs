// Clinicians' feedback on the product's triage (issue 16; docs/staff-api.md, "Triage feedback"),
// end to end against a real triaged and PostgreSQL: a verdict on an escalation is stored with an
// audit row, an under-triage opens a safety review item (which stays open), a second verdict
// updates the first, inconsistent or malformed verdicts are refused, the detail view shows them,
// and the analytics page's override rate counts them. `triagectl feedback export` writes them out
// de-identified: canary identifiers in the patient's message must not reach the export.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadStack } from '../lib/stack.mjs';
import { psql } from '../lib/db.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { login, api, request } from '../lib/staff_client.mjs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

let stack, base, nurse, fran;
const patients = [];

const NURSE = { clinic: 'demo', email: 'nurse@demo.test', password: 'nurse-local-pass' };
const FRAN = { clinic: 'demo', email: 'frontdesk@demo.test', password: 'frontdesk-local-pass' };
const show = (r) => `HTTP ${r.status} ${r.text}`;

before(async () => {
  stack = loadStack();
  assert.ok(stack, 'TRIAGE_TEST_ENV_FILE must name the stack env file');
  base = stack.base;
  nurse = await login(base, NURSE);
  fran = await login(base, FRAN);
});
after(() => { for (const p of patients) p.close(); });

async function until(fn, what, timeoutMs = 10000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// A demo patient reports an emergency; resolves with its escalation as the queue shows it.
async function emergencyEscalation(text = 'I have crushing chest pain spreading to my left arm') {
  const p = await PatientClient.connect(base, { clinic: 'demo' });
  patients.push(p);
  const started = await p.start();
  await p.say('p1', 'yes');
  await p.say('p2', text);
  return until(async () => {
    const q = await api(base, nurse, 'GET', '/api/staff/escalations');
    return q.body?.escalations?.find((e) => e.conversation === started.conversation);
  }, 'the escalation in the queue');
}

const count = (sql) => Number(psql(stack, sql));
// One series of the server's /metrics (0 before its first sample).
async function metric(series) {
  const r = await request(`${process.env.TRIAGE_TEST_METRICS_URL}/metrics`);
  assert.equal(r.status, 200, r.text);
  const line = r.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
// Yesterday to tomorrow (UTC): today in the clinic's zone, whatever the hour.
const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

test('a verdict is stored with an audit row; an under-triage opens a safety review item; a second verdict replaces the first', async () => {
  const esc = await emergencyEscalation();
  assert.equal(esc.urgency, 'emergency');
  const path = `/api/staff/escalations/${esc.id}/feedback`;

  // An emergency the nurse says was over-triaged: it should have been urgent, a symptom report.
  const series = 'triage_feedback_total{clinic="demo",verdict="over_triaged"}';
  const countedBefore = await metric(series);
  const over = await api(base, nurse, 'POST', path, { verdict: 'over_triaged', urgency: 'urgent', intent: 'symptom_report' });
  assert.equal(over.status, 200, show(over));
  assert.equal(over.body.feedback.verdict, 'over_triaged');
  assert.equal(over.body.feedback.product_urgency, 'emergency');
  assert.equal(over.body.feedback.safety_review, false);
  assert.equal(await metric(series), countedBefore + 1, 'the verdict is counted in /metrics');
  assert.equal(count(`SELECT count(*) FROM triage_feedback WHERE escalation_id = '${esc.id}'`), 1);
  assert.equal(count(`SELECT count(*) FROM safety_reviews WHERE escalation_id = '${esc.id}'`), 0);
  assert.equal(count(`SELECT count(*) FROM audit_events WHERE action = 'triage.feedback' AND detail->>'escalation' = '${esc.id}' AND detail->>'verdict' = 'over_triaged'`), 1);

  // Fran (another person) says it was right: one verdict each.
  const right = await api(base, fran, 'POST', path, { verdict: 'right', urgency: 'emergency', intent: 'symptom_report' });
  assert.equal(right.status, 200, show(right));
  assert.equal(count(`SELECT count(*) FROM triage_feedback WHERE escalation_id = '${esc.id}'`), 2);

  // The nurse changes her mind: her verdict is replaced, not added.
  const again = await api(base, nurse, 'POST', path, { verdict: 'right', urgency: 'emergency', intent: 'symptom_report' });
  assert.equal(again.status, 200, show(again));
  assert.equal(count(`SELECT count(*) FROM triage_feedback WHERE escalation_id = '${esc.id}'`), 2);
  assert.equal(count(`SELECT count(*) FROM triage_feedback WHERE escalation_id = '${esc.id}' AND verdict = 'over_triaged'`), 0);

  // The detail view lists both, with their authors.
  const d = await api(base, nurse, 'GET', `/api/staff/escalations/${esc.id}`);
  assert.equal(d.status, 200, show(d));
  assert.deepEqual(d.body.feedback.map((f) => f.author.id).sort(), [nurse.user.id, fran.user.id].sort());
  assert.ok(d.body.feedback.every((f) => f.verdict === 'right'), JSON.stringify(d.body.feedback));
});

test('an under-triaged escalation opens one safety review item, audited', async () => {
  // Lower the stored urgency so that "under-triaged" can be true of this escalation (the queue
  // only raises emergencies from the demo flow in a few messages).
  const esc = await emergencyEscalation();
  psql(stack, `UPDATE escalations SET urgency = 'urgent' WHERE id = '${esc.id}'`);
  const before = count(`SELECT count(*) FROM safety_reviews WHERE status = 'open' AND clinic_id = (SELECT clinic_id FROM escalations WHERE id = '${esc.id}')`);
  const r = await api(base, nurse, 'POST', `/api/staff/escalations/${esc.id}/feedback`,
    { verdict: 'under_triaged', urgency: 'emergency', intent: 'symptom_report' });
  assert.equal(r.status, 200, show(r));
  assert.equal(r.body.feedback.safety_review, true);
  assert.equal(count(`SELECT count(*) FROM safety_reviews WHERE escalation_id = '${esc.id}' AND status = 'open'`), 1);
  assert.equal(count(`SELECT count(*) FROM audit_events WHERE action = 'safety_review.opened' AND detail->>'escalation' = '${esc.id}'`), 1);

  // The nurse changes her mind, then changes it back: her verdict keeps its id, and the review
  // item, once opened, stays open and is not opened twice.
  const right = await api(base, nurse, 'POST', `/api/staff/escalations/${esc.id}/feedback`,
    { verdict: 'right', urgency: 'urgent', intent: 'symptom_report' });
  assert.equal(right.status, 200, show(right));
  assert.equal(right.body.feedback.id, r.body.feedback.id, 'the same verdict, updated');
  assert.equal(right.body.feedback.safety_review, true, show(right));
  const underAgain = await api(base, nurse, 'POST', `/api/staff/escalations/${esc.id}/feedback`,
    { verdict: 'under_triaged', urgency: 'emergency', intent: 'symptom_report' });
  assert.equal(underAgain.status, 200, show(underAgain));
  assert.equal(count(`SELECT count(*) FROM safety_reviews WHERE escalation_id = '${esc.id}' AND status = 'open'`), 1);
  assert.equal(count(`SELECT count(*) FROM audit_events WHERE action = 'safety_review.opened' AND detail->>'escalation' = '${esc.id}'`), 1);
  assert.equal(count(`SELECT count(*) FROM audit_events WHERE action = 'triage.feedback' AND detail->>'escalation' = '${esc.id}'`), 3);

  // The analytics page counts it: verdicts, under-triage, open reviews, and the override rate.
  const a = await api(base, nurse, 'GET', `/api/staff/analytics?from=${day(-1)}&to=${day(1)}`);
  assert.equal(a.status, 200, show(a));
  const fb = a.body.feedback;
  assert.ok(fb.verdicts >= 1 && fb.under_triaged >= 1, JSON.stringify(fb));
  assert.equal(fb.safety_reviews_open, before + 1, JSON.stringify(fb));
  assert.ok(Math.abs(fb.override_rate - (fb.over_triaged + fb.under_triaged) / fb.verdicts) < 1e-9, JSON.stringify(fb));
});

test('inconsistent, malformed or foreign verdicts are refused', async () => {
  const esc = await emergencyEscalation();
  const path = `/api/staff/escalations/${esc.id}/feedback`;
  const refused = async (body, status, error, field) => {
    const r = await api(base, nurse, 'POST', path, body);
    assert.equal(r.status, status, show(r));
    assert.equal(r.body.error, error, show(r));
    if (field) assert.equal(r.body.field, field, show(r));
  };
  // "Right" about an emergency with another urgency; "under-triaged" below what was said.
  await refused({ verdict: 'right', urgency: 'routine', intent: 'symptom_report' }, 400, 'inconsistent_feedback');
  await refused({ verdict: 'under_triaged', urgency: 'urgent', intent: 'symptom_report' }, 400, 'inconsistent_feedback');
  await refused({ verdict: 'fine', urgency: 'emergency', intent: 'symptom_report' }, 400, 'bad_request', 'verdict');
  await refused({ verdict: 'right', urgency: 'critical', intent: 'symptom_report' }, 400, 'bad_request', 'urgency');
  await refused({ verdict: 'right', urgency: 'emergency', intent: 'buy_pizza' }, 400, 'bad_request', 'intent');
  await refused({ verdict: 'right', urgency: 'emergency', intent: 'symptom_report', note: 'x' }, 400, 'bad_request', 'note');
  const r = await api(base, nurse, 'POST', '/api/staff/escalations/00000000-0000-4000-8000-000000000000/feedback',
    { verdict: 'right', urgency: 'emergency', intent: 'symptom_report' });
  assert.equal(r.status, 404, show(r));
  assert.equal(count(`SELECT count(*) FROM triage_feedback WHERE escalation_id = '${esc.id}'`), 0);
});

test('a verdict marked in the console appears in the de-identified export, with provenance and no canary', async () => {
  // A lower-case word no dictionary has survives the scrub and finds our case among the others.
  const marker = `zq${randomBytes(4).toString('hex')}`;
  const esc = await emergencyEscalation(
    `My name is Zyxandra Quillfeather, call me at 555-201-7788 or zyx.canary@example.org, ` +
    `I have crushing chest pain spreading to my left arm ${marker}`);
  const v = await api(base, nurse, 'POST', `/api/staff/escalations/${esc.id}/feedback`,
    { verdict: 'over_triaged', urgency: 'urgent', intent: 'symptom_report' });
  assert.equal(v.status, 200, show(v));

  const run = (args) => execFileSync(process.env.TRIAGE_TEST_TRIAGECTL,
    ['--config', join(stack.dir, 'a.yaml'), 'feedback', 'export', 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = run(['--since', day(-1)]).toString();
  for (const canary of ['Zyxandra', 'Quillfeather', '555-201', '7788', 'zyx.canary', 'example.org'])
    assert.ok(!out.includes(canary), `${canary} must not be exported`);
  const cases = out.trim().split('\n').map((l) => JSON.parse(l));
  const mine = cases.find((c) => c.text.includes(marker));
  assert.ok(mine, `the case is exported: ${out}`);
  assert.match(mine.id, /^fb-[0-9a-f]{16}$/);
  assert.match(mine.text, /crushing chest pain spreading to my left arm/);
  assert.match(mine.text, /\[NAME\]/);
  assert.match(mine.text, /\[PHONE\]/);
  assert.match(mine.text, /\[EMAIL\]/);
  assert.equal(mine.lang, 'en');
  assert.equal(mine.urgency, 'urgent');
  assert.equal(mine.intent, 'symptom_report');
  assert.equal(mine.provenance.source, 'clinician_feedback');
  assert.equal(mine.provenance.verdict, 'over_triaged');
  assert.equal(mine.provenance.product_urgency, 'emergency');
  assert.equal(mine.provenance.clinic, 'demo');
  assert.match(mine.provenance.pack, /^core@/);
  assert.match(mine.provenance.deidentified, /^safe-harbor-scrub-/);
  assert.ok(!JSON.stringify(mine).includes(esc.id), 'no escalation id in the export');
  assert.ok(count(`SELECT count(*) FROM audit_events WHERE action = 'feedback.exported'`) >= 1, 'the export is audited');

  // A later start date leaves it out.
  assert.ok(!run(['--since', day(2)]).toString().includes(marker));
});
