// A whole conversation through the default flow over a real WebSocket, with a reconnect and
// resume in the middle, resends that must not be processed twice, and canary PHI that must not
// appear in logs, Redis or a pg_dump.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadStack } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';

let stack;
before(() => { stack = loadStack(); assert.ok(stack); });

function pick(bot, re) {
  const q = (bot?.quick_replies ?? []).find((r) => re.test(r.label) || re.test(r.value));
  assert.ok(q, `no quick reply matching ${re} in ${JSON.stringify(bot)}`);
  return q;
}

test('booking request through the default flow, with reconnect and resume in the middle', async () => {
  const c = await PatientClient.connect(stack.base);
  const started = await c.start();
  const welcome = c.lastBot();
  assert.match(welcome.text, /automated assistant/i, 'the AI disclosure comes first');
  let turn = await c.say('b1', pick(welcome, /^yes$/i).value);
  assert.ok(turn.ack);
  turn = await c.say('b2', pick(turn.last, /book/i).value);
  assert.ok(turn.ack);
  const beforeDrop = Math.max(...c.frames.filter((f) => f.seq).map((f) => f.seq));
  const pendingQuestion = turn.last;
  c.ws.terminate(); // network drop

  // Reconnect: resume replays nothing we already have, and the flow continues where it was.
  const r = await PatientClient.connect(stack.base);
  r.send({ type: 'resume', v: 1, token: started.token, last_seq: beforeDrop - 1 });
  const resumed = await r.waitFor((f) => f.type === 'resumed');
  assert.equal(resumed.conversation, started.conversation);
  assert.equal(resumed.last_seq, beforeDrop);
  await r.barrier();
  const replayed = r.frames.filter((f) => f.seq);
  assert.deepEqual(replayed.map((f) => f.seq), [beforeDrop], 'exactly the one entry after last_seq');
  assert.equal(replayed[0].text, pendingQuestion.text);

  // Answer the booking questions with quick replies or a date until a booking request is made.
  let bot = pendingQuestion;
  let n = 3;
  for (; n < 10; n++) {
    const value = bot.quick_replies?.length ? bot.quick_replies[0].value
      : /phone|number/i.test(bot.text) ? '555-0100'
        : /date of birth/i.test(bot.text) ? '02/14/1980' : 'tomorrow';  // a birth date to come is refused
    turn = await r.say(`b${n}`, value);
    assert.ok(turn.ack, JSON.stringify(turn.frames));
    bot = turn.last;
    if (turn.bots.some((b) => /request|front desk/i.test(b.text))) break;
  }
  assert.ok(n < 10, 'the booking path ends in a request to staff');
  const allSeqs = r.frames.filter((f) => f.seq).map((f) => f.seq);
  assert.equal(new Set(allSeqs).size, allSeqs.length, 'no sequence number twice');

  // A resend of an already acknowledged message gets the same ack and is not processed again.
  const firstAck = r.frames.find((f) => f.type === 'ack' && f.id === 'b3');
  const again = await r.say('b3', 'anything');
  assert.deepEqual(again.ack, firstAck);
  assert.equal(again.bots.length, 0);
  r.close();
});

test('resume with an unknown token is refused plainly', async () => {
  const c = await PatientClient.connect(stack.base);
  const from = c.frames.length;
  c.send({ type: 'resume', v: 1, token: 'not-a-real-token', last_seq: 0 });
  const e = await c.waitFor((f) => f.type === 'error', { from });
  assert.equal(e.code, 'unknown_conversation');
  c.close();
});

test('canary PHI appears neither in logs, nor in Redis, nor in plaintext in pg_dump', async () => {
  const canary = `CANARY-${randomBytes(6).toString('hex')}`;
  const c = await PatientClient.connect(stack.base);
  const started = await c.start();
  await c.say('c1', 'yes');
  await c.say('c2', `My name is ${canary} Smith, born 1961-02-03, phone 555-0100, I have chest pain ${canary}`);
  await c.say('c3', `please call ${canary} back`);
  // Errors must not echo patient text either.
  c.send(`{"type":"message","id":"c4","text":"${canary}","extra":"${canary}"}`);
  await c.barrier();
  for (const f of c.frames.filter((x) => x.type === 'error')) assert.ok(!JSON.stringify(f).includes(canary));
  c.close();

  const log = readFileSync(stack.serverLog, 'utf8');
  assert.ok(log.length > 0);
  assert.ok(!log.includes(canary), 'server log holds the canary');
  assert.ok(log.includes(started.conversation) || log.includes('conversation.started'));

  const keys = execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', stack.redisPort, '--scan']).toString().split('\n').filter(Boolean);
  assert.ok(keys.length > 0);
  for (const k of keys) {
    assert.ok(!k.includes(canary));
    const dump = execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', stack.redisPort, '--no-raw', 'HGETALL', k]).toString();
    assert.ok(!dump.includes(canary), `Redis key ${k} holds the canary`);
  }

  const dump = execFileSync('pg_dump', ['-h', '127.0.0.1', '-p', stack.pgPort, '-U', 'postgres', '-d', 'triage'], { maxBuffer: 1 << 28 });
  assert.ok(dump.length > 1000);
  assert.ok(!dump.includes(Buffer.from(canary)), 'pg_dump holds the canary in plaintext');
  assert.ok(!dump.includes(Buffer.from('555-0100')), 'pg_dump holds the phone number in plaintext');
});

test('a request at the consent question is acknowledged, and after yes the patient goes straight to it (en, es)', async () => {
  // Issue 18: "I would like to book a visit" here used to end the conversation with an escalation.
  for (const [lang, request, ack, next] of [
    ['en', 'I would like to book a visit', /I can help with that \(Book a visit\)/, /What kind of visit/],
    ['es', 'quiero pedir una cita para la semana que viene', /Puedo ayudarle con eso \(Pedir una cita\)/, /Qué tipo de (cita|consulta|visita)/i],
  ]) {
    const c = await PatientClient.connect(stack.base);
    await c.start(lang);
    const t1 = await c.say(`${lang}-r1`, request);
    assert.ok(t1.ack);
    assert.match(t1.last.text, ack, JSON.stringify(t1.bots));
    assert.deepEqual(t1.last.quick_replies.map((q) => q.value), ['yes', 'no']);
    assert.ok(!t1.frames.some((f) => f.type === 'end'), 'the conversation goes on');
    const t2 = await c.say(`${lang}-r2`, 'yes');
    assert.match(t2.last.text, next, JSON.stringify(t2.bots));
    c.close();
  }
});
