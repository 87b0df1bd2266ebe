// Browser test of the patient chat page (web/chat/), against a running triage server.
//
//   TRIAGE_TEST_BASE_URL=http://127.0.0.1:8080 node --test tests/browser/
//
// Under ctest (tests/integration/CMakeLists.txt) the base URL comes from the stack's env file named by
// TRIAGE_TEST_ENV_FILE (line TRIAGE_TEST_BASE_URL=...); an explicit TRIAGE_TEST_BASE_URL wins.
// Without either, the tests are skipped with a message.
//
// The server must serve web/ at the base URL, speak docs/protocol.md at /ws/patient, accept the base
// URL's origin for clinic "demo" and run a flow that: greets with a text containing "automated assistant"
// and a "Yes" quick reply; then offers a booking quick reply (/book|appointment/i); then asks the booking
// questions (quick replies where there are choices, free text for the date) and finally confirms with a
// bot text containing "request" and "staff". The flow's exact wording is not relied on beyond that.
//
// Uses the system Chromium (/usr/bin/chromium) through playwright-core: no browser download.
// Screenshots go to tests/browser/screenshots/ (git-ignored).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

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
const CHAT_URL = `${BASE}/chat/?clinic=demo`;

const BOT = '[data-testid="msg-bot"]';
const PATIENT = '[data-testid="msg-patient"]';
const QUICK = '[data-testid="quick-reply"]';
const ROOT = '[data-testid="triage-chat"]';

const WELCOME = /automated assistant/i;
const YES = /^\s*(yes|s[ií])\b/i;
const BOOK = /book|appointment|schedule|cita/i;
// Choosing among the booking questions' quick replies: preferred first, never the "escape" ones.
const PREFER = [/^\s*(yes|s[ií]|confirm)/i, /in.?person|office|clinic|en persona/i];
const AVOID = /talk|speak|human|person|staff|cancel|start over|emergenc|another day|^\s*no\b/i;
// The booking confirmation: mentions the request and the staff, and is not itself a question.
// The booking is made in the FHIR test server for its seeded patient Maria Garcia.
const isConfirmation = (text) => /You're booked/.test(text);

// A weekday three or more days ahead (the seed has slots on weekdays of the next three weeks).
function weekdayAhead() {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 3);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()}`;
}

function typedAnswerFor(question) {
  if (/date of birth|nacimiento/i.test(question)) return '02/14/1980';
  if (/phone|number|tel[eé]fono/i.test(question)) return '555-0101';
  if (/name|nombre/i.test(question)) return 'Maria Garcia';
  return weekdayAhead();
}

const LAUNCH = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
};

// Test-only instrumentation, injected into the page: records every WebSocket and every frame the page
// sends, so a test can drop the connection and check what was sent after the reconnect.
function instrumentWebSockets() {
  const Native = window.WebSocket;
  window.__testSockets = [];
  window.__testSent = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__testSockets.push(this);
    }

    send(data) {
      window.__testSent.push(String(data));
      super.send(data);
    }
  };
}

let browser;

async function newPage({ width = 390, height = 844 } = {}) {
  // ignoreHTTPSErrors: a https base URL of a test stack uses a self-signed certificate.
  const context = await browser.newContext({ viewport: { width, height }, locale: 'en-US', ignoreHTTPSErrors: true });
  await context.addInitScript(instrumentWebSockets);
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // The browser itself logs failed WebSocket connections (expected while offline): not page errors.
  page.on('console', (m) => { if (m.type() === 'error' && !/WebSocket connection to .* failed/.test(m.text())) errors.push(m.text()); });
  return { context, page, errors };
}

async function transcriptText(page) {
  return page.locator('[data-testid="transcript"]').innerText().catch(() => '(no transcript)');
}

async function countBots(page) { return page.locator(BOT).count(); }

/** Waits for at least one new bot bubble, then until the bot has stopped (count stable, not typing). */
async function waitForBotTurn(page, before) {
  await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length > n, [BOT, before], { timeout: 15000 })
    .catch(async (e) => { throw new Error(`no bot reply after ${before} bot messages: ${e.message}\n--- transcript ---\n${await transcriptText(page)}`); });
  let last = -1;
  let stable = 0;
  for (let i = 0; i < 50 && stable < 3; i++) {
    const n = await countBots(page);
    const typing = await page.locator('[data-testid="typing"]').isVisible();
    stable = n === last && !typing ? stable + 1 : 0;
    last = n;
    await page.waitForTimeout(200);
  }
}

async function assertAllAcked(page) {
  await page.waitForFunction((sel) => {
    const all = [...document.querySelectorAll(sel)];
    return all.every((b) => b.dataset.status === 'sent' && b.dataset.seq);
  }, PATIENT, { timeout: 15000 }).catch(async () => {
    throw new Error(`some patient messages were not acknowledged\n--- transcript ---\n${await transcriptText(page)}`);
  });
  assert.equal(await page.locator('[data-testid="sending-mark"]').count(), 0, 'no "sending" marks left');
}

async function seqsInOrder(page) {
  return page.$$eval('[data-testid="transcript"] [data-seq]', (els) => els.map((e) => Number(e.dataset.seq)));
}

async function assertSeqsUniqueAndOrdered(page) {
  const seqs = await seqsInOrder(page);
  assert.ok(seqs.length > 0, 'transcript has entries with data-seq');
  assert.equal(new Set(seqs).size, seqs.length, `no duplicated seq: ${seqs.join(',')}`);
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `entries in seq order: ${seqs.join(',')}`);
  return seqs;
}

async function clickQuickReply(page, regex) {
  const button = page.locator(QUICK).filter({ hasText: regex }).first();
  await button.waitFor({ state: 'visible' }).catch(async () => {
    const labels = await page.locator(QUICK).allInnerTexts();
    throw new Error(`no quick reply matching ${regex}; offered: ${JSON.stringify(labels)}\n--- transcript ---\n${await transcriptText(page)}`);
  });
  const label = (await button.innerText()).trim();
  const bots = await countBots(page);
  const patients = await page.locator(PATIENT).count();
  await button.click();
  // The label (not the value) is shown as the patient's bubble.
  await page.locator(PATIENT).nth(patients).filter({ hasText: label }).waitFor();
  return { label, bots };
}

async function chooseQuickReply(page) {
  const labels = (await page.locator(QUICK).allInnerTexts()).map((s) => s.trim());
  let pick = null;
  for (const re of PREFER) { pick = labels.find((l) => re.test(l)); if (pick) break; }
  if (!pick) pick = labels.find((l) => !AVOID.test(l)) || labels[0];
  const escaped = pick.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return clickQuickReply(page, new RegExp(`^\\s*${escaped}\\s*$`));
}

async function typeAndSend(page, text) {
  const bots = await countBots(page);
  const input = page.getByLabel('Type your message');
  await input.fill(text);
  await input.press('Enter');
  await page.locator(PATIENT).filter({ hasText: text }).last().waitFor();
  assert.equal(await input.inputValue(), '', 'input cleared after sending');
  return bots;
}

/** Drops the connection (browser offline + socket closed), sends `text` while down, then restores it. */
async function sendThroughDrop(page, context, text) {
  const before = await page.evaluate(() => ({ sockets: window.__testSockets.length, sent: window.__testSent.length }));
  const maxSeqBefore = Math.max(0, ...(await seqsInOrder(page)));
  await context.setOffline(true);
  await page.evaluate(() => { for (const s of window.__testSockets) if (s.readyState <= 1) s.close(4000, 'test drop'); });
  await page.waitForSelector(`${ROOT}[data-state="reconnecting"]`, { timeout: 5000 });
  await page.locator('[data-testid="connection-status"]').filter({ hasText: /reconnecting/i }).waitFor();

  const bots = await typeAndSend(page, text);
  const bubble = page.locator(PATIENT).last();
  assert.equal(await bubble.getAttribute('data-status'), 'sending', 'message sent while offline waits in the outbox');
  await bubble.locator('[data-testid="sending-mark"]').waitFor();
  const id = await bubble.getAttribute('data-id');
  assert.match(id, /^[A-Za-z0-9_-]{1,64}$/, 'client message id follows the protocol');
  const outbox = await page.evaluate(() => Object.entries(sessionStorage).filter(([k]) => k.endsWith(':outbox')).map(([, v]) => v).join(''));
  assert.ok(outbox.includes(id), 'unacked message is persisted in sessionStorage');

  await page.waitForTimeout(1200);
  await context.setOffline(false);
  await page.waitForSelector(`${ROOT}[data-state="connected"]`, { timeout: 20000 });

  const after = await page.evaluate(([s]) => ({
    sockets: window.__testSockets.length,
    frames: window.__testSent.slice(s).map((f) => JSON.parse(f)),
  }), [before.sent]);
  assert.ok(after.sockets > before.sockets, 'a new WebSocket was opened');
  const hello = after.frames.filter((f) => f.type === 'resume' || f.type === 'start');
  assert.ok(hello.length >= 1, 'sent resume after reconnecting');
  assert.ok(hello.every((f) => f.type === 'resume'), `reconnect resumes, never starts afresh: ${JSON.stringify(hello)}`);
  assert.equal(hello.at(-1).last_seq, maxSeqBefore, 'resume carries the highest seq shown');
  assert.equal(typeof hello.at(-1).token, 'string');
  const resent = after.frames.filter((f) => f.type === 'message');
  assert.ok(resent.length >= 1 && resent.every((f) => f.id === id), 'the queued message is sent with its original id');
  return bots;
}

describe('patient chat page', () => {
  before(async () => {
    if (!BASE) return;
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch(LAUNCH);
  });

  after(async () => { if (browser) await browser.close(); });

  test('books a visit, survives a network drop and a reload without losing or duplicating messages', { skip: SKIP, timeout: 180000 }, async () => {
    const { context, page, errors } = await newPage({ width: 390, height: 844 });
    try {
      await page.goto(CHAT_URL);
      const welcome = page.locator(BOT).filter({ hasText: WELCOME }).first();
      await welcome.waitFor();
      assert.ok(await welcome.isVisible(), 'AI disclosure (welcome) is visible');
      await page.waitForSelector(`${ROOT}[data-state="connected"]`);
      const token = await page.evaluate(() => Object.entries(sessionStorage).find(([k]) => k.endsWith(':token'))?.[1]);
      assert.ok(token, 'conversation token kept in sessionStorage');

      // Welcome → Yes → booking.
      let step = await clickQuickReply(page, YES);
      await waitForBotTurn(page, step.bots);
      await assertAllAcked(page);
      step = await clickQuickReply(page, BOOK);
      await waitForBotTurn(page, step.bots);
      await assertAllAcked(page);

      // Booking questions until the bot confirms a request; the first typed answer goes through a network drop.
      // Only bot messages after the first answer count as a confirmation (not an introduction to booking).
      let dropped = false;
      let confirmed = false;
      let firstAnswerAt = null;
      for (let i = 0; i < 14 && !confirmed; i++) {
        const bots = await page.locator(BOT).allInnerTexts();
        if (firstAnswerAt !== null && bots.slice(firstAnswerAt).some(isConfirmation)) { confirmed = true; break; }
        if (firstAnswerAt === null) firstAnswerAt = bots.length;
        if (await page.locator(ROOT).getAttribute('data-ended') === 'true') break;
        let prev;
        if (await page.locator(QUICK).count() > 0) {
          prev = (await chooseQuickReply(page)).bots;
        } else {
          const answer = typedAnswerFor(bots.at(-1) || '');
          if (!dropped) { prev = await sendThroughDrop(page, context, answer); dropped = true; } else prev = await typeAndSend(page, answer);
        }
        await waitForBotTurn(page, prev);
        await assertAllAcked(page);
        await assertSeqsUniqueAndOrdered(page);
      }
      if (!confirmed && firstAnswerAt !== null) confirmed = (await page.locator(BOT).allInnerTexts()).slice(firstAnswerAt).some(isConfirmation);
      assert.ok(confirmed, `the bot confirmed a booking request\n--- transcript ---\n${await transcriptText(page)}`);
      await assertAllAcked(page);

      // If the conversation is still open, one more message through a drop (the first one if no question was typed).
      const ended = await page.locator(ROOT).getAttribute('data-ended') === 'true';
      if (!ended) {
        const bots = await sendThroughDrop(page, context, 'Thank you');
        dropped = true;
        await assertAllAcked(page);
        await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length > n, [BOT, bots], { timeout: 5000 }).catch(() => {});
      } else {
        await page.locator('[data-testid="ended"]').filter({ hasText: /conversation ended/i }).waitFor();
        await page.locator('[data-testid="start-again"]').waitFor();
      }
      assert.ok(dropped, 'a message was sent through a network drop (the conversation ended before any could be)');
      const seqsBeforeReload = await assertSeqsUniqueAndOrdered(page);
      const patientTexts = await page.locator(PATIENT).allInnerTexts();

      // Screenshots (390 × 844, then 320 wide).
      await page.screenshot({ path: path.join(SHOTS, 'patient-chat.png') });

      // Reload: the conversation resumes from the token and the transcript is replayed once.
      await page.reload();
      await page.waitForSelector(`${ROOT}[data-state="connected"]`);
      await page.waitForFunction(([n]) => document.querySelectorAll('[data-testid="transcript"] [data-seq]').length >= n, [seqsBeforeReload.length]);
      await page.waitForTimeout(500);
      const seqsAfterReload = await assertSeqsUniqueAndOrdered(page);
      assert.deepEqual(seqsAfterReload.slice(0, seqsBeforeReload.length), seqsBeforeReload, 'the same transcript is shown after a reload');
      const replayed = await page.locator(PATIENT).allInnerTexts();
      assert.deepEqual(replayed.slice(0, patientTexts.length), patientTexts, 'replayed quick-reply answers show their labels');
      await assertAllAcked(page);

      await page.setViewportSize({ width: 320, height: 640 });
      await page.waitForTimeout(200);
      const overflow = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, vw: window.innerWidth }));
      assert.ok(overflow.doc <= overflow.vw, `no horizontal scroll at 320 px (${overflow.doc} > ${overflow.vw})`);
      await page.screenshot({ path: path.join(SHOTS, 'patient-chat-320.png') });

      assert.deepEqual(errors, [], 'no page errors');
    } finally {
      await context.close();
    }
  });

  test('is usable by keyboard: everything is reachable by Tab, in order; the transcript is a live log', { skip: SKIP, timeout: 60000 }, async () => {
    const { context, page, errors } = await newPage({ width: 390, height: 844 });
    try {
      await page.goto(CHAT_URL);
      await page.locator(BOT).filter({ hasText: WELCOME }).first().waitFor();
      await page.locator(QUICK).first().waitFor();

      const log = page.locator('[data-testid="transcript"]');
      assert.equal(await log.getAttribute('role'), 'log');
      assert.equal(await log.getAttribute('aria-live'), 'polite');
      const input = page.getByLabel('Type your message');
      assert.equal(await input.getAttribute('data-testid'), 'chat-input', 'the input has the label "Type your message"');
      assert.equal(await input.getAttribute('maxlength'), '2000');
      const fontSize = await input.evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
      assert.ok(fontSize >= 16, `input font-size ${fontSize}px >= 16px`);

      // Every visible interactive element of the widget.
      const interactive = await page.$$eval(
        `${ROOT} :is(button, textarea, input, select, a[href], [tabindex]:not([tabindex="-1"]))`,
        (els) => els.filter((e) => e.checkVisibility() && !e.disabled).map((e) => e.dataset.testid || e.outerHTML.slice(0, 60)),
      );
      assert.ok(interactive.length >= 5, `interactive elements found: ${interactive}`);

      // Tab through the page from the top.
      await page.evaluate(() => { document.activeElement?.blur(); window.focus(); });
      const visited = [];
      for (let i = 0; i < interactive.length + 10; i++) {
        await page.keyboard.press('Tab');
        const info = await page.evaluate(() => {
          const a = document.activeElement;
          if (!a || a === document.body) return null;
          const cs = getComputedStyle(a);
          const ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
          return { id: a.dataset.testid || a.outerHTML.slice(0, 60), ring };
        });
        if (!info) continue;
        if (visited.length && info.id === visited[0].id && visited.length > 2 && info.id !== 'quick-reply') break;
        visited.push(info);
      }
      const order = visited.map((v) => v.id);
      for (const id of interactive) assert.ok(order.includes(id), `${id} is reachable by Tab (visited: ${order.join(' → ')})`);
      const pos = (id) => order.indexOf(id);
      const qr = order.map((id, i) => (id === 'quick-reply' ? i : -1)).filter((i) => i >= 0);
      assert.equal(qr.length, await page.locator(QUICK).count(), 'each quick reply is a tab stop');
      assert.ok(pos('transcript') < Math.min(...qr), 'transcript before quick replies');
      assert.ok(Math.max(...qr) < pos('chat-input'), 'quick replies before the input');
      assert.ok(pos('chat-input') < pos('send'), 'input before send');
      for (const v of visited) assert.ok(v.ring, `${v.id} shows a visible focus indicator`);

      // Keyboard only: Tab to the "Yes" quick reply and press Enter; it is sent and acknowledged.
      const bots = await countBots(page);
      await page.locator(QUICK).filter({ hasText: YES }).first().focus();
      await page.keyboard.press('Enter');
      await page.locator(PATIENT).filter({ hasText: /\b(yes|s[ií])\b/i }).first().waitFor();
      await waitForBotTurn(page, bots);
      await assertAllAcked(page);
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'chat-input', 'focus moves to the input after a keyboard quick reply');

      assert.deepEqual(errors, [], 'no page errors');
    } finally {
      await context.close();
    }
  });

  test('the portal page embeds the widget', { skip: SKIP, timeout: 60000 }, async () => {
    const { context, page, errors } = await newPage({ width: 1280, height: 800 });
    try {
      await page.goto(`${BASE}/`);
      await page.locator(`triage-chat ${BOT}`).filter({ hasText: WELCOME }).first().waitFor();
      assert.ok(await page.locator('a[href*="chat/"]').first().isVisible(), 'links to the full-page chat');
      await page.screenshot({ path: path.join(SHOTS, 'portal.png') });
      await page.setViewportSize({ width: 390, height: 844 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      assert.ok(overflow, 'no horizontal scroll on the portal at 390 px');
      assert.deepEqual(errors, [], 'no page errors');
    } finally {
      await context.close();
    }
  });
});
