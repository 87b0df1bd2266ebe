// Red flags over a real WebSocket: the safety instruction comes before anything is stored, and
// keeps coming when Redis or PostgreSQL is down; other messages then get a clear not_saved, and
// the service recovers by itself when they return, without losing an acknowledged message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { loadStack, stackCommand } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';

let stack;
before(() => { stack = loadStack(); assert.ok(stack); });
after(() => {
  // Leave the stack as we found it even if a test failed half-way.
  try { stackCommand('start-redis'); } catch {}
  try { stackCommand('start-postgres'); } catch {}
});

const EMERGENCY = 'I have crushing chest pain and I cannot breathe';

async function waitReady(want) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const r = await fetch(`${stack.base}/readyz`).then((x) => x.json()).catch(() => null);
    if (r && want(r)) return r;
    if (Date.now() > deadline) throw new Error(`readyz never became as expected: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 100)); // polling an external state change, not synchronising our own code
  }
}

// As the postgres superuser: row-level security hides rows from the server's own role unless a
// clinic scope is set, and these checks look across the whole database.
function psql(sql) {
  return execFileSync('psql', ['-h', '127.0.0.1', '-p', stack.pgPort, '-U', 'postgres', '-d', 'triage', '-qtAc', sql]).toString().trim();
}

test('an emergency gets the urgent safety instruction before its ack, and an escalation is recorded', async () => {
  const c = await PatientClient.connect(stack.base);
  const started = await c.start();
  const turn = await c.say('e1', EMERGENCY);
  const urgentIdx = turn.frames.findIndex((f) => f.type === 'bot' && f.urgent);
  const ackIdx = turn.frames.findIndex((f) => f.type === 'ack');
  assert.ok(urgentIdx >= 0, `no urgent bot frame: ${JSON.stringify(turn.frames)}`);
  assert.ok(ackIdx > urgentIdx, 'the safety instruction must not wait for storage');
  assert.match(turn.frames[urgentIdx].text, /911/);
  // Tap to call (issue 18): the clinic's emergency number, dialable.
  assert.equal(turn.frames[urgentIdx].call, '911');
  assert.ok(turn.frames.filter((f) => f.type === 'bot' && !f.urgent).every((f) => f.call === undefined));
  const n = psql(`SELECT count(*) FROM escalations WHERE conversation_id = '${started.conversation}' AND urgency = 'emergency'`);
  assert.ok(Number(n) >= 1, 'an emergency escalation is stored');
  const audit = psql(`SELECT detail->>'pack' FROM audit_events WHERE conversation_id = '${started.conversation}' AND action = 'escalation.raised' LIMIT 1`);
  assert.match(audit, /core@/);
  // What staff will see: the rules that fired, where in the message, and why (with the source).
  const triage = JSON.parse(psql(`SELECT triage FROM escalations WHERE conversation_id = '${started.conversation}' AND urgency = 'emergency' LIMIT 1`));
  assert.ok(triage.rules.some((r) => r.id === 'chest_pain'), JSON.stringify(triage));
  const chest = triage.rules.find((r) => r.id === 'chest_pain');
  assert.match(EMERGENCY.slice(chest.span[0], chest.span[1]), /chest pain/);
  assert.match(triage.rationale, /AHA/);
  assert.match(triage.pack, /^core@/);
  c.close();
});

test('typos and run-together words still raise the alarm; history and questions do not', async () => {
  const c = await PatientClient.connect(stack.base);
  await c.start();
  const typo = await c.say('t1', 'my chest pian is bad and i cant breath');
  assert.ok(typo.bots.some((b) => b.urgent), JSON.stringify(typo.frames));
  c.close();
  for (const [id, text] of [['q1', 'what are the signs of a stroke?'], ['q2', 'I had a heart attack 5 years ago, can I renew my statins']]) {
    const p = await PatientClient.connect(stack.base);
    await p.start();
    const turn = await p.say(id, text);
    assert.ok(turn.ack, JSON.stringify(turn.frames));
    assert.ok(!turn.bots.some((b) => b.urgent), `${text}: ${JSON.stringify(turn.bots)}`);
    p.close();
  }
});

test('a negated symptom does not raise the alarm', async () => {
  const c = await PatientClient.connect(stack.base);
  await c.start();
  const turn = await c.say('n1', 'no chest pain, I just need to book a checkup');
  assert.ok(turn.ack);
  assert.ok(!turn.bots.some((b) => b.urgent), JSON.stringify(turn.bots));
  c.close();
});

test('Redis down: red flag still answered, others told not_saved, recovery after restart', async () => {
  const c = await PatientClient.connect(stack.base);
  await c.start();
  const ok = await c.say('r1', 'yes');
  assert.ok(ok.ack);
  stackCommand('stop-redis');
  try {
    await waitReady((r) => r.redis === 'unavailable');
    const plain = await c.say('r2', 'I would like to book an appointment');
    assert.equal(plain.error?.code, 'not_saved', JSON.stringify(plain.frames));
    assert.equal(plain.ack, undefined);
    const emergency = await c.say('r3', EMERGENCY);
    assert.ok(emergency.bots.some((b) => b.urgent && /911/.test(b.text)), JSON.stringify(emergency.frames));
  } finally {
    stackCommand('start-redis');
  }
  await waitReady((r) => r.redis === 'ok');
  // Redis restarted empty (no persistence in tests): the open connection still holds the state
  // and writes it back with its next turn, and a new conversation works at once.
  // Each I/O thread reconnects on its own schedule and readyz asks one of them, so, like the
  // widget, resend on not_saved until the message is stored.
  let same;
  for (let attempt = 0; attempt < 50; attempt++) {
    same = await c.say('r5', 'yes');
    if (same.ack || same.error?.code !== 'not_saved') break;
    await new Promise((res) => setTimeout(res, 100)); // waiting for an external reconnect, as the widget does
  }
  assert.ok(same.ack, JSON.stringify(same.frames));
  const keys = execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', stack.redisPort, '--scan']).toString();
  assert.ok(keys.trim().length > 0, 'the conversation state is back in Redis');
  const c2 = await PatientClient.connect(stack.base);
  await c2.start();
  const after = await c2.say('r4', 'yes');
  assert.ok(after.ack, JSON.stringify(after.frames));
  c.close();
  c2.close();
});

test('PostgreSQL down: red flag still answered, others told not_saved, no acknowledged message lost', async () => {
  const c = await PatientClient.connect(stack.base);
  const started = await c.start();
  const acked = await c.say('p1', 'yes');
  assert.ok(acked.ack);
  stackCommand('stop-postgres');
  try {
    await waitReady((r) => r.postgres === 'unavailable');
    const plain = await c.say('p2', 'I need a refill of my blood pressure pills');
    assert.equal(plain.error?.code, 'not_saved', JSON.stringify(plain.frames));
    const emergency = await c.say('p3', 'my wife collapsed and is not breathing');
    assert.ok(emergency.bots.some((b) => b.urgent && /911/.test(b.text)), JSON.stringify(emergency.frames));
  } finally {
    stackCommand('start-postgres');
  }
  await waitReady((r) => r.postgres === 'ok');
  // The client resends what was not saved; it is now processed and acknowledged.
  const resent = await c.say('p2', 'I need a refill of my blood pressure pills');
  assert.ok(resent.ack, JSON.stringify(resent.frames));
  // Every acknowledged patient message is in the database.
  const ids = psql(`SELECT string_agg(client_msg_id, ',' ORDER BY seq) FROM messages WHERE conversation_id = '${started.conversation}' AND author = 'patient'`);
  assert.deepEqual(ids.split(','), ['p1', 'p2']);
  c.close();
});

test('a clinic pack switching off a core red flag is recorded in the audit trail at start', () => {
  // Instance "b" loads tests/peers/clinic_pack.yaml, which disables heat_stroke.
  const rows = psql(`SELECT c.slug, a.actor, a.detail->>'rule', a.detail->>'approved_by', a.detail->>'packs' FROM audit_events a JOIN clinics c ON c.id = a.clinic_id WHERE a.action = 'rules.override_in_force' ORDER BY c.slug`)
    .split('\n').filter(Boolean).map((l) => l.split('|'));
  const slugs = rows.map((r) => r[0]);
  assert.ok(slugs.includes('demo') && slugs.includes('other'), `every clinic gets the record: ${JSON.stringify(rows)}`);
  for (const r of rows) {
    assert.equal(r[1], 'system');
    assert.equal(r[2], 'heat_stroke');
    assert.equal(r[3], 'Test Medical Director');
    assert.match(r[4], /^core@[^+]+\+clinic-test@1$/);
  }
});
