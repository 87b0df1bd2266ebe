// Browser test of the review sample page (web/staff/review.html): a quiet conversation of a clinic
// sampling all of them is listed, opens with its transcript, and takes an under-triage verdict that
// opens a safety review item; axe-core finds no serious or critical violation. Screenshot:
// tests/browser/screenshots/staff-review-sample.png (docs/screenshots/ with TRIAGE_DOC_SCREENSHOTS=1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { loadStack } from '../lib/stack.mjs';
import { launchChromium, signInToConsole } from '../lib/browser.mjs';
import { psql } from '../lib/db.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { driftClinic, setReviewShare } from '../lib/drift_day.mjs';

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

test('a sampled conversation is opened and judged on the review page, accessibly', { skip: SKIP, timeout: 90000 }, async () => {
  const clinic = driftClinic(stack, 'review', 'Review Clinic');
  setReviewShare(stack, clinic.slug, 100);
  const text = 'I have had a stuffy nose and a mild sore throat for two days';
  const p = await PatientClient.connect(stack.base, { clinic: clinic.slug });
  const started = await p.start();
  assert.ok((await p.say('r1', 'yes')).ack);
  assert.ok((await p.say('r2', text)).ack);
  p.close();
  if (Number(psql(stack, `SELECT count(*) FROM escalations WHERE conversation_id = '${started.conversation}'`)) > 0)
    assert.fail('the scripted message must not escalate for this test (pick a quieter one)');

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signInToConsole(page, stack.base, { clinic: clinic.slug, email: clinic.email, password: clinic.password });
  await page.locator(T('review-link')).click();
  await page.waitForURL(/\/staff\/review\.html/);
  const row = page.locator(`${T('rv-list')} tr[data-conversation="${started.conversation}"]`);
  await row.waitFor();
  await row.getByRole('button').click();
  await page.locator(T('rv-transcript')).filter({ hasText: text }).waitFor();
  assert.match(await page.locator(T('rv-said')).innerText(), /assistant's urgency/);

  await page.locator(T('rv-under')).check();
  await page.locator(T('rv-urgency')).selectOption('urgent');
  await page.locator(T('rv-send')).click();
  await page.locator(T('rv-result')).filter({ hasText: 'safety review item was opened' }).waitFor();
  assert.equal(Number(psql(stack, `SELECT count(*) FROM safety_reviews WHERE conversation_id = '${started.conversation}'`)), 1);
  await row.locator('td').nth(4).filter({ hasText: '1' }).waitFor();

  const axe = await new AxeBuilder({ page }).analyze();
  const bad = axe.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);
  await page.screenshot({ path: path.join(SHOTS, 'staff-review-sample.png'), fullPage: true });
  if (process.env.TRIAGE_DOC_SCREENSHOTS === '1') copyFileSync(path.join(SHOTS, 'staff-review-sample.png'), path.join(DOC_SHOTS, 'staff-review-sample.png'));
  await context.close();
});
