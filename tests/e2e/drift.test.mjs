// Drift and bias monitoring (issue 16; docs/observability.md, "Drift and bias"), end to end
// against a real triaged and PostgreSQL, in a clinic of its own. A scripted day of ordinary
// conversations is sent through the patient WebSocket; its audit rows are then copied to the
// seven days before, so the reference window holds the same traffic the product really produced.
// Unchanged traffic raises no drift alert; a burst of Spanish conversations raises the language
// alert, in the staff API, in /metrics and once in the log. Per-day figures by language and age
// group match what the script sent.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadStack } from '../lib/stack.mjs';
import { login, api, request } from '../lib/staff_client.mjs';
import { driftClinic, ordinaryDay, spanishBurst, spanishExtras, sendDay, copyToReference } from '../lib/drift_day.mjs';

let stack, base, admin, clinic;

const stat = (report, slice, statistic) => report.statistics.find((s) => s.slice === slice && s.statistic === statistic);
async function metric(series) {
  const r = await request(`${process.env.TRIAGE_TEST_METRICS_URL}/metrics`);
  assert.equal(r.status, 200, r.text);
  const line = r.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : undefined;
}
const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
// Today's (and, past midnight, yesterday's) rows: the current window's days.
function todaysMessages(report) {
  const out = {};
  for (const d of report.days)
    if (d.day >= yesterday && d.messages !== undefined) out[`${d.lang}/${d.age_group}`] = (out[`${d.lang}/${d.age_group}`] ?? 0) + d.messages;
  return out;
}

before(async () => {
  stack = loadStack();
  assert.ok(stack, 'TRIAGE_TEST_ENV_FILE must name the stack env file');
  base = stack.base;
  clinic = driftClinic(stack);
  admin = await login(base, { clinic: clinic.slug, email: clinic.email, password: clinic.password });
});

test('a new clinic has nothing to compare with: every statistic is too_few, no alert', async () => {
  const r = await api(base, admin, 'GET', '/api/staff/analytics/drift');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.alerts, 0);
  assert.equal(r.body.current_window_hours, 24);
  assert.equal(r.body.reference_window_hours, 24 * 28);
  assert.ok(r.body.statistics.length > 20);
  assert.ok(r.body.statistics.every((s) => s.status === 'too_few' && s.psi === null), JSON.stringify(r.body.statistics[0]));
  const bad = await api(base, admin, 'GET', '/api/staff/analytics/drift?from=2026-01-01');
  assert.equal(bad.status, 400);
});

test('unchanged traffic raises no drift alert; a burst of Spanish raises the language alert', async () => {
  const sent = await sendDay(base, clinic.slug, ordinaryDay);
  copyToReference(stack, clinic.id);

  const calm = await api(base, admin, 'GET', '/api/staff/analytics/drift');
  assert.equal(calm.status, 200, calm.text);
  const language = stat(calm.body, 'all', 'language');
  assert.equal(language.current, ordinaryDay.length * 2, 'every patient message of the day is counted');
  assert.equal(language.reference, ordinaryDay.length * 2 * 7);
  for (const s of calm.body.statistics.filter((x) => x.status !== 'too_few'))
    assert.equal(s.status, 'stable', `${s.slice} ${s.statistic} psi ${s.psi}`);
  assert.equal(calm.body.alerts, 0);
  assert.equal(stat(calm.body, 'all', 'intent').status, 'stable');
  assert.deepEqual(todaysMessages(calm.body), sent, 'the day by language and age group is what the script sent');
  assert.equal(await metric(`triage_drift_alerts{clinic="${clinic.slug}"}`), 0);

  const burst = await sendDay(base, clinic.slug, spanishBurst, spanishExtras);
  const shifted = await api(base, admin, 'GET', '/api/staff/analytics/drift');
  assert.equal(shifted.status, 200, shifted.text);
  const moved = stat(shifted.body, 'all', 'language');
  assert.equal(moved.status, 'alert', `language psi ${moved.psi}`);
  assert.ok(moved.psi > 0.25);
  const es = moved.bins.find((b) => b.name === 'es');
  assert.equal(es.current, sent['es/unstated'] + burst['es/unstated']);
  assert.ok(shifted.body.alerts >= 1);
  // English traffic did not change: its own statistics stay put.
  for (const s of shifted.body.statistics.filter((x) => x.slice === 'lang:en' && x.status !== 'too_few'))
    assert.equal(s.status, 'stable', `${s.slice} ${s.statistic} psi ${s.psi}`);
  assert.equal(await metric(`triage_drift_alerts{clinic="${clinic.slug}"}`), shifted.body.alerts);
  assert.ok(await metric(`triage_drift_psi{clinic="${clinic.slug}",slice="all",statistic="language"}`) > 0.25);

  // Going into alert is logged once, with codes only; asking again does not log it again.
  await api(base, admin, 'GET', '/api/staff/analytics/drift');
  const log = readFileSync(process.env.TRIAGE_TEST_SERVER_LOG, 'utf8').split('\n')
    .filter((l) => l.includes('"drift.alert"') && l.includes(`"${clinic.slug}"`) && l.includes('"statistic":"language"') && l.includes('"slice":"all"'));
  assert.equal(log.length, 1, log.join('\n'));
});
