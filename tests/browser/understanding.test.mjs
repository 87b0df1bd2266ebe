// Issue 18 on a phone-sized page (390 x 844), in Chromium: a request typed at the consent
// question continues to booking after "yes", and the emergency card has a tap-to-call link.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadStack } from '../lib/stack.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(HERE, 'screenshots');
const ROOT = '[data-testid="triage-chat"]';
const BOT = '[data-testid="msg-bot"]';
const LAUNCH = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
};

let stack, browser;
before(async () => {
  stack = loadStack();
  assert.ok(stack, 'TRIAGE_TEST_ENV_FILE must point at a running stack');
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch(LAUNCH);
});
after(async () => { await browser?.close(); });

async function openChat() {
  // A fresh context: no conversation to resume from an earlier test.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(`${stack.base}/chat/?clinic=demo`);
  await page.locator(`${ROOT}[data-state="connected"]`).waitFor();
  await page.locator(BOT).filter({ hasText: /automated assistant/i }).waitFor();
  return { context, page };
}

async function send(page, text) {
  const before = await page.locator(BOT).count();
  const input = page.getByLabel('Type your message');
  await input.fill(text);
  await input.press('Enter');
  await page.locator(BOT).nth(before).waitFor();
}

test('a request typed at the consent question continues to booking after yes', async () => {
  const { context, page } = await openChat();
  await send(page, 'I would like to book a visit');
  await page.locator(BOT).filter({ hasText: 'I can help with that (Book a visit)' }).waitFor();
  assert.notEqual(await page.locator(ROOT).getAttribute('data-ended'), 'true', 'the conversation did not end');
  await page.getByRole('button', { name: /^\s*Yes\s*$/ }).last().click();
  await page.locator(BOT).filter({ hasText: 'What kind of visit would you like?' }).waitFor();
  await context.close();
});

test('a Spanish first message continues in Spanish, and the widget follows', async () => {
  const { context, page } = await openChat();
  await send(page, 'tengo fiebre y dolor de cabeza desde ayer');
  await page.locator(BOT).filter({ hasText: '¿Quiere continuar con el asistente?' }).waitFor();
  // The widget's own words switched too, without starting over.
  await page.getByLabel('Escriba su mensaje').waitFor();
  assert.equal(await page.locator(ROOT).getAttribute('lang'), 'es');
  assert.equal(await page.locator('[data-testid="msg-patient"]').count(), 1, 'the conversation was kept');
  await page.screenshot({ path: path.join(SHOTS, 'spanish-detected.png') });
  await context.close();
});

test('the emergency card has a working tel: link to the clinic\'s emergency number, first in the card', async () => {
  const { context, page } = await openChat();
  await send(page, 'my dad is grey and sweaty and has crushing chest pain');
  const card = page.locator(`${BOT}[data-urgent="true"]`).first();
  await card.waitFor();
  const call = card.getByTestId('call-emergency');
  await call.waitFor();
  assert.equal(await call.getAttribute('href'), 'tel:911');
  assert.equal((await call.innerText()).trim(), 'Call 911 now');
  // First in the card after its "Important" label, and big enough to tap.
  const box = await call.boundingBox();
  assert.ok(box.height >= 44 && box.width >= 300, `tap target ${JSON.stringify(box)}`);
  const order = await card.evaluate((n) => [...n.children].map((c) => c.className));
  assert.ok(order.indexOf('tc-call') < order.indexOf('tc-text'), JSON.stringify(order));
  // One button for the instruction, not one per bubble of it.
  await page.locator(`${BOT}[data-urgent="true"]`).nth(1).waitFor();
  assert.equal(await page.getByTestId('call-emergency').count(), 1);
  await page.screenshot({ path: path.join(SHOTS, 'emergency-card.png') });
  await context.close();
});
