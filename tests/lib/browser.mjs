// Shared steps of the browser tests (tests/browser): Debian's Chromium, headless, and signing in
// to the staff console as a clinic's staff member.
import { chromium } from 'playwright-core';

export function launchChromium() {
  return chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
}

// Opens the console of `clinic` on `page` and signs in with a local password.
export async function signInToConsole(page, base, { clinic, email, password }) {
  const T = (id) => `[data-testid="${id}"]`;
  await page.goto(`${base}/staff/?clinic=${clinic}`);
  await page.locator(T('signin-form')).waitFor();
  await page.locator(T('signin-email')).fill(email);
  await page.locator(T('signin-password')).fill(password);
  await page.locator(T('signin-submit')).click();
}
