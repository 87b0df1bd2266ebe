// Browser test of the analytics page (web/staff/analytics.html): a scripted set of conversations
// moves its figures by exactly what the script sent, the charts are drawn, and axe-core finds no
// serious or critical violation. Screenshot: tests/browser/screenshots/staff-analytics.png
// (docs/screenshots/ with TRIAGE_DOC_SCREENSHOTS=1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { loadStack } from '../lib/stack.mjs';
import { launchChromium, signInToConsole } from '../lib/browser.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { driftClinic, ordinaryDay, spanishBurst, spanishExtras, sendDay, copyToReference } from '../lib/drift_day.mjs';

const stack = loadStack();
const SKIP = stack ? false : 'TRIAGE_TEST_ENV_FILE is not set: browser tests skipped';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(HERE, 'screenshots');
const DOC_SHOTS = path.join(HERE, '..', '..', 'docs', 'screenshots');
const T = (id) => `[data-testid="${id}"]`;

let browser;
before(async () => {
  if (SKIP) return;
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});
after(async () => { if (browser) await browser.close(); });

async function converse(lang, text) {
  const c = await PatientClient.connect(stack.base);
  await c.start(lang);
  const yes = (c.lastBot().quick_replies ?? []).find((r) => /^(yes|s[ií])$/i.test(r.label));
  assert.ok((await c.say('a0', yes.value)).ack);
  assert.ok((await c.say('a1', text)).ack);
  c.close();
}

async function figures(page, day) {
  return page.evaluate(async (d) => {
    const r = await fetch(`/api/staff/analytics?from=${d}&to=${d}`, { credentials: 'same-origin' });
    return { status: r.status, body: await r.json() };
  }, day);
}

test('the analytics page shows what the conversations did, in charts, accessibly', { skip: SKIP, timeout: 90000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1100 } });
  const page = await context.newPage();
  await signInToConsole(page, stack.base, { clinic: 'demo', email: 'admin@demo.test', password: 'admin-local-pass' });
  await page.locator(T('analytics-link')).waitFor();

  // Today in the clinic's zone, as the server counts days.
  const probe = await figures(page, '2026-01-01');
  assert.equal(probe.status, 200, JSON.stringify(probe.body));
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: probe.body.time_zone }).format(new Date());
  const before = (await figures(page, today)).body;

  await converse('en', 'I would like to book an appointment');
  await converse('es', 'quisiera pedir una cita');
  await converse('en', 'my chest hurts and I cannot breathe');
  // A clinician says the newest emergency was over-triaged: the override rate moves by one verdict.
  const verdict = await page.evaluate(async () => {
    const me = await (await fetch('/api/staff/me')).json();
    const q = await (await fetch('/api/staff/escalations')).json();
    const newest = q.escalations.filter((e) => e.urgency === 'emergency').sort((a, b) => (a.raised_at < b.raised_at ? 1 : -1))[0];
    const r = await fetch(`/api/staff/escalations/${newest.id}/feedback`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf },
      body: JSON.stringify({ verdict: 'over_triaged', urgency: 'urgent', intent: 'symptom_report' }),
    });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(verdict.status, 200, JSON.stringify(verdict.body));

  await page.locator(T('analytics-link')).click();
  await page.waitForURL(/\/staff\/analytics\.html/);
  await page.locator(T('an-from')).fill(today);
  await page.locator(T('an-to')).fill(today);
  await page.locator('button[type=submit]').click();
  await page.locator(T('an-status')).filter({ hasText: today }).waitFor();
  assert.equal(await page.locator(T('an-conversations')).innerText(), String(before.conversations + 3));
  const emergencyBefore = before.escalations.find((e) => e.urgency === 'emergency')?.raised ?? 0;
  const row = page.locator(`${T('an-escalations')} tr[data-urgency="emergency"] td`);
  assert.equal(await row.nth(1).innerText(), String(emergencyBefore + 1), 'one more emergency raised');
  // The day's bar carries the count.
  const bar = page.locator(`${T('an-by-day')} rect.bar`);
  assert.equal(await bar.count(), 1);
  assert.equal(await bar.getAttribute('data-value'), String(before.conversations + 3));
  const hourBars = page.locator(`${T('an-by-hour')} rect.bar`);
  assert.equal(await hourBars.count(), 24);
  assert.match(await page.locator(`${T('an-mix')} svg`).getAttribute('aria-label'), /emergency \d+/);
  const fb = { verdicts: (before.feedback?.verdicts ?? 0) + 1, over: (before.feedback?.over_triaged ?? 0) + 1, under: before.feedback?.under_triaged ?? 0 };
  assert.equal(await page.locator(T('an-override')).innerText(),
    `${Math.round((100 * (fb.over + fb.under)) / fb.verdicts)}% of ${fb.verdicts} (${fb.over} too high, ${fb.under} too low)`);

  const axe = await new AxeBuilder({ page }).analyze();
  const bad = axe.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);
  await page.screenshot({ path: path.join(SHOTS, 'staff-analytics.png'), fullPage: true });
  if (process.env.TRIAGE_DOC_SCREENSHOTS === '1') copyFileSync(path.join(SHOTS, 'staff-analytics.png'), path.join(DOC_SHOTS, 'staff-analytics.png'));

  // The API says which parameter is wrong.
  const refused = async (q) => page.evaluate(async (qq) => {
    const r = await fetch(`/api/staff/analytics?${qq}`, { credentials: 'same-origin' });
    return { status: r.status, body: await r.json() };
  }, q);
  assert.deepEqual(await refused('from=2026-02-30&to=2026-03-01'), { status: 400, body: { error: 'bad_parameter', parameter: 'from' } });
  assert.deepEqual(await refused('from=2026-01-01'), { status: 400, body: { error: 'bad_parameter', parameter: 'to' } });
  assert.deepEqual(await refused('from=2026-01-01&to=2026-01-02&clinic=other'), { status: 400, body: { error: 'bad_parameter', parameter: 'clinic' } });
  assert.deepEqual(await refused('from=2020-01-01&to=2026-01-02'), { status: 400, body: { error: 'bad_range', detail: 'longer_than_366_days' } });

  // A bad range on the page says what is wrong.
  await page.locator(T('an-from')).fill(today);
  await page.locator(T('an-to')).fill('2020-01-01');
  await page.locator('button[type=submit]').click();
  await page.locator(T('an-error')).filter({ hasText: 'before its start' }).waitFor();
  await context.close();
});

test('the drift panel says when the input has shifted, and which statistic moved', { skip: SKIP, timeout: 120000 }, async () => {
  const clinic = driftClinic(stack);
  await sendDay(stack.base, clinic.slug, ordinaryDay);
  copyToReference(stack, clinic.id);
  await sendDay(stack.base, clinic.slug, spanishBurst, spanishExtras);

  const context = await browser.newContext({ viewport: { width: 1280, height: 1100 } });
  const page = await context.newPage();
  await signInToConsole(page, stack.base, { clinic: clinic.slug, email: clinic.email, password: clinic.password });
  await page.locator(T('analytics-link')).click();
  await page.waitForURL(/\/staff\/analytics\.html/);
  const summary = page.locator(T('an-drift-summary'));
  await summary.filter({ hasText: 'Drift alert' }).waitFor();
  assert.match(await summary.innerText(), /All, Language mix/);
  const row = page.locator(`${T('an-drift-statistics')} tr[data-slice="all"][data-statistic="language"]`);
  assert.equal(await row.getAttribute('data-status'), 'alert');
  assert.equal(await row.locator('td').nth(3).innerText(), 'Alert');
  // English traffic did not move: none of its rows is in alert.
  assert.equal(await page.locator(`${T('an-drift-statistics')} tr[data-slice="lang:en"][data-status="alert"]`).count(), 0);
  // Today's Spanish row counts every Spanish message the script sent.
  const spanish = ordinaryDay.filter(([l]) => l === 'es').length * 2 + spanishBurst.length * (2 + spanishExtras.length);
  const today = new Date().toISOString().slice(0, 10);
  const esRow = page.locator(`${T('an-drift-days')} tr`).filter({ hasText: today }).filter({ hasText: 'Spanish' });
  assert.equal(await esRow.locator('td').nth(3).innerText(), String(spanish));

  const axe = await new AxeBuilder({ page }).analyze();
  const bad = axe.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);
  await page.locator(T('an-drift')).screenshot({ path: path.join(SHOTS, 'staff-analytics-drift.png') });
  if (process.env.TRIAGE_DOC_SCREENSHOTS === '1') copyFileSync(path.join(SHOTS, 'staff-analytics-drift.png'), path.join(DOC_SHOTS, 'staff-analytics-drift.png'));
  await context.close();
});

test('the analytics API refuses bad parameters and anyone signed out', { skip: SKIP }, async () => {
  const res = await fetch(`${stack.base}/api/staff/analytics?from=2026-12-01&to=2026-12-07`);
  assert.equal(res.status, 401);
});
