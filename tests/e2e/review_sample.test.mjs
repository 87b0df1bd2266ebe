// Verdicts on sampled conversations that raised no escalation (issue 16; docs/staff-api.md,
// "Review sample"), end to end against a real triaged and PostgreSQL, in a clinic of its own:
// only quiet conversations are in the sample, and only as many as the clinic's share says; a
// nurse opens one (audited) and reads its transcript; an under-triage opens a safety review item;
// inconsistent verdicts are refused; the verdict reaches the de-identified export.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadStack } from '../lib/stack.mjs';
import { psql } from '../lib/db.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { login, api } from '../lib/staff_client.mjs';
import { driftClinic, setReviewShare } from '../lib/drift_day.mjs';

let stack, base, admin, clinic;
const patients = [];
const show = (r) => `HTTP ${r.status} ${r.text}`;

before(async () => {
  stack = loadStack();
  assert.ok(stack, 'TRIAGE_TEST_ENV_FILE must name the stack env file');
  base = stack.base;
  clinic = driftClinic(stack, 'sample', 'Sample Clinic');
  admin = await login(base, { clinic: clinic.slug, email: clinic.email, password: clinic.password });
});
after(() => { for (const p of patients) p.close(); });

async function converse(text) {
  const p = await PatientClient.connect(base, { clinic: clinic.slug });
  patients.push(p);
  const started = await p.start();
  assert.ok((await p.say('s1', 'yes')).ack);
  assert.ok((await p.say('s2', text)).ack);
  p.close();
  return started.conversation;
}
const setShare = (percent) => assert.match(setReviewShare(stack, clinic.slug, percent), new RegExp(`review sample ${percent}%`));
const sample = async () => {
  const r = await api(base, admin, 'GET', '/api/staff/review-sample');
  assert.equal(r.status, 200, show(r));
  return r.body.conversations.map((c) => c.conversation);
};

test('the sample holds the clinic\'s share of its quiet conversations, never an escalated one', async () => {
  const marker = randomBytes(3).toString('hex');
  const quiet = [];
  for (let i = 0; i < 8; i++) quiet.push(await converse(`I have had a mild headache since this morning, ref ${marker}${i}`));
  const escalated = await converse('I have crushing chest pain spreading to my left arm');

  setShare(0);
  assert.deepEqual(await sample(), [], 'a share of 0% samples nothing');
  setShare(100);
  const all = await sample();
  for (const id of quiet) assert.ok(all.includes(id), `quiet conversation ${id} is sampled at 100%`);
  assert.ok(!all.includes(escalated), 'an escalated conversation is reviewed on its escalation, not here');
  assert.equal((await api(base, admin, 'GET', `/api/staff/review-sample/${escalated}`)).status, 404);

  // At 50% the sample is the half whose ids hash below 50: computed here by the same rule.
  setShare(50);
  const half = await sample();
  const expected = quiet.filter((id) => Number(psql(stack, `SELECT (('x' || substr(md5('${id}'), 1, 8))::bit(32)::bigint % 100)`)) < 50);
  assert.deepEqual(quiet.filter((id) => half.includes(id)), expected);
  setShare(100);
});

test('staff open a sampled conversation, and an under-triage opens a safety review item', async () => {
  const text = 'My name is Zyxandra Quillfeather, call me on 555-201-7788: I get dizzy when I stand up lately';
  const id = await converse(text);
  const opened = await api(base, admin, 'GET', `/api/staff/review-sample/${id}`);
  assert.equal(opened.status, 200, show(opened));
  assert.ok(opened.body.transcript.some((e) => e.author === 'patient' && e.text === text), 'the transcript is opened');
  assert.equal(opened.body.feedback.length, 0);
  const product = opened.body.urgency;
  assert.equal(Number(psql(stack, `SELECT count(*) FROM audit_events WHERE action = 'conversation.viewed' AND detail->>'conversation' = '${id}'`)), 1,
    'the opening is on the record');

  const path = `/api/staff/review-sample/${id}/feedback`;
  const wrong = await api(base, admin, 'POST', path, { verdict: 'under_triaged', urgency: 'none', intent: 'symptom_report' });
  assert.equal(wrong.status, 400, show(wrong));
  assert.equal(wrong.body.error, 'inconsistent_feedback');
  assert.equal((await api(base, admin, 'POST', path, { verdict: 'right', urgency: product, intent: 'symptom_report', extra: 1 })).status, 400);

  const under = await api(base, admin, 'POST', path, { verdict: 'under_triaged', urgency: 'emergency', intent: 'symptom_report' });
  assert.equal(under.status, 200, show(under));
  assert.equal(under.body.feedback.safety_review, true);
  assert.equal(under.body.feedback.product_urgency, product);
  assert.equal(Number(psql(stack, `SELECT count(*) FROM safety_reviews WHERE conversation_id = '${id}' AND status = 'open'`)), 1);
  assert.equal(Number(psql(stack, `SELECT count(*) FROM audit_events WHERE action = 'safety_review.opened' AND conversation_id = '${id}'`)), 1);
  // A second verdict by the same person replaces the first; the review item stays open.
  const again = await api(base, admin, 'POST', path, { verdict: 'under_triaged', urgency: 'urgent', intent: 'symptom_report' });
  assert.equal(again.status, 200, show(again));
  const after = await api(base, admin, 'GET', `/api/staff/review-sample/${id}`);
  assert.equal(after.body.feedback.length, 1);
  assert.equal(after.body.feedback[0].urgency, 'urgent');
  assert.equal(Number(psql(stack, `SELECT count(*) FROM safety_reviews WHERE conversation_id = '${id}'`)), 1);

  // The analytics page counts it among the clinic's verdicts (this clinic has no other).
  const day = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  const figures = await api(base, admin, 'GET', `/api/staff/analytics?from=${day}&to=${tomorrow}`);
  assert.equal(figures.status, 200, show(figures));
  assert.equal(figures.body.feedback.verdicts, 1);
  assert.equal(figures.body.feedback.under_triaged, 1);
  assert.equal(figures.body.feedback.safety_reviews_open, 1);

  // The export carries it, de-identified, with the product's urgency as provenance.
  const out = execFileSync(process.env.TRIAGE_TEST_TRIAGECTL,
    ['--config', join(stack.dir, 'a.yaml'), 'feedback', 'export', clinic.slug, '--since', day], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  for (const canary of ['Zyxandra', 'Quillfeather', '555-201', '7788'])
    assert.ok(!out.includes(canary), `${canary} must not be exported`);
  const mine = out.trim().split('\n').map((l) => JSON.parse(l)).find((c) => c.text.includes('dizzy when I stand up'));
  assert.ok(mine, `the sampled verdict is exported: ${out}`);
  assert.equal(mine.urgency, 'urgent');
  assert.equal(mine.provenance.verdict, 'under_triaged');
  assert.equal(mine.provenance.product_urgency, product);
  assert.match(mine.provenance.pack, /^core@/);
});

test('the review sample refuses bad requests and other clinics\' conversations', async () => {
  assert.equal((await api(base, admin, 'GET', '/api/staff/review-sample?days=3')).status, 400);
  assert.equal((await api(base, admin, 'GET', '/api/staff/review-sample/not-a-uuid')).status, 404);
  assert.equal((await api(base, admin, 'POST', '/api/staff/review-sample')).status, 405);
  assert.throws(() => setReviewShare(stack, clinic.slug, 101), (e) => /0 to 100/.test(String(e.stderr)));
  // A demo clinic's conversation, even one in its own sample, is not this clinic's.
  const p = await PatientClient.connect(base, { clinic: 'demo' });
  patients.push(p);
  const demo = (await p.start()).conversation;
  assert.ok((await p.say('o1', 'yes')).ack);
  p.close();
  assert.equal((await api(base, admin, 'GET', `/api/staff/review-sample/${demo}`)).status, 404);
  assert.equal((await api(base, admin, 'POST', `/api/staff/review-sample/${demo}/feedback`,
    { verdict: 'right', urgency: 'none', intent: 'other' })).status, 404);
});
