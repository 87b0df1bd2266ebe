// The escalation desk's access rules, end to end against a real triaged (docs/staff-api.md is the
// contract): local sign-in and its throttling, CSRF, every endpoint for every role, clinic
// isolation, signed-out sessions, the staff WebSocket's own checks, and PHI kept out of the queue
// and the logs.
//
// Login failures are sent from their own loopback addresses (127.x.y.z, see `someAddress`) so that
// the per-address throttle they trip never locks out 127.0.0.1, which the other tests use.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { loadStack } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { login, api, request, openStaffSocket, sessionCookie } from '../lib/staff_client.mjs';

let stack, base;
const patients = [];
const demoEscalations = new Set(); // every demo escalation these tests raised

before(() => {
  stack = loadStack();
  assert.ok(stack, 'TRIAGE_TEST_ENV_FILE must name the stack env file');
  base = stack.base;
});
after(() => { for (const p of patients) p.close(); });

const USERS = {
  front_desk: { clinic: 'demo', email: 'frontdesk@demo.test', password: 'frontdesk-local-pass', name: 'Fran', role: 'front_desk' },
  nurse: { clinic: 'demo', email: 'nurse@demo.test', password: 'nurse-local-pass', name: 'Nora', role: 'nurse' },
  clinic_admin: { clinic: 'demo', email: 'admin@demo.test', password: 'admin-local-pass', name: 'Ada', role: 'clinic_admin' },
  auditor: { clinic: 'demo', email: 'auditor@demo.test', password: 'auditor-local-pass', name: 'Audrey', role: 'auditor' },
  other: { clinic: 'other', email: 'frontdesk@other.test', password: 'frontdesk-local-pass', name: 'Otto', role: 'front_desk' },
};
const ROLES = ['front_desk', 'nurse', 'clinic_admin', 'auditor'];
const RED_FLAG = 'I have crushing chest pain spreading to my left arm';

const signIn = (who, opts) => login(base, USERS[who], opts);
const hex = (n = 6) => randomBytes(n).toString('hex');
// A loopback address other than 127.0.0.1: its own key in the per-address login throttle.
const someAddress = () => `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
const show = (r) => `HTTP ${r.status} ${r.text}`;

async function until(fn, what, timeoutMs = 10000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// A demo patient says a red flag; resolves when the escalation is in the queue `viewer` sees.
async function raiseEscalation(viewer, text = RED_FLAG) {
  const p = await PatientClient.connect(base, { clinic: 'demo' });
  patients.push(p);
  const started = await p.start();
  await p.say('p1', 'yes');
  const turn = await p.say('p2', text);
  assert.match(turn.bots[0]?.text ?? '', /emergency/i, `the red flag is recognised: ${JSON.stringify(turn.frames)}`);
  const esc = await until(async () => {
    const q = await api(base, viewer, 'GET', '/api/staff/escalations');
    assert.equal(q.status, 200, show(q));
    return q.body.escalations.find((e) => e.conversation === started.conversation);
  }, `the escalation of conversation ${started.conversation} in the queue`);
  demoEscalations.add(esc.id);
  return { id: esc.id, conversation: started.conversation, patient: p, escalation: esc };
}

function assertError(r, status, code, what) {
  assert.equal(r.status, status, `${what}: ${show(r)}`);
  assert.equal(r.body?.error, code, `${what}: ${show(r)}`);
}

// ---------------------------------------------------------------------------------------------
// 1. Sign-in
// ---------------------------------------------------------------------------------------------

test('sign-in: the right password gives the user, a CSRF token and an HttpOnly SameSite=Strict session cookie', async () => {
  const s = await signIn('front_desk');
  const r = s.response;
  assert.equal(r.status, 200);
  const c = sessionCookie(r.setCookies);
  assert.equal(c.name, 'triage_staff', `plain HTTP in development: cookie triage_staff (${c.line})`);
  assert.match(c.value, /^[A-Za-z0-9_-]{43}$/, 'a 256-bit base64url token');
  assert.equal(c.attrs.httponly, true, `HttpOnly: ${c.line}`);
  assert.equal(String(c.attrs.samesite).toLowerCase(), 'strict', `SameSite=Strict: ${c.line}`);
  assert.equal(c.attrs.path, '/', `Path=/: ${c.line}`);
  assert.ok(!('domain' in c.attrs), `no Domain: ${c.line}`);
  assert.ok(!('secure' in c.attrs), `no Secure over plain HTTP in development: ${c.line}`);

  const u = r.body.user;
  assert.equal(u.email, USERS.front_desk.email);
  assert.equal(u.name, 'Fran');
  assert.equal(u.role, 'front_desk');
  assert.equal(u.clinic, 'demo');
  assert.equal(typeof u.clinic_name, 'string');
  assert.match(u.id, /^[0-9a-f-]{36}$/);
  assert.ok(typeof r.body.csrf === 'string' && r.body.csrf.length >= 16, `csrf: ${r.text}`);
  assert.notEqual(r.body.csrf, c.value, 'the CSRF token is not the session token');
  assert.ok(r.body.idle_timeout_s > 0 && r.body.expires_in_s > 0, r.text);

  const me = await api(base, s, 'GET', '/api/staff/me');
  assert.equal(me.status, 200, show(me));
  assert.deepEqual(me.body.user, u);
  assert.equal(me.body.csrf, s.csrf, 'the same CSRF token for the whole session');
  assert.equal(me.body.sso, false);
});

test('sign-in over TLS: the cookie is __Host-triage_staff with Secure, and it works on that origin', async () => {
  const tlsBase = process.env.TRIAGE_TEST_TLS_BASE_URL;
  const ca = readFileSync(process.env.TRIAGE_TEST_TLS_CA);
  const s = await login(tlsBase, { clinic: 'demo', email: USERS.front_desk.email, password: USERS.front_desk.password }, { ca });
  const c = sessionCookie(s.response.setCookies);
  assert.equal(c.name, '__Host-triage_staff', c.line);
  assert.equal(c.attrs.secure, true, `Secure: ${c.line}`);
  assert.equal(c.attrs.httponly, true, `HttpOnly: ${c.line}`);
  assert.equal(String(c.attrs.samesite).toLowerCase(), 'strict', c.line);
  assert.equal(c.attrs.path, '/', c.line);
  assert.ok(!('domain' in c.attrs), c.line);
  const me = await api(tlsBase, s, 'GET', '/api/staff/me', undefined, { ca });
  assert.equal(me.status, 200, show(me));
  // The plain-HTTP cookie name is not accepted over TLS (a downgraded cookie cannot stand in).
  const plain = await api(tlsBase, { cookie: `triage_staff=${s.token}`, csrf: s.csrf }, 'GET', '/api/staff/me', undefined, { ca });
  assert.equal(plain.status, 401, show(plain));
});

test('sign-in: wrong password, unknown email and the wrong clinic all get the same 401 invalid_credentials', async () => {
  const from = { localAddress: someAddress() };
  const attempt = (clinic, email, password) => request(`${base}/api/staff/login`, {
    method: 'POST', body: { clinic, email, password }, headers: { Origin: base }, ...from,
  });
  const wrong = await attempt('demo', USERS.front_desk.email, 'not-the-right-password');
  const unknown = await attempt('demo', `nobody-${hex()}@demo.test`, 'not-the-right-password');
  const wrongClinic = await attempt('other', USERS.front_desk.email, USERS.front_desk.password);
  const otherInDemo = await attempt('demo', USERS.other.email, USERS.other.password);
  for (const [what, r] of Object.entries({ wrong, unknown, wrongClinic, otherInDemo })) {
    assertError(r, 401, 'invalid_credentials', what);
    assert.equal(sessionCookie(r.setCookies)?.value || '', '', `${what}: no session cookie`);
  }
  assert.equal(unknown.text, wrong.text, 'an unknown email gets exactly the wrong password answer');
  assert.equal(wrongClinic.text, wrong.text);
  assert.equal(otherInDemo.text, wrong.text);
  // The right password still works from there (and clears the email's failure count).
  const ok = await signIn('front_desk', from);
  assert.equal(ok.user.role, 'front_desk');
});

test('sign-in: an unknown email costs about as much time as a wrong password (no timing oracle)', async () => {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const timed = async (email) => {
    const t0 = process.hrtime.bigint();
    const r = await request(`${base}/api/staff/login`, {
      method: 'POST', body: { clinic: 'demo', email, password: 'not-the-right-password' }, headers: { Origin: base },
      localAddress: someAddress(),
    });
    assertError(r, 401, 'invalid_credentials', email);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const known = [], unknown = [];
  for (let i = 0; i < 3; i++) {
    known.push(await timed(USERS.clinic_admin.email));
    unknown.push(await timed(`nobody-${hex()}@demo.test`));
  }
  await signIn('clinic_admin'); // clears the admin email's failure count
  const k = median(known), u = median(unknown);
  // Argon2id takes tens of milliseconds; skipping it for unknown emails would show as ~1 ms.
  assert.ok(u >= k / 4, `unknown email ${u.toFixed(1)} ms vs wrong password ${k.toFixed(1)} ms (${known} / ${unknown})`);
});

test('sign-in: repeated failures for one account from one address give 429 there; its owner still signs in from elsewhere', async () => {
  // Issue 19: anyone who knew a staff email could keep that person out with five wrong passwords.
  const { email, password } = USERS.nurse;
  const from = someAddress();
  const attempt = (localAddress, pw = 'not-the-right-password') => request(`${base}/api/staff/login`, {
    method: 'POST', body: { clinic: 'demo', email, password: pw }, headers: { Origin: base }, localAddress,
  });
  let r, n = 0;
  for (n = 1; n <= 12; n++) {
    r = await attempt(from);
    if (r.status === 429) break;
    assertError(r, 401, 'invalid_credentials', `attempt ${n}`);
  }
  assertError(r, 429, 'too_many_attempts', `after ${n - 1} failures`);
  assert.equal(n, 6, 'five failures from one address lock that address for this account');
  assert.match(String(r.headers['retry-after']), /^[1-9][0-9]*$/, `Retry-After in whole seconds: ${JSON.stringify(r.headers)}`);
  // The guesser's address stays locked for this account, even with the right password...
  assertError(await attempt(from, password), 429, 'too_many_attempts', 'the right password from the guessing address');
  // ...but the owner, from anywhere else, signs in.
  const ok = await signIn('nurse', { localAddress: someAddress() });
  assert.equal(ok.user.role, 'nurse');
});

test('sign-in: repeated failures from one address give 429 there, also for a right password; other addresses unaffected', async () => {
  const from = someAddress();
  let r, n;
  for (n = 1; n <= 100; n++) {
    r = await request(`${base}/api/staff/login`, {
      method: 'POST', body: { clinic: 'demo', email: `nobody-${hex()}@demo.test`, password: 'not-the-right-password' },
      headers: { Origin: base }, localAddress: from,
    });
    if (r.status === 429) break;
    assertError(r, 401, 'invalid_credentials', `attempt ${n}`);
  }
  assertError(r, 429, 'too_many_attempts', `${n - 1} failures with different emails from ${from}`);
  assert.match(String(r.headers['retry-after']), /^[1-9][0-9]*$/);
  const right = await request(`${base}/api/staff/login`, {
    method: 'POST', body: { clinic: 'demo', email: USERS.auditor.email, password: USERS.auditor.password },
    headers: { Origin: base }, localAddress: from,
  });
  assertError(right, 429, 'too_many_attempts', 'a right password from the locked address');
  const ok = await signIn('auditor', { localAddress: someAddress() });
  assert.equal(ok.user.role, 'auditor');
}, { timeout: 120000 });

// ---------------------------------------------------------------------------------------------
// 2. CSRF
// ---------------------------------------------------------------------------------------------

test('sign-in: a body with a repeated key or a NUL is refused as a bad request, before any password check', async () => {
  const send = (payload) => request(`${base}/api/staff/login`, {
    method: 'POST', body: payload, headers: { Origin: base, 'Content-Type': 'application/json' }, localAddress: someAddress(),
  });
  // Which "password" would win differs between parsers: neither does.
  const { email, password } = USERS.nurse;
  const repeated = await send(`{"clinic":"demo","email":"${email}","password":"wrong","password":"${password}"}`);
  assert.equal(repeated.status, 400, repeated.text);
  assert.deepEqual(repeated.body, { error: 'bad_request', field: 'body' });
  const nul = await send(JSON.stringify({ clinic: 'demo', email: `${email}\u0000x`, password }));
  assert.equal(nul.status, 400, nul.text);
  assert.deepEqual(nul.body, { error: 'bad_request', field: 'email' });
});

test('CSRF: a POST without the token, with a wrong or another session\'s token, or from a foreign or no Origin is refused', async () => {
  const fd = await signIn('front_desk');
  const nurse = await signIn('nurse');
  const e = await raiseEscalation(fd);
  const claim = (headers) => api(base, fd, 'POST', `/api/staff/escalations/${e.id}/claim`, undefined, { headers });
  const fake = randomBytes(32).toString('base64url');
  const cases = {
    'no X-CSRF-Token': { 'X-CSRF-Token': null },
    'a wrong token': { 'X-CSRF-Token': fake },
    'another session\'s token': { 'X-CSRF-Token': nurse.csrf },
    'the session token itself': { 'X-CSRF-Token': fd.token },
    'a foreign Origin': { Origin: 'http://evil.example.test' },
    'the server\'s host on another port': { Origin: `http://127.0.0.1:${Number(new URL(base).port) + 1}` },
    'no Origin': { Origin: null },
  };
  for (const [what, headers] of Object.entries(cases)) assertError(await claim(headers), 403, 'csrf_failed', what);
  const d = await api(base, fd, 'GET', `/api/staff/escalations/${e.id}`);
  assert.equal(d.status, 200, show(d));
  assert.equal(d.body.escalation.claimed_by, null, 'a refused claim changed nothing');
  assert.ok(['raised', 'notified'].includes(d.body.escalation.status), d.text);

  // Logout is protected too: a cross-site page cannot sign staff out.
  assertError(await api(base, fd, 'POST', '/api/staff/logout', undefined, { headers: { 'X-CSRF-Token': null } }), 403, 'csrf_failed', 'logout without token');
  assert.equal((await api(base, fd, 'GET', '/api/staff/me')).status, 200, 'still signed in');

  const ok = await claim({});
  assert.equal(ok.status, 200, `with the token and Origin: ${show(ok)}`);
  assert.equal(ok.body.escalation.claimed_by?.name, 'Fran');
});

// ---------------------------------------------------------------------------------------------
// 3. Every endpoint × every role
// ---------------------------------------------------------------------------------------------

// ctx: the escalation the call is made on. 'none': no escalation in the path; 'open': nobody holds
// it; 'mine': the caller holds it (an auditor cannot claim, so for them it is 'open');
// 'theirs': another user of the clinic holds it. `ends`: a success takes the escalation out of
// that state. `expect`: status per role (an array when the contract allows either).
const hold = (role) => (role === 'nurse' ? 'front_desk' : 'nurse'); // who holds 'theirs'
let handBackState = 'main_menu';
const ENDPOINTS = [
  { name: 'me', method: 'GET', path: () => '/api/staff/me', ctx: 'none',
    expect: { front_desk: 200, nurse: 200, clinic_admin: 200, auditor: 200 } },
  { name: 'queue', method: 'GET', path: () => '/api/staff/escalations', ctx: 'none',
    expect: { front_desk: 200, nurse: 200, clinic_admin: 200, auditor: 200 } },
  { name: 'list canned replies', method: 'GET', path: () => '/api/staff/canned-replies', ctx: 'none',
    expect: { front_desk: 200, nurse: 200, clinic_admin: 200, auditor: 403 } },
  { name: 'change canned replies', method: 'PUT', path: () => '/api/staff/canned-replies', ctx: 'none',
    body: () => ({ title: `Test reply ${hex(3)}`, body_en: 'We will call you back shortly.', body_es: 'Le llamaremos en breve.', position: 900 + randomInt(99) }),
    expect: { front_desk: 403, nurse: 403, clinic_admin: 200, auditor: 403 } },
  { name: 'open an escalation', method: 'GET', path: (id) => `/api/staff/escalations/${id}`, ctx: 'open',
    expect: { front_desk: 200, nurse: 200, clinic_admin: 200, auditor: 403 } },
  { name: 'audit trail', method: 'GET', path: (id) => `/api/staff/escalations/${id}/audit`, ctx: 'open',
    expect: { front_desk: 403, nurse: 403, clinic_admin: 200, auditor: 200 } },
  { name: 'add a note', method: 'POST', path: (id) => `/api/staff/escalations/${id}/notes`, ctx: 'open',
    body: () => ({ text: 'Internal: tried to call, no answer.' }),
    expect: { front_desk: 200, nurse: 200, clinic_admin: 200, auditor: 403 } },
  { name: 'triage feedback', method: 'POST', path: (id) => `/api/staff/escalations/${id}/feedback`, ctx: 'open',
    body: () => ({ verdict: 'right', urgency: 'emergency', intent: 'symptom_report' }),
    expect: { front_desk: 200, nurse: 200, clinic_admin: 200, auditor: 403 } },
  { name: 'claim (nobody holds it)', method: 'POST', path: (id) => `/api/staff/escalations/${id}/claim`, ctx: 'open', ends: true,
    expect: { front_desk: 200, nurse: 200, clinic_admin: 200, auditor: 403 } },
  { name: 'claim (another user holds it)', method: 'POST', path: (id) => `/api/staff/escalations/${id}/claim`, ctx: 'theirs',
    expect: { front_desk: 409, nurse: 409, clinic_admin: 409, auditor: 403 } },
  { name: 'message (as the claimer)', method: 'POST', path: (id) => `/api/staff/escalations/${id}/messages`, ctx: 'mine',
    body: () => ({ text: 'Hello, this is the clinic. An ambulance is the right call now.' }),
    expect: { front_desk: 200, nurse: 200, clinic_admin: 200, auditor: 403 } },
  // "Only the claimer": the contract names no code for it; refused as forbidden or as a conflict.
  { name: 'message (another user holds it)', method: 'POST', path: (id) => `/api/staff/escalations/${id}/messages`, ctx: 'theirs',
    body: () => ({ text: 'Hello from someone else.' }),
    expect: { front_desk: [403, 409], nurse: [403, 409], clinic_admin: [403, 409], auditor: 403 } },
  { name: 'hand back (as the claimer)', method: 'POST', path: (id) => `/api/staff/escalations/${id}/hand-back`, ctx: 'mine', ends: true,
    body: () => ({ state: handBackState }),
    expect: { front_desk: 200, nurse: 200, clinic_admin: 200, auditor: 403 } },
  { name: 'resolve (as the claimer)', method: 'POST', path: (id) => `/api/staff/escalations/${id}/resolve`, ctx: 'mine', ends: true,
    body: () => ({ outcome: 'advice_given' }),
    expect: { front_desk: 200, nurse: 200, clinic_admin: 200, auditor: 403 } },
  { name: 'resolve (another user holds it)', method: 'POST', path: (id) => `/api/staff/escalations/${id}/resolve`, ctx: 'theirs', ends: true,
    body: () => ({ outcome: 'callback_booked' }),
    expect: { front_desk: 403, nurse: 403, clinic_admin: 200, auditor: 403 } },
  { name: 'hand back (another user holds it)', method: 'POST', path: (id) => `/api/staff/escalations/${id}/hand-back`, ctx: 'theirs', ends: true,
    body: () => ({ state: handBackState }),
    expect: { front_desk: 403, nurse: 403, clinic_admin: 200, auditor: 403 } },
];
const PER_ESCALATION = ENDPOINTS.filter((ep) => ep.ctx !== 'none');

// What a successful answer must say, per endpoint.
function checkSuccess(ep, r, me, esc) {
  const why = `${ep.name}: ${show(r)}`;
  switch (ep.name) {
    case 'me': assert.equal(r.body.user.email, me.user.email, why); break;
    case 'queue': assert.ok(Array.isArray(r.body.escalations) && typeof r.body.server_time === 'string', why); break;
    case 'list canned replies': assert.ok(Array.isArray(r.body.replies), why); break;
    case 'open an escalation':
      assert.equal(r.body.escalation.id, esc.id, why);
      assert.ok(Array.isArray(r.body.transcript) && r.body.transcript.some((m) => m.author === 'patient'), why);
      break;
    case 'audit trail': assert.ok(Array.isArray(r.body.events) && r.body.events.length > 0, why); break;
    case 'add a note': assert.equal(r.body.note?.author?.id, me.user.id, why); break;
    case 'triage feedback': assert.equal(r.body.feedback?.author?.id, me.user.id, why); break;
    case 'claim (nobody holds it)':
      assert.equal(r.body.escalation.status, 'claimed', why);
      assert.equal(r.body.escalation.claimed_by?.id, me.user.id, why);
      break;
    case 'message (as the claimer)':
      assert.equal(r.body.escalation.status, 'in_conversation', why);
      assert.ok(Number.isInteger(r.body.seq), why);
      break;
    case 'hand back (as the claimer)': case 'hand back (another user holds it)':
      assert.equal(r.body.escalation.status, 'handed_back', why); break;
    case 'resolve (as the claimer)': case 'resolve (another user holds it)':
      assert.equal(r.body.escalation.status, 'resolved', why); break;
    default: assert.ok(r.body && typeof r.body === 'object', why);
  }
}

test('every endpoint × every role gets what the roles table says', { timeout: 300000 }, async (t) => {
  const sessions = {};
  for (const role of ROLES) sessions[role] = await signIn(role);
  // A valid hand-back state, from an escalation's detail.
  const probe = await raiseEscalation(sessions.front_desk);
  const detail = await api(base, sessions.front_desk, 'GET', `/api/staff/escalations/${probe.id}`);
  assert.equal(detail.status, 200, show(detail));
  assert.ok(detail.body.hand_back_states?.length > 0, `hand_back_states: ${detail.text}`);
  handBackState = detail.body.hand_back_states[0].id;

  for (const role of ROLES) {
    const me = sessions[role];
    const holder = sessions[hold(role)];
    const pool = {};
    const escalationFor = async (ctx) => {
      const kind = ctx === 'mine' && role === 'auditor' ? 'open' : ctx;
      if (!pool[kind]) {
        const e = await raiseEscalation(me);
        const claimer = kind === 'mine' ? me : kind === 'theirs' ? holder : null;
        if (claimer) {
          const c = await api(base, claimer, 'POST', `/api/staff/escalations/${e.id}/claim`);
          assert.equal(c.status, 200, `setting up '${kind}' for ${role}: ${show(c)}`);
        }
        pool[kind] = e;
      }
      return { kind, esc: pool[kind] };
    };

    for (const ep of ENDPOINTS) {
      const want = ep.expect[role];
      await t.test(`${role}: ${ep.method} ${ep.name} → ${want}`, async () => {
        const { kind, esc } = ep.ctx === 'none' ? {} : await escalationFor(ep.ctx);
        const path = ep.path(esc?.id);
        const body = ep.body?.();
        const r = await api(base, me, ep.method, path, body);
        const what = `${role} ${ep.method} ${path} ${body ? JSON.stringify(body) : ''}`;
        const allowed = [want].flat();
        assert.ok(allowed.includes(r.status), `${what}: want ${allowed.join('|')}, got ${show(r)}`);
        if (r.status === 200) {
          checkSuccess(ep, r, me, esc);
          if (ep.ends) delete pool[kind];
        } else if (r.status === 403) {
          assert.equal(r.body?.error, 'forbidden', `${what}: ${show(r)}`);
        } else if (r.status === 409) {
          if (ep.name.startsWith('claim')) {
            assert.equal(r.body?.error, 'already_claimed', `${what}: ${show(r)}`);
            assert.equal(r.body.claimed_by?.name, USERS[hold(role)].name, `${what}: claimed_by names the holder: ${show(r)}`);
            assert.equal(r.body.claimed_by?.id, holder.user.id, `${what}: ${show(r)}`);
          } else {
            assert.ok(['already_claimed', 'wrong_status'].includes(r.body?.error), `${what}: ${show(r)}`);
          }
        }
      });
    }
  }
});

test('another clinic\'s front desk gets 404 not_found for every per-escalation endpoint and never sees demo escalations', { timeout: 120000 }, async () => {
  const fd = await signIn('front_desk');
  const nurse = await signIn('nurse');
  const otto = await signIn('other');
  assert.equal(otto.user.clinic, 'other');
  const open = await raiseEscalation(fd);
  const held = await raiseEscalation(fd);
  assert.equal((await api(base, nurse, 'POST', `/api/staff/escalations/${held.id}/claim`)).status, 200);
  const nowhere = randomUUID();

  for (const e of [open, held]) {
    for (const ep of PER_ESCALATION) {
      const body = ep.body?.();
      const r = await api(base, otto, ep.method, ep.path(e.id), body);
      const what = `other clinic's front_desk ${ep.method} ${ep.path(e.id)} ${body ? JSON.stringify(body) : ''}`;
      // Indistinguishable from an id that exists nowhere.
      const control = await api(base, otto, ep.method, ep.path(nowhere), body);
      assert.equal(r.status, control.status, `${what}: ${show(r)} vs a random id: ${show(control)}`);
      assert.deepEqual(r.body, control.body, `${what}: ${show(r)} vs a random id: ${show(control)}`);
      if (ep.name === 'audit trail') {
        // A front desk may see no audit trail at all: refusing by role first is fine as well.
        assert.ok([403, 404].includes(r.status), `${what}: ${show(r)}`);
        assert.equal(r.body?.error, r.status === 403 ? 'forbidden' : 'not_found', `${what}: ${show(r)}`);
      } else {
        assertError(r, 404, 'not_found', what);
      }
      assert.ok(!r.text.includes('Nora') && !r.text.includes(nurse.user.id), `${what}: nothing about the holder: ${show(r)}`);
    }
  }
  const q = await api(base, otto, 'GET', '/api/staff/escalations');
  assert.equal(q.status, 200, show(q));
  const leaked = q.body.escalations.filter((x) => demoEscalations.has(x.id) || [open.conversation, held.conversation].includes(x.conversation));
  assert.deepEqual(leaked, [], 'no demo escalation in the other clinic\'s queue');

  // Nothing the other clinic tried changed anything.
  const d1 = await api(base, fd, 'GET', `/api/staff/escalations/${open.id}`);
  assert.equal(d1.body.escalation.claimed_by, null, d1.text);
  assert.ok(['raised', 'notified'].includes(d1.body.escalation.status), d1.text);
  assert.deepEqual(d1.body.notes, [], d1.text);
  const d2 = await api(base, fd, 'GET', `/api/staff/escalations/${held.id}`);
  assert.equal(d2.body.escalation.status, 'claimed', d2.text);
  assert.equal(d2.body.escalation.claimed_by?.id, nurse.user.id, d2.text);
  assert.ok(!d2.body.transcript.some((m) => m.author === 'staff'), `no staff message reached the patient: ${d2.text}`);
});

// ---------------------------------------------------------------------------------------------
// 4. No session, a garbage cookie, a signed-out session
// ---------------------------------------------------------------------------------------------

test('no session, a garbage cookie or a signed-out session: 401 signed_out on every endpoint', { timeout: 120000 }, async () => {
  const fd = await signIn('front_desk');
  const e = await raiseEscalation(fd);
  const gone = await signIn('front_desk');
  const out = await api(base, gone, 'POST', '/api/staff/logout');
  assert.equal(out.status, 200, show(out));
  assert.equal(out.body.signed_out, true, out.text);
  assert.equal(out.body.provider_logout_url, null, `a local session has no provider logout: ${out.text}`);
  const cleared = sessionCookie(out.setCookies);
  assert.ok(cleared && (cleared.value === '' || cleared.attrs['max-age'] === '0'), `logout clears the cookie: ${JSON.stringify(out.setCookies)}`);

  const name = gone.cookie.split('=')[0];
  const variants = {
    'no cookie': { cookie: null, csrf: gone.csrf },
    'a garbage cookie': { cookie: `${name}=garbage`, csrf: gone.csrf },
    'a well-formed unknown token': { cookie: `${name}=${randomBytes(32).toString('base64url')}`, csrf: gone.csrf },
    'a signed-out session': gone,
  };
  const endpoints = [
    ...ENDPOINTS.map((ep) => ({ ...ep, p: ep.path(e.id) })),
    { method: 'POST', p: '/api/staff/logout-everywhere' },
  ];
  for (const [what, session] of Object.entries(variants)) {
    for (const ep of endpoints) {
      const r = await api(base, session, ep.method, ep.p, ep.body?.());
      // A well-formed but unknown token cannot come with its own CSRF token (a keyed hash of the
      // session token), so a state-changing request is both signed out and a CSRF failure: the
      // contract does not order the two, either refusal is right.
      if (what === 'a well-formed unknown token' && ep.method !== 'GET' && r.status === 403) {
        assertError(r, 403, 'csrf_failed', `${what}: ${ep.method} ${ep.p}`);
        continue;
      }
      assertError(r, 401, 'signed_out', `${what}: ${ep.method} ${ep.p}`);
      // Without a session token there is nothing to have been revoked.
      const reason = what === 'no cookie' || what === 'a garbage cookie' ? 'unauthenticated' : 'revoked';
      assert.equal(r.body.reason, reason, `${what}: ${ep.method} ${ep.p}: ${r.text}`);
    }
    // Logging out without a session is harmless (either answer), never an error.
    // (With a well-formed unknown token it may also be the CSRF refusal, as above.)
    const lo = await api(base, session, 'POST', '/api/staff/logout');
    const okCodes = what === 'a well-formed unknown token' ? [200, 401, 403] : [200, 401];
    assert.ok(okCodes.includes(lo.status), `${what}: POST /api/staff/logout: ${show(lo)}`);
    if (lo.status === 403) assert.equal(lo.body?.error, 'csrf_failed', show(lo));
  }
  // None of it touched the escalation.
  const d = await api(base, fd, 'GET', `/api/staff/escalations/${e.id}`);
  assert.equal(d.body.escalation.claimed_by, null, d.text);
  assert.deepEqual(d.body.notes, [], d.text);
});

test('logout-everywhere ends every session of that user (and only that user\'s)', async () => {
  const a = await signIn('nurse');
  const b = await signIn('nurse');
  const bystander = await signIn('front_desk');
  assert.notEqual(a.token, b.token);
  for (const s of [a, b]) assert.equal((await api(base, s, 'GET', '/api/staff/me')).status, 200);
  const r = await api(base, a, 'POST', '/api/staff/logout-everywhere');
  assert.equal(r.status, 200, show(r));
  assert.equal(r.body.signed_out, true, r.text);
  assert.ok(r.body.sessions_ended >= 2, `sessions_ended: ${r.text}`);
  assert.equal(r.body.provider_logout_url, null, r.text);
  for (const [what, s] of Object.entries({ 'the session that asked': a, 'the other session': b })) {
    assertError(await api(base, s, 'GET', '/api/staff/me'), 401, 'signed_out', what);
    assertError(await api(base, s, 'GET', '/api/staff/escalations'), 401, 'signed_out', what);
  }
  assert.equal((await api(base, bystander, 'GET', '/api/staff/me')).status, 200, 'another user stays signed in');
  const again = await signIn('nurse');
  assert.equal((await api(base, again, 'GET', '/api/staff/me')).status, 200, 'signing in again works');
});

// ---------------------------------------------------------------------------------------------
// 5. Staff WebSocket
// ---------------------------------------------------------------------------------------------

async function refused(promise) {
  try {
    const s = await promise;
    s.close();
  } catch (err) {
    return err;
  }
  assert.fail('the upgrade was accepted');
}

test('staff WebSocket: refused without a session (401) or from another Origin (403); hello carries the clinic queue', async () => {
  const nurse = await signIn('nurse');
  const e = await raiseEscalation(nurse);
  const name = nurse.cookie.split('=')[0];

  let err = await refused(openStaffSocket(base, null));
  assert.equal(err.status, 401, err.message);
  if (err.body && typeof err.body === 'object') assert.equal(err.body.error, 'signed_out', err.message);
  err = await refused(openStaffSocket(base, { cookie: `${name}=${randomBytes(32).toString('base64url')}` }));
  assert.equal(err.status, 401, err.message);
  err = await refused(openStaffSocket(base, nurse, { origin: 'http://evil.example.test' }));
  assert.equal(err.status, 403, err.message);

  const ws = await openStaffSocket(base, nurse);
  try {
    const hello = await ws.next((f) => f.type === 'hello');
    assert.equal(hello.user.id, nurse.user.id, JSON.stringify(hello.user));
    assert.equal(hello.user.name, 'Nora', JSON.stringify(hello.user));
    assert.equal(hello.user.role, 'nurse');
    assert.equal(hello.user.clinic, 'demo');
    assert.ok(!Number.isNaN(Date.parse(hello.server_time)), `server_time: ${hello.server_time}`);
    const mine = hello.escalations.find((x) => x.id === e.id);
    assert.ok(mine, `the open escalation ${e.id} is in hello`);
    assert.equal(mine.conversation, e.conversation);
    assert.equal(mine.urgency, 'emergency');
    assert.equal(mine.priority, 3);
    assert.ok(hello.escalations.every((x) => !['resolved', 'handed_back'].includes(x.status)), 'only open escalations');
    ws.send({ type: 'ping' });
    await ws.next((f) => f.type === 'pong');
  } finally {
    ws.close();
  }
});

test('staff WebSocket: an upgrade without an Origin header is refused (403)', async () => {
  // "the Origin must be the server's own origin" (docs/staff-api.md), as for HTTP POSTs.
  const nurse = await signIn('nurse');
  const err = await refused(openStaffSocket(base, nurse, { origin: null }));
  assert.equal(err.status, 403, `no Origin: ${err.message}`);
});

test('staff WebSocket: watching another clinic\'s escalation is not_found; an auditor may not watch', async () => {
  const fd = await signIn('front_desk');
  const e = await raiseEscalation(fd);
  const otto = await openStaffSocket(base, await signIn('other'));
  const auditor = await openStaffSocket(base, await signIn('auditor'));
  const nurse = await openStaffSocket(base, await signIn('nurse'));
  try {
    const ottoHello = await otto.next((f) => f.type === 'hello');
    assert.ok(!ottoHello.escalations.some((x) => demoEscalations.has(x.id)), 'no demo escalation in the other clinic\'s hello');
    otto.send({ type: 'watch', escalation: e.id });
    assert.deepEqual(await otto.next((f) => f.type === 'error'), { type: 'error', code: 'not_found' });
    otto.send({ type: 'watch', escalation: randomUUID() });
    assert.deepEqual(await otto.next((f) => f.type === 'error'), { type: 'error', code: 'not_found' });

    await auditor.next((f) => f.type === 'hello');
    auditor.send({ type: 'watch', escalation: e.id });
    assert.deepEqual(await auditor.next((f) => f.type === 'error'), { type: 'error', code: 'forbidden' });

    // A nurse may: no error before the pong that follows.
    await nurse.next((f) => f.type === 'hello');
    nurse.send({ type: 'watch', escalation: e.id });
    nurse.send({ type: 'ping' });
    await nurse.next((f) => f.type === 'pong');
    assert.ok(!nurse.frames.some((f) => f.type === 'error'), JSON.stringify(nurse.frames.filter((f) => f.type === 'error')));
  } finally {
    for (const s of [otto, auditor, nurse]) s.close();
  }
});

test('staff WebSocket: after logout the open socket is told signed_out (revoked) and closed with 4401', { timeout: 60000 }, async () => {
  const nurse = await signIn('nurse');
  const e = await raiseEscalation(nurse);
  const ws = await openStaffSocket(base, nurse);
  try {
    await ws.next((f) => f.type === 'hello');
    const out = await api(base, nurse, 'POST', '/api/staff/logout');
    assert.equal(out.status, 200, show(out));
    let f;
    try {
      f = await ws.next((x) => x.type === 'signed_out', 3000);
    } catch {
      // The contract does not promise immediacy: the next action must find out.
      ws.send({ type: 'watch', escalation: e.id });
      f = await ws.next((x) => x.type === 'signed_out', 15000);
    }
    assert.equal(f.reason, 'revoked', JSON.stringify(f));
    const closed = await ws.waitClose(5000);
    assert.equal(closed.code, 4401, JSON.stringify(closed));
    const after = ws.frames.slice(ws.frames.indexOf(f) + 1);
    assert.deepEqual(after, [], 'nothing after signed_out');
  } finally {
    ws.close();
  }
});

// ---------------------------------------------------------------------------------------------
// 6. PHI
// ---------------------------------------------------------------------------------------------

test('PHI: the patient\'s words are in the escalation detail only: not in the queue, the WebSocket, the audit trail or the log', async () => {
  const canary = `Canary${hex()}`;
  const fd = await signIn('front_desk');
  const admin = await signIn('clinic_admin');
  const live = await openStaffSocket(base, fd);
  try {
    await live.next((f) => f.type === 'hello');
    const e = await raiseEscalation(fd, `My name is ${canary} and ${RED_FLAG}`);

    const q = await api(base, fd, 'GET', '/api/staff/escalations');
    assert.equal(q.status, 200, show(q));
    const entry = q.body.escalations.find((x) => x.id === e.id);
    assert.ok(entry);
    assert.equal(entry.reason, 'red_flag');
    assert.equal(entry.urgency, 'emergency');
    assert.ok(entry.rules.length > 0 && entry.rules.every((r) => typeof r.id === 'string'), JSON.stringify(entry));
    assert.ok(!q.text.includes(canary), 'the queue holds the canary');

    const news = await live.next((f) => f.type === 'escalation' && f.escalation?.id === e.id, 10000);
    assert.ok(!JSON.stringify(news).includes(canary), 'a live escalation frame holds the canary');
    const fresh = await openStaffSocket(base, fd);
    try {
      const hello = await fresh.next((f) => f.type === 'hello');
      assert.ok(hello.escalations.some((x) => x.id === e.id));
      assert.ok(!JSON.stringify(hello).includes(canary), 'hello holds the canary');
    } finally {
      fresh.close();
    }

    const d = await api(base, fd, 'GET', `/api/staff/escalations/${e.id}`);
    assert.equal(d.status, 200, show(d));
    const said = d.body.transcript.find((m) => m.author === 'patient' && m.text.includes(canary));
    assert.ok(said, `the decrypted transcript has the patient's words: ${JSON.stringify(d.body.transcript)}`);

    const audit = await api(base, admin, 'GET', `/api/staff/escalations/${e.id}/audit`);
    assert.equal(audit.status, 200, show(audit));
    assert.ok(audit.body.events.some((ev) => ev.action === 'escalation.viewed'), `the view is audited: ${audit.text}`);
    assert.ok(!audit.text.includes(canary), 'the audit trail holds the canary');

    const log = readFileSync(stack.serverLog, 'utf8');
    assert.ok(log.length > 0);
    assert.ok(!log.includes(canary), 'the server log holds the canary');
    assert.ok(!log.includes(USERS.front_desk.password), 'the server log holds a password');
    assert.ok(!log.includes(fd.token), 'the server log holds a session token');
    assert.ok(!log.includes(fd.csrf), 'the server log holds a CSRF token');
  } finally {
    live.close();
  }
});
