// Browser test of the escalation desk: the staff console (web/staff/) and the patient chat
// (web/chat/) side by side in one Chromium, two contexts at once.
//
//   TRIAGE_TEST_ENV_FILE=DIR/env node --test --test-concurrency=1 --test-force-exit tests/browser/escalation_desk.test.mjs
//
// The base URL comes from TRIAGE_TEST_BASE_URL or the stack's env file (TRIAGE_TEST_ENV_FILE);
// without either the tests are skipped. Staff sign in with the local password
// "<local part>-local-pass", or through the stack's OpenID provider (tests/peers/oidc) with
// "<local part>-pass". Test hooks: the header comments of web/staff/console.js and web/chat/chat.js.
//
// Uses the system Chromium (/usr/bin/chromium) through playwright-core. Screenshots go to
// tests/browser/screenshots/: staff-signin.png, staff-queue.png, patient-with-staff.png,
// staff-conversation.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

function baseUrlFromEnv() {
  if (process.env.TRIAGE_TEST_BASE_URL) return process.env.TRIAGE_TEST_BASE_URL;
  const file = process.env.TRIAGE_TEST_ENV_FILE;
  if (!file || !existsSync(file)) return '';
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('TRIAGE_TEST_BASE_URL='));
  return line ? line.slice('TRIAGE_TEST_BASE_URL='.length).trim() : '';
}

const BASE = baseUrlFromEnv().replace(/\/+$/, '');
const SKIP = BASE ? false : 'TRIAGE_TEST_BASE_URL is not set (e.g. http://127.0.0.1:8080 of a running triaged serving web/): browser tests skipped';
if (!BASE) console.log(`# ${SKIP}`);

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(HERE, 'screenshots');
// The staff guide's pictures (docs/screenshots/) are these; TRIAGE_DOC_SCREENSHOTS=1 refreshes them.
const DOC_SHOTS = path.join(HERE, '..', '..', 'docs', 'screenshots');
async function shoot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name) });
  if (process.env.TRIAGE_DOC_SCREENSHOTS === '1') copyFileSync(path.join(SHOTS, name), path.join(DOC_SHOTS, name));
}
const STAFF_URL = `${BASE}/staff/?clinic=demo`;
const CHAT_URL = `${BASE}/chat/?clinic=demo`;

const T = (id) => `[data-testid="${id}"]`;
const BOT = T('msg-bot');
const PATIENT = T('msg-patient');
const QUICK = T('quick-reply');
const ROOT = T('triage-chat');
const CONSOLE_LIVE = `${T('console')}[data-connection="live"]`;

const EMERGENCY = 'I have crushing chest pain spreading to my left arm';
const PATIENT_REPLY = 'The pain is still there, it is getting worse';
const STAFF_REPLY = 'Hello, this is the clinic. Please call 911 now; we are here with you.';

const LAUNCH = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
};

// Test-only instrumentation: keeps every frame the page's WebSockets receive, so the test can learn
// the patient's conversation id from the `started` frame.
function recordWebSocketFrames() {
  const Native = window.WebSocket;
  window.__testReceived = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => { try { window.__testReceived.push(JSON.parse(ev.data)); } catch {} });
    }
  };
}

let browser;

async function newPage({ width, height }) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'en-US', ignoreHTTPSErrors: true });
  await context.addInitScript(recordWebSocketFrames);
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() !== 'error' || /WebSocket connection to .* failed/.test(m.text())) return;
    // The console asks GET /api/staff/me on load: 401 before signing in is how it learns to show the form.
    if (/status of 401/.test(m.text()) && /\/api\/staff\/me$/.test(m.location()?.url ?? '')) return;
    // The identity provider's own pages (e.g. its missing favicon) are not ours to judge.
    const where = m.location()?.url ?? '';
    if (/^https?:/.test(where) && new URL(where).origin !== new URL(BASE).origin) return;
    errors.push(`${m.text()} (${m.location()?.url ?? ''})`);
  });
  return { context, page, errors };
}

async function visibleText(page, sel) {
  return page.locator(sel).innerText().catch(() => `(no ${sel})`);
}

async function signInWithPassword(page, { email, password, shot }) {
  await page.goto(STAFF_URL);
  await page.locator(T('signin-form')).waitFor();
  const clinic = page.locator(T('signin-clinic'));
  if (await clinic.count() && await clinic.isEditable() && !(await clinic.inputValue())) await clinic.fill('demo');
  if (await clinic.count()) assert.equal(await clinic.inputValue(), 'demo', 'the clinic comes from ?clinic=demo');
  await page.locator(T('signin-email')).fill(email);
  await page.locator(T('signin-password')).fill(password);
  if (shot) await shoot(page, shot);
  await page.locator(T('signin-submit')).click();
  await page.locator(CONSOLE_LIVE).waitFor({ timeout: 15000 }).catch(async (e) => {
    throw new Error(`console not live after sign-in: ${e.message}; sign-in error: ${await visibleText(page, T('signin-error'))}`);
  });
}

// The open queue as the API sees it, fetched by the signed-in console page (same origin, its cookie).
async function apiQueue(page) {
  return page.evaluate(async () => {
    const r = await fetch('/api/staff/escalations', { credentials: 'same-origin' });
    if (r.status !== 200) throw new Error(`GET /api/staff/escalations: ${r.status}`);
    return (await r.json()).escalations;
  });
}

async function countBots(page) { return page.locator(BOT).count(); }

async function patientSends(page, text) {
  const input = page.getByLabel('Type your message');
  await input.fill(text);
  await input.press('Enter');
  await page.locator(PATIENT).filter({ hasText: text }).last().waitFor();
  await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].every((b) => b.dataset.status === 'sent'), PATIENT);
}

describe('escalation desk in the browser', () => {
  before(async () => {
    if (!BASE) return;
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch(LAUNCH);
  });

  after(async () => { if (browser) await browser.close(); });

  test('a patient emergency reaches the console; staff claim, talk and resolve it', { skip: SKIP, timeout: 180000 }, async () => {
    const staff = await newPage({ width: 1280, height: 800 });
    const patient = await newPage({ width: 390, height: 844 });
    try {
      const sp = staff.page;
      const pp = patient.page;

      // Staff signs in through the form.
      await signInWithPassword(sp, { email: 'frontdesk@demo.test', password: 'frontdesk-local-pass', shot: 'staff-signin.png' });
      await sp.locator(T('queue')).waitFor({ state: 'attached' }); // an empty listbox has no size
      assert.match(await sp.locator(T('user-name')).innerText(), /Fran/);

      // The patient answers the welcome and reports an emergency.
      await pp.goto(CHAT_URL);
      await pp.locator(BOT).filter({ hasText: /automated assistant/i }).first().waitFor();
      await pp.waitForSelector(`${ROOT}[data-state="connected"]`);
      const bots = await countBots(pp);
      await pp.locator(QUICK).filter({ hasText: /^\s*yes\b/i }).first().click();
      await pp.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length > n, [BOT, bots]);
      await patientSends(pp, EMERGENCY);
      await pp.locator(`${BOT}[data-urgent="true"]`).first().waitFor();
      const conversation = await pp.evaluate(() => window.__testReceived.find((f) => f.type === 'started')?.conversation);
      assert.ok(conversation, 'the patient page received `started`');

      // It appears in the staff queue, as an emergency, without a reload.
      let id = null;
      for (let i = 0; i < 50 && !id; i++) {
        id = (await apiQueue(sp)).find((e) => e.conversation === conversation)?.id ?? null;
        if (!id) await sp.waitForTimeout(200); // the escalation is recorded with the patient's turn; polling the API only to learn its id
      }
      assert.ok(id, 'the escalation is in the API queue');
      const row = sp.locator(`${T('queue-item')}[data-id="${id}"]`);
      await row.waitFor();
      assert.equal(await row.getAttribute('data-urgency'), 'emergency');
      assert.ok(['raised', 'notified'].includes(await row.getAttribute('data-status')), await row.getAttribute('data-status'));
      assert.ok(await row.locator(T('queue-age')).isVisible(), 'the row shows its age');
      assert.doesNotMatch(await row.innerText(), /crushing|left arm/i, 'no patient words in the queue row');
      await shoot(sp, 'staff-queue.png');

      // Open it with the keyboard only: "j" focuses the queue, Home/End and the arrows move, Enter opens.
      const focusedId = () => sp.evaluate(() => document.activeElement?.closest('[data-testid="queue-item"]')?.dataset.id ?? null);
      await sp.evaluate(() => document.activeElement?.blur());
      await sp.keyboard.press('j');
      assert.ok(await focusedId(), '"j" moves focus into the queue');
      const ids = await sp.locator(T('queue-item')).evaluateAll((els) => els.map((e) => e.dataset.id));
      const at = ids.indexOf(id);
      if (at > ids.length / 2) {
        await sp.keyboard.press('End');
        for (let i = ids.length - 1; i > at; i--) await sp.keyboard.press('ArrowUp');
      } else {
        await sp.keyboard.press('Home');
        for (let i = 0; i < at; i++) await sp.keyboard.press('ArrowDown');
      }
      assert.equal(await focusedId(), id, `the arrows reach the row (${at + 1} of ${ids.length})`);
      await sp.keyboard.press('Enter');
      const detail = sp.locator(`${T('detail')}[data-id="${id}"]`);
      await detail.waitFor();
      await detail.locator(T('red-flags')).filter({ hasText: /chest pain|left arm/i }).waitFor();
      await detail.locator(`${T('transcript')} ${T('entry')}[data-author="patient"]`).filter({ hasText: EMERGENCY }).waitFor();

      // Claim and reply.
      await detail.locator(T('claim')).click();
      await sp.locator(`${T('detail')}[data-id="${id}"]:is([data-status="claimed"], [data-status="in_conversation"])`).waitFor();
      await detail.locator(T('reply-text')).fill(STAFF_REPLY);
      await detail.locator(T('reply-send')).click();
      await detail.locator(`${T('entry')}[data-author="staff"]`).filter({ hasText: STAFF_REPLY }).waitFor();
      await sp.locator(`${T('detail')}[data-id="${id}"][data-status="in_conversation"]`).waitFor();

      // The patient sees who joined and the message.
      await pp.locator(T('staff-joined')).filter({ hasText: /Fran/ }).waitFor();
      const staffMsg = pp.locator(`${T('msg-staff')}[data-seq]`).filter({ hasText: STAFF_REPLY });
      await staffMsg.waitFor();
      await shoot(pp, 'patient-with-staff.png');

      // The patient replies; staff see it live.
      await patientSends(pp, PATIENT_REPLY);
      await detail.locator(`${T('entry')}[data-author="patient"]`).filter({ hasText: PATIENT_REPLY }).waitFor();
      const seqs = await detail.locator(`${T('transcript')} ${T('entry')}[data-seq]`).evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
      for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `staff transcript in seq order: ${seqs.join(',')}`);
      await shoot(sp, 'staff-conversation.png');

      // The verdict on the triage. "Right" with another urgency is caught in the page; then
      // "too high, it should have been urgent" is saved and shows in the escalation's record.
      await detail.locator(T('feedback-right')).check();
      await detail.locator(T('feedback-urgency')).selectOption('urgent');
      await detail.locator(T('feedback-send')).click();
      await detail.locator(T('feedback-error')).filter({ hasText: /matches your verdict/ }).waitFor();
      await detail.locator(T('feedback-over')).check();
      await detail.locator(T('feedback-send')).click();
      await detail.locator(T('feedback-current')).filter({ hasText: /too high/ }).waitFor();
      await detail.locator('.sc-feedback').screenshot({ path: path.join(SHOTS, 'staff-feedback.png') });
      const axe = await new AxeBuilder({ page: sp }).include('.sc-feedback').analyze();
      const serious = axe.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
      assert.deepEqual(serious.map((v) => `${v.id}: ${v.help}`), [], 'axe-core: the feedback form');
      const verdicts = await sp.evaluate(async (escId) => (await (await fetch(`/api/staff/escalations/${escId}`)).json()).feedback, id);
      assert.equal(verdicts.length, 1, JSON.stringify(verdicts));
      assert.equal(verdicts[0].verdict, 'over_triaged');
      assert.equal(verdicts[0].urgency, 'urgent');
      assert.equal(verdicts[0].product_urgency, 'emergency');

      // Resolve with an outcome; the patient's chat ends.
      const outcome = detail.locator(T('resolve-outcome'));
      if (await outcome.evaluate((e) => e.tagName === 'SELECT')) await outcome.selectOption('advice_given');
      else await outcome.locator('[value="advice_given"]').first().check();
      await detail.locator(T('resolve')).click();
      await pp.waitForSelector(`${ROOT}[data-ended="true"]`);
      await pp.locator(T('ended')).waitFor();
      await sp.locator(`${T('queue-item')}[data-id="${id}"]`).waitFor({ state: 'detached' });

      assert.deepEqual(staff.errors, [], 'no page errors in the console');
      assert.deepEqual(patient.errors, [], 'no page errors in the chat');
    } finally {
      await staff.context.close();
      await patient.context.close();
    }
  });

  test('a banner asks to turn alerts on until they are; signing out everywhere is in the account menu', { skip: SKIP, timeout: 60000 }, async () => {
    const staff = await newPage({ width: 1280, height: 800 });
    try {
      const sp = staff.page;
      await signInWithPassword(sp, { email: 'nurse@demo.test', password: 'nurse-local-pass' });
      const banner = sp.locator(T('alerts-banner'));
      await banner.waitFor();
      assert.match(await banner.innerText(), /Alerts are off/);
      // Not among the work buttons: only inside the account menu.
      assert.equal(await sp.locator(T('signout-everywhere')).isVisible(), false);
      await sp.locator(T('account-menu')).locator('summary').click();
      assert.equal(await sp.locator(T('signout-everywhere')).isVisible(), true);
      await sp.locator(T('account-menu')).locator('summary').click();
      // Turning alerts on from the banner: the sound is unlocked by the click and the browser has
      // answered for notifications, so the banner goes.
      await sp.locator(T('alerts-banner-on')).click();
      await banner.waitFor({ state: 'hidden' });
      assert.notEqual(await sp.locator(T('enable-alerts')).getAttribute('data-state'), 'off');
    } finally {
      await staff.context.close();
    }
  });

  test('the queue shows every open escalation, in priority order, and the page stays responsive', { skip: SKIP, timeout: 60000 }, async () => {
    // 200 open escalations would take too long to create through patients: this checks whatever
    // the stack has open right now.
    const staff = await newPage({ width: 1280, height: 800 });
    try {
      const sp = staff.page;
      await signInWithPassword(sp, { email: 'nurse@demo.test', password: 'nurse-local-pass' });
      await sp.locator(T('queue')).waitFor({ state: 'attached' }); // an empty listbox has no size
      const open = await apiQueue(sp);
      await sp.waitForFunction((n) => document.querySelectorAll('[data-testid="queue-item"]').length === n, open.length, { timeout: 10000 })
        .catch(async () => { throw new Error(`queue rows ${await sp.locator(T('queue-item')).count()} != API ${open.length}`); });
      const rows = await sp.locator(T('queue-item')).evaluateAll((els) => els.map((e) => ({ id: e.dataset.id, urgency: e.dataset.urgency, status: e.dataset.status })));
      assert.deepEqual(rows.map((r) => r.id).sort(), open.map((e) => e.id).sort(), 'the rows are the open escalations');
      // The queue's own priority (escalations made by other tests straight in the store carry
      // priorities of their own, so the urgency names alone do not give the order).
      const priorityOf = new Map(open.map((e) => [e.id, e.priority]));
      const pri = rows.map((r) => priorityOf.get(r.id));
      const raisedAt = new Map(open.map((e) => [e.id, Date.parse(e.raised_at)]));
      for (let i = 1; i < pri.length; i++) {
        assert.ok(pri[i] <= pri[i - 1], `highest priority first: ${pri.join(',')}`);
        if (pri[i] === pri[i - 1]) assert.ok(raisedAt.get(rows[i].id) >= raisedAt.get(rows[i - 1].id), `then oldest first (rows ${i - 1}, ${i})`);
      }
      console.log(`# the console listed ${rows.length} open escalations`);
      assert.match(await sp.locator(T('queue-count')).innerText(), new RegExp(`\\b${open.length}\\b`), 'queue-count shows the number');
      // Responsive: a round trip into the page and a frame are quick.
      const t0 = Date.now();
      await sp.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
      assert.ok(Date.now() - t0 < 2000, `the page answers within 2 s (${Date.now() - t0} ms)`);
      assert.deepEqual(staff.errors, [], 'no page errors');
    } finally {
      await staff.context.close();
    }
  });

  test('single sign-on through the clinic identity provider', { skip: SKIP, timeout: 60000 }, async () => {
    const staff = await newPage({ width: 1280, height: 800 });
    try {
      const sp = staff.page;
      await sp.goto(STAFF_URL);
      await sp.locator(T('signin-sso')).click();
      await sp.locator('input[name="login"]').waitFor().catch(async (e) => {
        throw new Error(`no provider login form at ${sp.url()}: ${e.message}\n${(await sp.content()).slice(0, 1000)}`);
      });
      assert.notEqual(new URL(sp.url()).origin, new URL(BASE).origin, 'the sign-in happens at the provider');
      await sp.locator('input[name="login"]').fill('nurse@demo.test');
      await sp.locator('input[name="password"]').fill('nurse-pass');
      await sp.getByRole('button', { name: 'Sign in' }).click();
      await sp.locator(CONSOLE_LIVE).waitFor({ timeout: 20000 }).catch(async (e) => {
        throw new Error(`console not live after SSO at ${sp.url()}: ${e.message}; sign-in error: ${await visibleText(sp, T('signin-error'))}`);
      });
      assert.equal(new URL(sp.url()).origin, new URL(BASE).origin, 'back on the console');
      assert.match(await sp.locator(T('user-name')).innerText(), /Nora/);
      const me = await sp.evaluate(async () => (await fetch('/api/staff/me')).json());
      assert.equal(me.sso, true, `GET /api/staff/me after SSO: ${JSON.stringify(me)}`);
      assert.equal(me.user?.role, 'nurse');
      assert.deepEqual(staff.errors, [], 'no page errors');
    } finally {
      await staff.context.close();
    }
  });
});
