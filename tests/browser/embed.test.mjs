// The chat embedded in a clinic's portal (issue 19): a page served from another origin (a port of
// its own on 127.0.0.1) frames /chat/?clinic=SLUG. The clinic is added while the server runs, with
// that origin registered (`triagectl clinic add --origin`), so this also shows the live pickup.
// A second portal whose origin is not registered is refused by frame-ancestors.
//
// Uses the system Chromium (/usr/bin/chromium) through playwright-core.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { loadStack } from '../lib/stack.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(HERE, 'screenshots');
const ROOT = '[data-testid="triage-chat"]';
const BOT = '[data-testid="msg-bot"]';
const PATIENT = '[data-testid="msg-patient"]';
const LAUNCH = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
};

let stack, browser, registered, stranger, slug;

// A clinic's portal: one page that frames our chat for `slug`.
function portal(title) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><title>${title}</title></head><body>` +
      `<h1>${title}</h1><iframe id="chat" title="Chat with the clinic" src="${stack.base}/chat/?clinic=${slug}" ` +
      'width="380" height="640"></iframe></body></html>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

before(async () => {
  stack = loadStack();
  assert.ok(stack, 'TRIAGE_TEST_ENV_FILE must point at a running stack');
  slug = `portal-${randomBytes(4).toString('hex')}`;
  registered = await portal('Riverside Clinic patient portal');
  stranger = await portal('Some other site');
  execFileSync(process.env.TRIAGE_TEST_TRIAGECTL, ['--config', path.join(stack.dir, 'a.yaml'), 'clinic', 'add', slug,
    'Riverside Clinic', '--origin', registered.url], { stdio: 'pipe' });
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  await browser?.close();
  registered?.server.close();
  stranger?.server.close();
});

test('the chat framed by the clinic\'s registered portal origin loads and chats', async () => {
  const page = await browser.newPage({ viewport: { width: 480, height: 760 } });
  page.setDefaultTimeout(15000);
  await page.goto(registered.url);
  const chat = page.frameLocator('#chat');
  await chat.locator(`${ROOT}[data-state="connected"]`).waitFor();
  await chat.locator(BOT).first().waitFor();
  const before = await chat.locator(BOT).count();
  const input = chat.getByLabel('Type your message');
  await input.fill('I would like to book an appointment');
  await input.press('Enter');
  await chat.locator(PATIENT).filter({ hasText: 'book an appointment' }).waitFor();
  // The server answered inside the frame: the message is acknowledged and the bot replied.
  await chat.locator(`${PATIENT}[data-status="sent"]`).first().waitFor();
  await chat.locator(BOT).nth(before).waitFor();
  await page.screenshot({ path: path.join(SHOTS, 'embedded-chat.png') });
  await page.close();
});

test('the same chat framed by an unregistered origin is refused by frame-ancestors', async () => {
  const page = await browser.newPage();
  const refusals = [];
  page.on('console', (m) => { if (/frame-ancestors/.test(m.text())) refusals.push(m.text()); });
  await page.goto(stranger.url, { waitUntil: 'load' });
  const frame = page.frames().find((f) => f !== page.mainFrame());
  assert.ok(frame, 'the page has its iframe');
  assert.equal(await frame.locator(ROOT).count(), 0, 'no chat inside the refused frame');
  console.log(`# frame url ${frame.url()}; console: ${JSON.stringify(refusals)}`);
  assert.ok(refusals.length > 0, 'the browser reports the frame-ancestors refusal');
  await page.close();
});
