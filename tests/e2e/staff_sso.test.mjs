// Staff sign-in with OpenID Connect (authorization code + PKCE) against the real test provider
// (tests/peers/oidc), driven over HTTP like a browser: a cookie jar that honours paths, and
// redirects followed by hand. docs/staff-api.md is the contract.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { loadStack } from '../lib/stack.mjs';
import { login, api, sessionCookie } from '../lib/staff_client.mjs';

let stack, base, cfg, callback;
before(() => {
  stack = loadStack();
  assert.ok(stack, 'TRIAGE_TEST_ENV_FILE must name the stack env file');
  base = stack.base;
  callback = `${base}/staff/callback`;
  cfg = JSON.parse(readFileSync(join(process.env.TRIAGE_TEST_OIDC_DIR, 'oidc.json'), 'utf8'));
});

const providerUser = (login_) => {
  const u = cfg.users.find((x) => x.login === login_);
  assert.ok(u, `oidc.json lists ${login_}`);
  return u;
};

// A browser-ish HTTP client: one cookie jar (cookies ignore ports, as in browsers, and are sent
// by path prefix), redirects followed by hand.
class Browser {
  jar = new Map(); // name -> { value, path }

  cookieFor(url) {
    const u = new URL(url);
    return [...this.jar].filter(([, c]) => u.pathname.startsWith(c.path)).map(([n, c]) => `${n}=${c.value}`).join('; ');
  }

  async fetch(url, init = {}) {
    const cookie = this.cookieFor(url);
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, ...(cookie ? { cookie } : {}) } });
    res.setCookies = res.headers.getSetCookie();
    for (const line of res.setCookies) {
      const [pair, ...attrs] = line.split(';').map((x) => x.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) || '/';
      const expires = attrs.find((a) => /^expires=/i.test(a));
      const maxAge = attrs.find((a) => /^max-age=/i.test(a));
      if (!value || (expires && Date.parse(expires.slice(8)) < Date.now()) || (maxAge && Number(maxAge.slice(8)) <= 0)) this.jar.delete(name);
      else this.jar.set(name, { value, path });
    }
    return res;
  }

  // Follows redirects until a page is shown or the browser is sent to `stopAt`.
  async follow(url, stopAt, init) {
    let res = await this.fetch(url, init);
    for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops += 1) {
      const next = new URL(res.headers.get('location'), url).href;
      if (next.startsWith(stopAt)) return { res, url: next };
      url = next;
      res = await this.fetch(url);
    }
    return { res, url };
  }
}

const form = (o) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });

// Start at triaged, sign in at the provider; stops at the redirect back to the callback.
async function toCallback(b, login_) {
  const user = providerUser(login_);
  const start = await b.fetch(`${base}/api/staff/oidc/start`);
  assert.equal(start.status, 302, `oidc/start: HTTP ${start.status} ${await start.text()}`);
  const auth = new URL(start.headers.get('location'), base);
  let step = await b.follow(auth.href, callback);
  const html = await step.res.text();
  assert.ok(step.res.status === 200 && /name="login"/.test(html) && /name="password"/.test(html),
    `the provider's login form: HTTP ${step.res.status} at ${step.url}: ${html.slice(0, 500)}`);
  const action = new URL(html.match(/action="([^"]+)"/)[1], step.url).href;
  step = await b.follow(action, callback, form({ login: user.login, password: user.password }));
  assert.ok(step.url.startsWith(callback), `the provider sends the browser back to ${callback}: ${step.url}`);
  return { start, auth, callbackUrl: step.url, user };
}

// Where a redirect from triaged points, relative to base.
const target = (res) => new URL(res.headers.get('location'), base);

async function ssoSession(login_) {
  const b = new Browser();
  const { callbackUrl } = await toCallback(b, login_);
  const res = await b.fetch(callbackUrl);
  assert.equal(res.status, 302, `callback: HTTP ${res.status}`);
  const c = sessionCookie(res.setCookies);
  assert.ok(c?.value, `callback sets the session cookie: ${JSON.stringify(res.setCookies)}`);
  const cookie = `${c.name}=${c.value}`;
  const me = await api(base, { cookie }, 'GET', '/api/staff/me');
  assert.equal(me.status, 200, me.text);
  return { b, res, c, me, session: { cookie, token: c.value, csrf: me.body.csrf, user: me.body.user } };
}

function triagectl(...args) {
  return execFileSync(process.env.TRIAGE_TEST_TRIAGECTL, ['--config', join(stack.dir, 'a.yaml'), ...args], { stdio: 'pipe' }).toString();
}

test('SSO: start redirects to the provider with PKCE S256, state and nonce; the callback signs the nurse in', async () => {
  const b = new Browser();
  const { start, auth, callbackUrl } = await toCallback(b, 'nurse@demo.test');

  assert.equal(`${auth.origin}${auth.pathname}`, cfg.authorization_endpoint, `redirect to the authorization endpoint: ${auth.href}`);
  const q = auth.searchParams;
  assert.equal(q.get('response_type'), 'code', auth.href);
  assert.equal(q.get('client_id'), 'staff-console', auth.href);
  assert.equal(q.get('redirect_uri'), callback, auth.href);
  assert.ok(q.get('scope')?.split(' ').includes('openid'), auth.href);
  assert.equal(q.get('code_challenge_method'), 'S256', auth.href);
  assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/, auth.href);
  assert.ok((q.get('state') ?? '').length >= 22, `state: ${auth.href}`);
  assert.ok((q.get('nonce') ?? '').length >= 22, `nonce: ${auth.href}`);
  assert.notEqual(q.get('state'), q.get('nonce'));
  assert.ok(start.setCookies.length > 0 && start.setCookies.every((l) => /;\s*httponly/i.test(l)),
    `start keeps the request in an HttpOnly cookie: ${JSON.stringify(start.setCookies)}`);
  assert.ok(!start.setCookies.some((l) => l.includes(q.get('state'))), 'the state is not readable in the cookie');

  const cb = new URL(callbackUrl);
  assert.equal(cb.searchParams.get('state'), q.get('state'), 'the provider echoes the state');
  assert.ok(cb.searchParams.get('code'));

  const res = await b.fetch(callbackUrl);
  assert.equal(res.status, 302, `callback: HTTP ${res.status} ${await res.text()}`);
  const to = target(res);
  assert.equal(to.pathname, '/staff/', `callback redirects to the console: ${to.href}`);
  assert.equal(to.searchParams.get('error'), null, to.href);
  assert.equal(to.origin, new URL(base).origin, to.href);
  const c = sessionCookie(res.setCookies);
  assert.ok(c?.value, `a session cookie: ${JSON.stringify(res.setCookies)}`);
  assert.equal(c.name, 'triage_staff', c.line);
  assert.equal(c.attrs.httponly, true, c.line);
  assert.equal(String(c.attrs.samesite).toLowerCase(), 'strict', c.line);
  assert.equal(c.attrs.path, '/', c.line);

  const me = await api(base, { cookie: `${c.name}=${c.value}` }, 'GET', '/api/staff/me');
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.sso, true, me.text);
  assert.match(me.body.user.name, /^Nora\b/, me.text);
  assert.equal(me.body.user.email, 'nurse@demo.test', me.text);
  assert.equal(me.body.user.role, 'nurse', me.text);
  assert.equal(me.body.user.clinic, 'demo', me.text);
  assert.ok(typeof me.body.csrf === 'string' && me.body.csrf.length > 0, me.text);
  const q2 = await api(base, { cookie: `${c.name}=${c.value}` }, 'GET', '/api/staff/escalations');
  assert.equal(q2.status, 200, `the SSO session works on the API: HTTP ${q2.status} ${q2.text}`);
});

async function assertSsoFailed(b, res, what) {
  assert.equal(res.status, 302, `${what}: HTTP ${res.status} ${await res.clone().text()}`);
  const to = target(res);
  assert.equal(`${to.pathname}${to.search}`, '/staff/?error=sso_failed', `${what}: ${to.href}`);
  assert.ok(!sessionCookie(res.setCookies)?.value, `${what}: no session cookie: ${JSON.stringify(res.setCookies)}`);
}

test('SSO: a callback with a wrong state fails with sso_failed and signs nobody in', async () => {
  const b = new Browser();
  const { callbackUrl } = await toCallback(b, 'nurse@demo.test');
  const forged = new URL(callbackUrl);
  forged.searchParams.set('state', randomBytes(32).toString('base64url'));
  await assertSsoFailed(b, await b.fetch(forged.href), 'wrong state');
  assert.equal((await b.fetch(`${base}/api/staff/me`)).status, 401, 'not signed in');
});

test('SSO: a code presented in another browser (with that browser\'s own state) fails with sso_failed', async () => {
  // The victim's browser gets a code and does not use it; the attacker's browser has its own
  // sign-in under way (its own state and PKCE verifier) and presents the victim's code with it.
  const victim = new Browser();
  const { callbackUrl } = await toCallback(victim, 'nurse@demo.test');
  const attacker = new Browser();
  const start = await attacker.fetch(`${base}/api/staff/oidc/start`);
  assert.equal(start.status, 302);
  const injected = new URL(callbackUrl);
  injected.searchParams.set('state', target(start).searchParams.get('state'));
  await assertSsoFailed(attacker, await attacker.fetch(injected.href), 'injected code');
  assert.equal((await attacker.fetch(`${base}/api/staff/me`)).status, 401, 'the attacker is not signed in');
});

test('SSO: replaying a callback (same code and state) after it signed in fails with sso_failed', async () => {
  const b = new Browser();
  const { callbackUrl } = await toCallback(b, 'nurse@demo.test');
  let res = await b.fetch(callbackUrl);
  assert.equal(res.status, 302, `first use: HTTP ${res.status} ${await res.clone().text()}`);
  assert.equal(`${target(res).pathname}${target(res).search}`, '/staff/', `first use: ${target(res).href}`);
  assert.ok(sessionCookie(res.setCookies)?.value, 'first use signs in');
  res = await b.fetch(callbackUrl);
  await assertSsoFailed(b, res, 'replay');
});

test('SSO: a provider user whose staff user is disabled is sso_unknown_user', async () => {
  triagectl('staff', 'disable', 'demo', 'auditor@demo.test');
  const logFrom = statSync(stack.serverLog).size;
  let disabledLocal;
  try {
    const b = new Browser();
    const { callbackUrl } = await toCallback(b, 'auditor@demo.test');
    const res = await b.fetch(callbackUrl);
    assert.equal(res.status, 302, `HTTP ${res.status}`);
    const to = target(res);
    // The console shows the subject so that the person can hand it to an administrator.
    assert.equal(to.pathname, '/staff/', to.href);
    assert.deepEqual([...to.searchParams.keys()].sort(), ['error', 'subject'], to.href);
    assert.equal(to.searchParams.get('error'), 'sso_unknown_user', to.href);
    assert.equal(to.searchParams.get('subject'), 'auditor-demo', to.href);
    assert.ok(!sessionCookie(res.setCookies)?.value, `no session cookie: ${JSON.stringify(res.setCookies)}`);
    assert.equal((await b.fetch(`${base}/api/staff/me`)).status, 401, 'not signed in');
    // Nor with the local password (from an address of its own, to keep the throttle apart).
    disabledLocal = await login(base, { clinic: 'demo', email: 'auditor@demo.test', password: 'auditor-local-pass' },
      { localAddress: `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}` }).catch((e) => e.response);
  } finally {
    // Re-enable (the password is kept); a failure here shows in the sign-in check below.
    try {
      triagectl('staff', 'add', 'demo', 'auditor@demo.test', '--name', 'Audrey', '--role', 'auditor');
    } catch (err) {
      console.error(`re-enabling auditor@demo.test failed: ${err.stderr ?? err.message}`);
    }
  }
  assert.equal(disabledLocal.status, 401, `a disabled user's local sign-in: HTTP ${disabledLocal.status} ${disabledLocal.text}`);
  assert.equal(disabledLocal.body.error, 'invalid_credentials', disabledLocal.text);
  const back = await login(base, { clinic: 'demo', email: 'auditor@demo.test', password: 'auditor-local-pass' });
  assert.equal(back.user.role, 'auditor', 're-enabled with the password kept');
  // docs/identity.md: the log records "a hash of the subject, not the subject itself".
  const logged = readFileSync(stack.serverLog).subarray(logFrom).toString();
  assert.match(logged, /staff\.sso_unknown_user/, 'the event is logged');
  assert.ok(!logged.includes('auditor-demo'), `the log holds the subject: ${logged.split('\n').filter((l) => l.includes('auditor-demo')).join('\n')}`);
});

test('SSO: logout gives the provider\'s end_session URL with id_token_hint, and the provider accepts it', async () => {
  const { b, session } = await ssoSession('nurse@demo.test');
  const r = await api(base, session, 'POST', '/api/staff/logout');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.signed_out, true, r.text);
  assert.equal(typeof r.body.provider_logout_url, 'string', r.text);
  const u = new URL(r.body.provider_logout_url);
  assert.equal(`${u.origin}${u.pathname}`, cfg.end_session_endpoint, u.href);
  const hint = u.searchParams.get('id_token_hint') ?? '';
  assert.equal(hint.split('.').length, 3, `id_token_hint is a JWT: ${u.href}`);
  const claims = JSON.parse(Buffer.from(hint.split('.')[1], 'base64url'));
  assert.equal(claims.iss, cfg.issuer);
  assert.equal(claims.sub, 'nurse-demo');
  assert.ok([claims.aud].flat().includes('staff-console'), JSON.stringify(claims));
  if (u.searchParams.has('client_id')) assert.equal(u.searchParams.get('client_id'), 'staff-console');
  if (u.searchParams.has('post_logout_redirect_uri')) assert.ok(u.searchParams.get('post_logout_redirect_uri').startsWith(base), u.href);

  const me = await api(base, session, 'GET', '/api/staff/me');
  assert.equal(me.status, 401, me.text);
  assert.equal(me.body.error, 'signed_out');

  // The provider takes it: its "Sign out" confirmation, not an error page.
  const page = await b.fetch(u.href);
  const html = await page.text();
  assert.equal(page.status, 200, `end_session: HTTP ${page.status} ${html.slice(0, 400)}`);
  assert.match(html, />Sign out</);
});
