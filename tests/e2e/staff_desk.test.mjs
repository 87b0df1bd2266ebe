// The staff escalation desk end to end (docs/staff-api.md is the contract): staff sign in over the
// HTTP API, watch the queue over the staff WebSocket and talk to patients, across two instances
// ("a" and "c") that share Redis and PostgreSQL.
//
//   TRIAGE_TEST_ENV_FILE=DIR/env node --test --test-concurrency=1 --test-force-exit tests/e2e/staff_desk.test.mjs
//
// Staff accounts (seeded by the stack, local password "<local part>-local-pass"): frontdesk@demo.test
// (front_desk), nurse@demo.test (nurse), admin@demo.test (clinic_admin), auditor@demo.test (auditor),
// frontdesk@other.test (front_desk of clinic "other").
//
// Waits are on frames and responses (never fixed sleeps), except where the contract itself is a
// duration: the SLA timers, the ~1 s a `triagectl clinic sla` change takes to reach running
// servers, and the quiet periods that show something did NOT happen.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { loadStack } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { psql } from '../lib/db.mjs';

const EMERGENCY = 'I have crushing chest pain spreading to my left arm';
// Urgent (rule high_fever) but the rules do not escalate it (`triagectl classify`: urgent,
// escalate false). Sent as the conversation's FIRST message, i.e. as an (unreadable) answer to the
// welcome question: after "yes", the default flow would route an urgent symptom to urgent_phone,
// which escalates `same_day_callback` for everybody, returning contact or not.
// Urgent but not an emergency, for the rules and the urgency model alike.
const URGENT = 'it burns when I pee and I have a fever';
const PATIENT_REPLY = 'The pain is still there, it is getting worse';
const WAIT = 10000;

let stack;
let baseA;
let baseC;
const sockets = [];
const patients = [];

const canary = () => `Canary${randomBytes(5).toString('hex')}`;
const contactId = () => randomBytes(32).toString('base64url'); // 43 characters
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- Staff HTTP API (own small helpers; tests/lib/staff_client.mjs may offer the same) ---------

function cookieFrom(headers) {
  const all = typeof headers.getSetCookie === 'function' ? headers.getSetCookie() : [headers.get('set-cookie') ?? ''];
  const c = all.find((x) => /^(__Host-)?triage_staff=/.test(x));
  return c ? c.split(';')[0] : null;
}

async function request(base, method, path, { cookie, csrf, body, origin } = {}) {
  const headers = { Origin: origin ?? base };
  if (cookie) headers.Cookie = cookie;
  if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
  const text = await res.text();
  let parsed = text;
  try { parsed = text ? JSON.parse(text) : null; } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}

async function login(base, { clinic, email, password }) {
  const r = await request(base, 'POST', '/api/staff/login', { body: { clinic, email, password } });
  assert.equal(r.status, 200, `login ${email} on ${base}: ${r.status} ${JSON.stringify(r.body)}`);
  const cookie = cookieFrom(r.headers);
  assert.ok(cookie, `login ${email} sets the staff session cookie: ${JSON.stringify(r.headers.getSetCookie?.())}`);
  assert.equal(typeof r.body.csrf, 'string');
  return { base, cookie, csrf: r.body.csrf, user: r.body.user };
}

// session.base unless `on` names another instance (sessions are shared through PostgreSQL/Redis).
function api(session, method, path, body, { on } = {}) {
  return request(on ?? session.base, method, path, { cookie: session.cookie, csrf: session.csrf, body });
}

function expectOk(r, what) {
  assert.equal(r.status, 200, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

// ---- Staff WebSocket --------------------------------------------------------------------------

class StaffSocket {
  static async connect(base, session) {
    const ws = new WebSocket(base.replace(/^http/, 'ws') + '/ws/staff', { headers: { Origin: base, Cookie: session.cookie } });
    const s = new StaffSocket(ws, session);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`staff WebSocket refused: HTTP ${res.statusCode}`)));
    });
    sockets.push(s);
    s.hello = await s.waitFor((f) => f.type === 'hello', { what: 'hello' });
    return s;
  }

  constructor(ws, session) {
    this.ws = ws;
    this.session = session;
    this.frames = [];
    this.waiters = [];
    this.closed = null;
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()));
      this.waiters = this.waiters.filter((w) => !w.check());
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.waiters = this.waiters.filter((w) => !w.check());
    });
  }

  send(obj) { this.ws.send(JSON.stringify(obj)); }

  waitFor(pred, { from = 0, timeout = WAIT, what = 'frame' } = {}) {
    return new Promise((resolve, reject) => {
      const w = {
        check: () => {
          const f = this.frames.find((x, i) => i >= from && pred(x));
          if (f) { clearTimeout(w.timer); resolve(f); return true; }
          if (this.closed) { clearTimeout(w.timer); reject(new Error(`staff socket closed (${this.closed.code}) while waiting for ${what}`)); return true; }
          return false;
        },
      };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timeout waiting for ${what} on the staff socket of ${this.session.user.email}; frames: ${JSON.stringify(this.frames.slice(from)).slice(0, 4000)}`));
      }, timeout);
      if (!w.check()) this.waiters.push(w);
    });
  }

  // The server handles a socket's frames in order: the pong marks that earlier frames were read.
  async barrier() {
    const from = this.frames.length;
    this.send({ type: 'ping' });
    await this.waitFor((f) => f.type === 'pong', { from, what: 'pong' });
  }

  escalationEvent(event, pred, opts = {}) {
    return this.waitFor((f) => f.type === 'escalation' && f.event === event && pred(f.escalation), { what: `escalation event ${event}`, ...opts });
  }

  raisedFor(conversation, opts = {}) {
    return this.escalationEvent('raised', (e) => e.conversation === conversation, { what: `escalation raised for ${conversation}`, ...opts });
  }

  close() {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve) => { this.ws.once('close', (code) => resolve({ code })); this.ws.close(); });
  }
}

// ---- Patients ---------------------------------------------------------------------------------

async function patient(base, { clinic = 'demo', contact } = {}) {
  const p = await PatientClient.connect(base, { clinic });
  patients.push(p);
  const start = { type: 'start', v: 1, lang: 'en' };
  if (contact) start.contact = contact;
  p.send(start);
  const started = await p.waitFor((f) => f.type === 'started' || f.type === 'error', { what: 'started' });
  assert.equal(started.type, 'started', `start: ${JSON.stringify(started)}`);
  await p.waitFor((f) => f.type === 'bot', { what: 'welcome' });
  return { p, started, conversation: started.conversation };
}

// A fresh patient answers the welcome and reports an emergency; returns once its ack is in (the
// escalation is stored with the turn).
async function emergencyPatient(base, { clinic = 'demo', contact, text = EMERGENCY } = {}) {
  const pt = await patient(base, { clinic, contact });
  const yes = await pt.p.say('w1', 'yes');
  assert.ok(yes.ack, `welcome answered: ${JSON.stringify(yes.frames)}`);
  const turn = await pt.p.say('e1', text);
  assert.ok(turn.ack, `emergency acknowledged: ${JSON.stringify(turn.frames)}`);
  assert.ok(turn.bots.some((b) => b.urgent), `urgent safety instruction: ${JSON.stringify(turn.frames)}`);
  return { ...pt, turn };
}

async function queue(session, opts) {
  return expectOk(await api(session, 'GET', '/api/staff/escalations', undefined, opts), 'GET queue').escalations;
}

// Best-effort tidy-up so later tests (and the browser suite) see a short queue.
async function tidy(session, id) {
  try {
    const c = await api(session, 'POST', `/api/staff/escalations/${id}/claim`, {});
    if (c.status === 200 || c.status === 409) await api(session, 'POST', `/api/staff/escalations/${id}/resolve`, { outcome: 'no_action_needed' });
  } catch {}
}

function triagectl(...args) {
  return execFileSync(process.env.TRIAGE_TEST_TRIAGECTL, ['--config', `${process.env.TRIAGE_TEST_DIR}/a.yaml`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

const users = {};
before(async () => {
  stack = loadStack();
  assert.ok(stack, 'TRIAGE_TEST_ENV_FILE names the stack env file');
  baseA = stack.base;
  baseC = process.env.TRIAGE_TEST_REMOTE_BASE_URL;
  assert.ok(baseA && baseC, 'instances a and c');
  users.fran = await login(baseA, { clinic: 'demo', email: 'frontdesk@demo.test', password: 'frontdesk-local-pass' });
  users.nora = await login(baseC, { clinic: 'demo', email: 'nurse@demo.test', password: 'nurse-local-pass' });
  users.ada = await login(baseA, { clinic: 'demo', email: 'admin@demo.test', password: 'admin-local-pass' });
  users.audrey = await login(baseA, { clinic: 'demo', email: 'auditor@demo.test', password: 'auditor-local-pass' });
  users.otto = await login(baseA, { clinic: 'other', email: 'frontdesk@other.test', password: 'frontdesk-local-pass' });
});

after(async () => {
  for (const s of sockets) { try { s.ws.terminate(); } catch {} }
  for (const p of patients) { try { p.ws.terminate(); } catch {} }
});

test('sign-in gives the documented user, roles and clinics', () => {
  assert.equal(users.fran.user.role, 'front_desk');
  assert.equal(users.nora.user.role, 'nurse');
  assert.equal(users.ada.user.role, 'clinic_admin');
  assert.equal(users.audrey.user.role, 'auditor');
  assert.equal(users.otto.user.clinic, 'other');
  for (const u of Object.values(users)) for (const k of ['id', 'name', 'email', 'role', 'clinic']) assert.ok(u.user[k], `user.${k} of ${JSON.stringify(u.user)}`);
});

test('fan-out: an emergency on instance a reaches a staff WebSocket on instance c, PHI-free', { timeout: 60000 }, async () => {
  const ws = await StaffSocket.connect(baseC, users.nora);
  assert.ok(Array.isArray(ws.hello.escalations), `hello carries the queue: ${JSON.stringify(ws.hello).slice(0, 500)}`);
  assert.equal(ws.hello.user?.id, users.nora.user.id);
  const words = canary();
  const e = await emergencyPatient(baseA, { text: `My name is ${words} and I have crushing chest pain spreading to my left arm` });
  const frame = await ws.raisedFor(e.conversation);
  assert.equal(frame.escalation.urgency, 'emergency');
  assert.equal(frame.escalation.priority, 3);
  assert.equal(frame.escalation.reason, 'red_flag');
  assert.ok(['raised', 'notified'].includes(frame.escalation.status), frame.escalation.status);
  assert.equal(frame.escalation.claimed_by, null);
  assert.ok(frame.escalation.rules.some((r) => r.id && r.urgency === 'emergency'), JSON.stringify(frame.escalation.rules));
  const raw = JSON.stringify(frame);
  assert.ok(!raw.includes(words) && !/crushing|left arm/i.test(raw), `no patient words in the queue news: ${raw}`);
  await tidy(users.nora, frame.escalation.id);
  await ws.close();
});

test('simultaneous claims from two instances: exactly one wins, the other is told who', { timeout: 120000 }, async () => {
  const fran = await StaffSocket.connect(baseA, users.fran);
  const nora = await StaffSocket.connect(baseC, users.nora);
  const wins = { fran: 0, nora: 0 };
  for (let round = 1; round <= 5; round++) {
    const e = await emergencyPatient(round % 2 ? baseA : baseC);
    const id = (await fran.raisedFor(e.conversation)).escalation.id;
    await nora.raisedFor(e.conversation);
    const fromF = fran.frames.length;
    const fromN = nora.frames.length;
    const [rf, rn] = await Promise.all([
      api(users.fran, 'POST', `/api/staff/escalations/${id}/claim`, {}),
      api(users.nora, 'POST', `/api/staff/escalations/${id}/claim`, {}),
    ]);
    const statuses = [rf.status, rn.status].sort();
    assert.deepEqual(statuses, [200, 409], `round ${round}: one 200 and one 409: fran ${rf.status} ${JSON.stringify(rf.body)}, nora ${rn.status} ${JSON.stringify(rn.body)}`);
    const [winner, win, lose] = rf.status === 200 ? [users.fran, rf, rn] : [users.nora, rn, rf];
    wins[winner === users.fran ? 'fran' : 'nora']++;
    assert.equal(win.body.escalation.id, id);
    assert.equal(win.body.escalation.status, 'claimed');
    assert.equal(win.body.escalation.claimed_by?.id, winner.user.id);
    assert.equal(win.body.escalation.claimed_by?.name, winner.user.name);
    assert.equal(lose.body.error, 'already_claimed', JSON.stringify(lose.body));
    assert.equal(lose.body.claimed_by?.name, winner.user.name, `the loser is told the winner's name: ${JSON.stringify(lose.body)}`);
    assert.equal(lose.body.claimed_by?.id, winner.user.id);
    for (const [ws, from] of [[fran, fromF], [nora, fromN]]) {
      const ev = await ws.escalationEvent('claimed', (x) => x.id === id, { from });
      assert.equal(ev.escalation.claimed_by?.id, winner.user.id, `${ws.session.user.email} sees who claimed`);
    }
    // The patient (on either instance) is told who joined.
    const joined = await e.p.waitFor((f) => f.type === 'staff_joined', { timeout: WAIT, what: 'staff_joined' });
    assert.equal(joined.name, winner.user.name);
    assert.equal(joined.role, winner.user.role);
    expectOk(await api(winner, 'POST', `/api/staff/escalations/${id}/resolve`, { outcome: 'no_action_needed' }), 'resolve by the winner');
    e.p.close();
  }
  console.log(`# claim race winners over 5 rounds: ${JSON.stringify(wins)}`);
  await fran.close();
  await nora.close();
});

describe('live conversation between staff and patient', () => {
  let ws;
  before(async () => { ws = await StaffSocket.connect(baseA, users.fran); });
  after(async () => { if (ws) await ws.close(); });

  test('claim, messages both ways, typing both ways, an internal note, resolve', { timeout: 60000 }, async () => {
    const e = await emergencyPatient(baseA);
    const { p } = e;
    const id = (await ws.raisedFor(e.conversation)).escalation.id;

    expectOk(await api(users.fran, 'POST', `/api/staff/escalations/${id}/claim`, {}), 'claim');
    const joined = await p.waitFor((f) => f.type === 'staff_joined', { what: 'staff_joined' });
    assert.equal(joined.name, users.fran.user.name);
    assert.equal(joined.role, 'front_desk');

    // Follow the live transcript.
    ws.send({ type: 'watch', escalation: id });
    await ws.barrier();
    assert.ok(!ws.frames.some((f) => f.type === 'error'), `watch accepted: ${JSON.stringify(ws.frames.filter((f) => f.type === 'error'))}`);

    // Staff → patient.
    const hello = `Hello, this is ${users.fran.user.name} from the clinic. Are you able to call 911?`;
    let from = p.frames.length;
    const sent = expectOk(await api(users.fran, 'POST', `/api/staff/escalations/${id}/messages`, { text: hello }), 'staff message');
    assert.equal(sent.escalation.status, 'in_conversation', 'the first message moves the status to in_conversation');
    assert.equal(typeof sent.seq, 'number');
    const staffFrame = await p.waitFor((f) => f.type === 'staff', { from, what: 'staff message' });
    assert.equal(staffFrame.text, hello);
    assert.equal(staffFrame.seq, sent.seq);
    assert.equal(staffFrame.name, users.fran.user.name);
    assert.equal(staffFrame.role, 'front_desk');

    // Patient → staff.
    const wsFrom = ws.frames.length;
    const reply = await p.say('p2', PATIENT_REPLY);
    assert.ok(reply.ack, JSON.stringify(reply.frames));
    const pm = await ws.waitFor((f) => f.type === 'patient_message' && f.escalation === id, { from: wsFrom, what: 'patient_message' });
    assert.equal(pm.text, PATIENT_REPLY);
    assert.equal(pm.seq, reply.ack.seq);
    assert.equal(typeof pm.urgent, 'boolean');

    // Typing: patient → staff.
    let wsAt = ws.frames.length;
    p.send({ type: 'typing' });
    const typing = await ws.waitFor((f) => f.type === 'typing' && f.escalation === id, { from: wsAt, what: 'patient typing' });
    assert.equal(typing.on, true);

    // Typing: staff → patient.
    from = p.frames.length;
    ws.send({ type: 'typing', escalation: id, on: true });
    const staffTyping = await p.waitFor((f) => f.type === 'typing' && f.who === 'staff', { from, what: 'staff typing' });
    assert.equal(staffTyping.on, true);

    // An internal note: in the detail, never on the patient's socket.
    const noteWords = canary();
    const note = expectOk(await api(users.fran, 'POST', `/api/staff/escalations/${id}/notes`, { text: `Internal: ${noteWords} sounded breathless` }), 'note');
    assert.ok(note.note?.id, JSON.stringify(note));
    assert.equal(note.note.author?.id, users.fran.user.id);
    const detail = expectOk(await api(users.fran, 'GET', `/api/staff/escalations/${id}`), 'detail');
    assert.ok(detail.notes.some((n) => n.text.includes(noteWords) && n.author?.name === users.fran.user.name), JSON.stringify(detail.notes));
    assert.ok(!detail.transcript.some((t) => t.text.includes(noteWords)), 'a note is not a transcript entry');
    assert.ok(detail.transcript.some((t) => t.author === 'staff' && t.text === hello && t.staff?.name === users.fran.user.name), JSON.stringify(detail.transcript));
    assert.ok(detail.transcript.some((t) => t.author === 'patient' && t.text === PATIENT_REPLY), JSON.stringify(detail.transcript));
    // A staff message sent after the note marks how far the patient's stream has got.
    from = p.frames.length;
    const after1 = 'An ambulance is the fastest way; please stay on the line with 911.';
    expectOk(await api(users.fran, 'POST', `/api/staff/escalations/${id}/messages`, { text: after1 }), 'second staff message');
    await p.waitFor((f) => f.type === 'staff' && f.text === after1, { from, what: 'second staff message' });
    await p.barrier();
    assert.ok(!JSON.stringify(p.frames).includes(noteWords), 'the patient never receives an internal note');

    // Resolve: the patient's chat closes, the queue forgets it.
    wsAt = ws.frames.length;
    from = p.frames.length;
    const resolved = expectOk(await api(users.fran, 'POST', `/api/staff/escalations/${id}/resolve`, { outcome: 'advice_given' }), 'resolve');
    assert.equal(resolved.escalation.status, 'resolved');
    assert.equal(resolved.escalation.outcome, 'advice_given');
    const end = await p.waitFor((f) => f.type === 'end', { from, what: 'end' });
    assert.equal(end.reason, 'resolved');
    await ws.escalationEvent('resolved', (x) => x.id === id, { from: wsAt });
    assert.ok(!(await queue(users.fran)).some((x) => x.id === id), 'a resolved escalation leaves the queue');
    assert.ok(!(await queue(users.nora)).some((x) => x.id === id), 'also as seen from instance c');
    // The conversation is over for the patient (if the server keeps the socket open after `end`).
    if (!p.closed) {
      const late = await p.say('p3', 'hello?');
      assert.equal(late.error?.code, 'conversation_ended', JSON.stringify(late.frames));
    }
    // Acting on it again is a wrong_status with the current escalation.
    const again = await api(users.fran, 'POST', `/api/staff/escalations/${id}/messages`, { text: 'still there?' });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal(again.body.error, 'wrong_status');
    assert.equal(again.body.escalation?.status, 'resolved');
  });

  test('hand back: the patient sees staff_left, then the bot again', { timeout: 60000 }, async () => {
    const e = await emergencyPatient(baseA);
    const { p } = e;
    const id = (await ws.raisedFor(e.conversation)).escalation.id;
    expectOk(await api(users.fran, 'POST', `/api/staff/escalations/${id}/claim`, {}), 'claim');
    await p.waitFor((f) => f.type === 'staff_joined', { what: 'staff_joined' });
    const detail = expectOk(await api(users.fran, 'GET', `/api/staff/escalations/${id}`), 'detail');
    assert.ok(Array.isArray(detail.hand_back_states) && detail.hand_back_states.length > 0, `hand_back_states: ${JSON.stringify(detail.hand_back_states)}`);
    for (const s of detail.hand_back_states) assert.ok(s.id && s.label, JSON.stringify(s));
    const state = detail.hand_back_states[0].id;

    const bad = await api(users.fran, 'POST', `/api/staff/escalations/${id}/hand-back`, { state: 'no_such_state_xyz' });
    assert.equal(bad.status, 400, `an unknown state is refused: ${JSON.stringify(bad.body)}`);

    const from = p.frames.length;
    const wsAt = ws.frames.length;
    const hb = expectOk(await api(users.fran, 'POST', `/api/staff/escalations/${id}/hand-back`, { state }), 'hand back');
    assert.equal(hb.escalation.status, 'handed_back');
    const left = await p.waitFor((f) => f.type === 'staff_left', { from, what: 'staff_left' });
    assert.equal(left.reason, 'handed_back');
    const leftAt = p.frames.indexOf(left);
    const bot = await p.waitFor((f) => f.type === 'bot', { from: leftAt + 1, what: 'bot after staff_left' });
    assert.ok(bot.text.length > 0);
    await ws.escalationEvent('handed_back', (x) => x.id === id, { from: wsAt });
    assert.ok(!(await queue(users.fran)).some((x) => x.id === id), 'a handed-back escalation leaves the queue');
    // The bot answers the patient again.
    const turn = await p.say('h1', 'what are your opening hours');
    assert.ok(turn.ack && turn.bots.length > 0, JSON.stringify(turn.frames));
  });
});

test('hand back while the patient is away: on their return the bot takes up at the chosen question', { timeout: 60000 }, async () => {
  const ws = await StaffSocket.connect(baseA, users.fran);
  const pt = await patient(baseA);
  const yes = await pt.p.say('w1', 'yes');
  assert.ok(yes.ack, JSON.stringify(yes.frames));
  const ask = await pt.p.say('w2', 'I want to talk to a person');
  assert.ok(ask.ack, JSON.stringify(ask.frames));
  await pt.p.waitFor((f) => f.type === 'end', { what: 'the bot hands off and ends' });
  const id = (await ws.raisedFor(pt.conversation)).escalation.id;
  expectOk(await api(users.fran, 'POST', `/api/staff/escalations/${id}/claim`, {}), 'claim');
  pt.p.close();
  expectOk(await api(users.fran, 'POST', `/api/staff/escalations/${id}/hand-back`, { state: 'reason' }), 'hand back');

  const back = await PatientClient.connect(baseA, { clinic: 'demo' });
  patients.push(back);
  back.send({ type: 'resume', v: 1, token: pt.started.token, last_seq: 0 });
  const resumed = await back.waitFor((f) => f.type === 'resumed', { what: 'resumed' });
  assert.equal(resumed.ended, false, `the conversation is open again: ${JSON.stringify(resumed)}`);
  const left = await back.waitFor((f) => f.type === 'staff_left', { what: 'staff_left' });
  const question = await back.waitFor((f) => f.type === 'bot' && f.seq > resumed.last_seq, { from: back.frames.indexOf(left), what: 'the bot asks again' });
  assert.ok(question.quick_replies.length > 0, JSON.stringify(question));
  assert.ok(!back.frames.some((f) => f.type === 'end'), 'no end frame');
  const turn = await back.say('b1', 'what are your opening hours');
  assert.ok(turn.ack && turn.bots.length > 0, JSON.stringify(turn.frames));
  back.close();

  // A second return does not repeat it: the hand-back was carried out once.
  const again = await PatientClient.connect(baseA, { clinic: 'demo' });
  patients.push(again);
  again.send({ type: 'resume', v: 1, token: pt.started.token, last_seq: turn.ack.seq });
  await again.waitFor((f) => f.type === 'resumed', { what: 'resumed again' });
  await again.barrier(); // the resume is handled in full before the ping is answered
  assert.ok(!again.frames.some((f) => f.type === 'staff_left'), `no second hand-back: ${JSON.stringify(again.frames)}`);
  await ws.close();
});

test('detail: transcript, red flags, intent; the view is audited; roles and clinics are enforced', { timeout: 60000 }, async () => {
  const ws = await StaffSocket.connect(baseA, users.fran);
  const e = await emergencyPatient(baseA);
  const id = (await ws.raisedFor(e.conversation)).escalation.id;

  const d = expectOk(await api(users.fran, 'GET', `/api/staff/escalations/${id}`), 'detail');
  assert.equal(d.escalation.id, id);
  assert.equal(d.escalation.conversation, e.conversation);
  const mine = d.transcript.find((t) => t.author === 'patient' && t.text === EMERGENCY);
  assert.ok(mine, `the transcript has the patient's message: ${JSON.stringify(d.transcript)}`);
  assert.equal(mine.seq, e.turn.ack.seq);
  assert.ok(d.transcript.some((t) => t.author === 'bot' && t.urgent === true), 'the safety instruction is in the transcript, marked urgent');
  const seqs = d.transcript.map((t) => t.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'transcript in seq order');
  assert.ok(Array.isArray(d.summary?.red_flags) && d.summary.red_flags.length > 0, JSON.stringify(d.summary));
  const matched = d.summary.red_flags.map((r) => r.matched).join(' | ');
  assert.match(matched, /chest pain|left arm/i, `red flags name the matched words: ${JSON.stringify(d.summary.red_flags)}`);
  assert.ok(d.summary.red_flags.every((r) => r.rule && r.urgency), JSON.stringify(d.summary.red_flags));
  assert.equal(d.triage?.urgency, 'emergency');
  const chest = d.triage.rules.find((r) => r.id === 'chest_pain');
  assert.ok(chest, JSON.stringify(d.triage.rules));
  assert.equal(EMERGENCY.slice(chest.span[0], chest.span[1]), chest.matched);
  assert.equal(typeof d.triage.intent?.confidence, 'number', JSON.stringify(d.triage.intent));
  assert.ok(d.triage.intent.confidence > 0 && d.triage.intent.confidence <= 1);
  assert.equal(typeof d.triage.intent.intent, 'string');
  assert.ok(Array.isArray(d.notes));
  assert.equal(d.linked, null);

  // The view is audited; the audit trail is for clinic admins and auditors only.
  const audit = expectOk(await api(users.ada, 'GET', `/api/staff/escalations/${id}/audit`), 'audit as admin');
  const viewed = audit.events.filter((ev) => ev.action === 'escalation.viewed');
  assert.ok(viewed.length >= 1, `escalation.viewed in the audit: ${JSON.stringify(audit.events)}`);
  assert.ok(viewed.some((ev) => JSON.stringify(ev).includes(users.fran.user.id)), `the viewer is named: ${JSON.stringify(viewed)}`);
  assert.ok(!JSON.stringify(audit).match(/crushing|left arm/i), 'no patient words in the audit');
  expectOk(await api(users.audrey, 'GET', `/api/staff/escalations/${id}/audit`), 'audit as auditor');
  const fdAudit = await api(users.fran, 'GET', `/api/staff/escalations/${id}/audit`);
  assert.equal(fdAudit.status, 403, JSON.stringify(fdAudit.body));
  assert.equal(fdAudit.body.error, 'forbidden');
  const auditorOpen = await api(users.audrey, 'GET', `/api/staff/escalations/${id}`);
  assert.equal(auditorOpen.status, 403, `an auditor may not open an escalation: ${JSON.stringify(auditorOpen.body)}`);
  assert.equal(auditorOpen.body.error, 'forbidden');
  const auditorClaim = await api(users.audrey, 'POST', `/api/staff/escalations/${id}/claim`, {});
  assert.equal(auditorClaim.status, 403, JSON.stringify(auditorClaim.body));
  const otherClinic = await api(users.otto, 'GET', `/api/staff/escalations/${id}`);
  assert.equal(otherClinic.status, 404, `another clinic's id is not_found: ${JSON.stringify(otherClinic.body)}`);
  assert.equal(otherClinic.body.error, 'not_found');
  assert.ok(!(await queue(users.otto)).some((x) => x.id === id), "another clinic's queue does not list it");
  // CSRF: a POST without the token is refused.
  const noCsrf = await request(baseA, 'POST', `/api/staff/escalations/${id}/claim`, { cookie: users.fran.cookie, body: {} });
  assert.equal(noCsrf.status, 403, JSON.stringify(noCsrf.body));
  assert.equal(noCsrf.body.error, 'csrf_failed');

  await tidy(users.fran, id);
  await ws.close();
});

test('a returning contact with an urgent complaint is escalated, linked to the earlier emergency', { timeout: 60000 }, async () => {
  const ws = await StaffSocket.connect(baseA, users.fran);
  const x = contactId();
  assert.equal(x.length, 43);
  const first = await emergencyPatient(baseA, { contact: x });
  const firstId = (await ws.raisedFor(first.conversation)).escalation.id;
  first.p.close();

  // Same contact, new conversation, an urgent (not escalating) complaint.
  const wsAt = ws.frames.length;
  const second = await patient(baseA, { contact: x });
  const t2 = await second.p.say('u1', URGENT);
  assert.ok(t2.ack, JSON.stringify(t2.frames));
  assert.ok(!t2.bots.some((b) => b.urgent), 'not an emergency');
  const news = await ws.waitFor((f) => f.type === 'escalation' && f.escalation.conversation === second.conversation,
    { from: wsAt, what: 'an escalation for the returning contact' });
  const secondId = news.escalation.id;
  assert.notEqual(secondId, firstId);
  const listed = (await queue(users.fran)).find((q) => q.id === secondId);
  assert.ok(listed, 'the linked escalation is in the queue');
  assert.equal(listed.linked_escalation, firstId, `linked_escalation: ${JSON.stringify(listed)}`);
  assert.equal(listed.urgency, 'urgent');
  const d = expectOk(await api(users.fran, 'GET', `/api/staff/escalations/${secondId}`), 'detail of the linked one');
  assert.equal(d.escalation.linked_escalation, firstId);
  assert.equal(d.linked?.id, firstId, `detail.linked: ${JSON.stringify(d.linked)}`);
  assert.equal(d.linked.urgency, 'emergency');

  // Another contact, the same words: nothing to link to, no escalation.
  const third = await patient(baseA, { contact: contactId() });
  const t3 = await third.p.say('u1', URGENT);
  assert.ok(t3.ack, JSON.stringify(t3.frames));
  // An escalation is stored in the same transaction as the turn, which is committed before the
  // ack: after the ack, the record already says whether there is one.
  assert.ok(!(await queue(users.fran)).some((q) => q.conversation === third.conversation), 'no escalation in the queue');
  assert.equal(psql(stack, `SELECT count(*) FROM escalations WHERE conversation_id = '${third.conversation}'`), '0');

  // A malformed contact is refused (the contract: base64url, 43 characters).
  const bad = await PatientClient.connect(baseA);
  patients.push(bad);
  bad.send({ type: 'start', v: 1, lang: 'en', contact: 'not a contact id' });
  const err = await bad.waitFor((f) => f.type === 'error' || f.type === 'started', { what: 'answer to a bad contact' });
  assert.equal(err.type, 'error', `a malformed contact is refused: ${JSON.stringify(err)}`);
  assert.equal(err.code, 'invalid_message');
  assert.equal(err.field, 'contact');

  await tidy(users.fran, secondId);
  await tidy(users.fran, firstId);
  await ws.close();
});

describe('service levels', () => {
  let hook;
  const calls = [];
  before(async () => {
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        calls.push({ method: req.method, url: req.url, headers: req.headers, body, at: Date.now() });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    // Generous values and no webhook again, whatever happened.
    try { triagectl('clinic', 'sla', 'other', '--renotify-after', '600', '--oncall-after', '1200', '--oncall-webhook', 'none', '--repeat-window-hours', '72'); } catch (e) { console.log(`# restoring the SLA failed: ${e.stderr ?? e}`); }
    await new Promise((r) => hook.close(r));
  });

  test('unclaimed: renotified, then the on-call webhook once (ids only), and the patient is told', { timeout: 60000 }, async () => {
    const url = `http://127.0.0.1:${hook.address().port}/oncall`;
    triagectl('clinic', 'sla', 'other', '--renotify-after', '1', '--oncall-after', '2', '--oncall-webhook', url, '--repeat-window-hours', '72');
    const ws = await StaffSocket.connect(baseA, users.otto);
    const words = canary();
    const text = `My name is ${words} and I have crushing chest pain spreading to my left arm`;

    // The change reaches running servers within about a second: an escalation raised before that
    // has the old timers, so try again (a few times) until one has the new ones.
    let e;
    let esc;
    const deadline = Date.now() + 8000;
    for (;;) {
      e = await emergencyPatient(baseA, { clinic: 'other', text });
      esc = (await ws.raisedFor(e.conversation)).escalation;
      const gap = Date.parse(esc.sla?.renotify_at) - Date.parse(esc.raised_at);
      if (gap <= 1500 || Date.now() > deadline) break;
      e.p.close();
      await sleep(300); // waiting for an external configuration change to propagate
    }
    assert.ok(esc.sla?.renotify_at && esc.sla?.oncall_at, `sla timers: ${JSON.stringify(esc)}`);
    const raised = Date.parse(esc.raised_at);
    assert.ok(Date.parse(esc.sla.renotify_at) - raised <= 1500, `renotify after ~1 s: ${JSON.stringify(esc.sla)} raised ${esc.raised_at}`);
    assert.ok(Date.parse(esc.sla.oncall_at) - raised <= 2500, `on-call after ~2 s: ${JSON.stringify(esc.sla)}`);
    const id = esc.id;

    const re = await ws.escalationEvent('renotified', (x) => x.id === id, { what: 'renotified' });
    assert.equal(re.escalation.renotified, true);
    const oc = await ws.escalationEvent('oncall', (x) => x.id === id, { what: 'oncall' });
    assert.equal(oc.escalation.oncall_sent, true);
    assert.ok(ws.frames.indexOf(re) < ws.frames.indexOf(oc), 'renotified before oncall');

    const notice = await e.p.waitFor((f) => f.type === 'notice' && f.code === 'still_waiting', { timeout: WAIT, what: 'still_waiting notice' });
    assert.equal(typeof notice.text, 'string');
    assert.ok(notice.text.length > 0);

    // The webhook: exactly once for this escalation, ids and codes only.
    const deadlineHook = Date.now() + WAIT;
    while (!calls.some((c) => c.body.includes(id)) && Date.now() < deadlineHook) await sleep(100); // an external HTTP call
    // Exactly once by construction: only the instance whose mark applied sends, and the mark
    // applies once (audited). Wait for the delivery's own audit row, then count everything.
    const audited = (action) => Number(psql(stack, `SELECT count(*) FROM audit_events WHERE action = '${action}' AND detail->>'escalation' = '${id}'`));
    while (audited('escalation.oncall_webhook') < 1 && Date.now() < deadlineHook) await sleep(100); // written after the HTTP call
    assert.equal(audited('escalation.oncall_sent'), 1, 'the on-call step is marked once');
    assert.equal(audited('escalation.oncall_webhook'), 1, 'and delivered once');
    const mine = calls.filter((c) => c.body.includes(id));
    assert.equal(mine.length, 1, `the on-call webhook is called exactly once for ${id}: ${JSON.stringify(calls)}`);
    assert.equal(mine[0].method, 'POST');
    const body = JSON.parse(mine[0].body);
    console.log(`# on-call webhook body: ${mine[0].body}`);
    assert.ok(JSON.stringify(body).includes(id), JSON.stringify(body));
    assert.ok(!mine[0].body.includes(words) && !/crushing|left arm/i.test(mine[0].body), `no patient words in the webhook: ${mine[0].body}`);
    assert.ok(!(e.started.token && mine[0].body.includes(e.started.token)), 'no conversation token in the webhook');

    const listed = (await queue(users.otto)).find((x) => x.id === id);
    assert.ok(listed, 'still open');
    assert.equal(listed.renotified, true);
    assert.equal(listed.oncall_sent, true);

    await tidy(users.otto, id);
    await ws.close();
  });
});

test('reconnect catch-up: an escalation raised while the console was away is in the next hello', { timeout: 60000 }, async () => {
  let ws = await StaffSocket.connect(baseC, users.fran);
  await ws.close();
  const e = await emergencyPatient(baseA);
  ws = await StaffSocket.connect(baseC, users.fran);
  const found = ws.hello.escalations.find((x) => x.conversation === e.conversation);
  assert.ok(found, `the hello snapshot has the escalation raised while away (${ws.hello.escalations.length} listed)`);
  assert.equal(found.urgency, 'emergency');
  // hello lists the open queue, highest priority first, then oldest first.
  const pri = ws.hello.escalations.map((x) => x.priority);
  for (let i = 1; i < pri.length; i++) assert.ok(pri[i] <= pri[i - 1], `priority order: ${pri.join(',')}`);
  await tidy(users.fran, found.id);
  await ws.close();
});
