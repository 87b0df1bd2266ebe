// The optional remote intent model, against tests/peers/scripted_llm.mjs: a SCRIPTED stand-in for
// an OpenAI-compatible endpoint (fixed answers keyed on markers in the text, no model). Instance
// "c" of the test stack uses it with a 400 ms deadline and a breaker that opens after 2 failures.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadStack } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { psql } from '../lib/db.mjs';

let stack, base, logFile;
before(() => {
  stack = loadStack();
  assert.ok(stack);
  base = process.env.TRIAGE_TEST_REMOTE_BASE_URL;
  logFile = process.env.TRIAGE_TEST_LLM_LOG;
  assert.ok(base && logFile);
});

function requests() {
  let text = '';
  try { text = readFileSync(logFile, 'utf8'); } catch { return []; }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

function remoteAudit(conversation) {
  const row = psql(stack, `SELECT detail->'remote_intent' FROM audit_events WHERE conversation_id = '${conversation}' AND action = 'message.received' ORDER BY id DESC LIMIT 1`);
  return row ? JSON.parse(row) : null;
}

function lastUrgency(conversation) {
  return psql(stack, `SELECT detail->>'urgency' FROM audit_events WHERE conversation_id = '${conversation}' AND action = 'message.received' ORDER BY id DESC LIMIT 1`);
}

async function consented() {
  const c = await PatientClient.connect(base);
  const started = await c.start();
  const ok = await c.say('consent', 'yes');
  assert.ok(ok.ack, JSON.stringify(ok.frames));
  return { c, conversation: started.conversation };
}

test('canary PHI never reaches the remote model, and its answer routes the flow', async () => {
  const canary = 'Zyxquor';
  const { c, conversation } = await consented();
  const before = requests().length;
  const turn = await c.say('p1', `Hi my name is ${canary} Smith, call me on 555-0142-77 or ${canary.toLowerCase()}@example.com, born 02/03/1961. SCRIPT_BILLING question about my bill`);
  assert.ok(turn.ack, JSON.stringify(turn.frames));
  const sent = requests().slice(before);
  assert.equal(sent.length, 1, 'one request for one message');
  const body = sent[0].body;
  for (const bad of [canary, canary.toLowerCase(), '555-0142-77', 'example.com', '02/03/1961']) {
    assert.ok(!body.includes(bad), `"${bad}" left the process: ${body}`);
  }
  for (const placeholder of ['[NAME]', '[PHONE]', '[EMAIL]', '[DATE]']) assert.ok(body.includes(placeholder), body);
  assert.equal(JSON.parse(body).model, 'scripted');
  // The scripted answer (billing) was used: the billing team's number is given.
  assert.ok(turn.bots.some((b) => /billing team/i.test(b.text)), JSON.stringify(turn.bots));
  const audit = remoteAudit(conversation);
  assert.equal(audit.outcome, 'answered');
  assert.equal(audit.intent, 'billing');
  assert.ok(audit.redactions >= 4);
  assert.ok(!JSON.stringify(audit).includes(canary));
  c.close();
});

test('an answer that is not one of our intents is ignored; the local model decides', async () => {
  const { c, conversation } = await consented();
  const turn = await c.say('j1', 'I would like to book an appointment please SCRIPT_JUNK');
  assert.ok(turn.ack);
  assert.equal(remoteAudit(conversation).outcome, 'ignored');
  assert.ok(turn.bots.some((b) => /kind of visit/i.test(b.text)), JSON.stringify(turn.bots));
  c.close();
});

test('a slow endpoint does not hold the patient up: past the deadline the local model answers', async () => {
  const { c, conversation } = await consented();
  const turn = await c.say('s1', 'I would like to book an appointment please SCRIPT_SLOW');
  assert.ok(turn.ack);
  assert.equal(remoteAudit(conversation).outcome, 'failed');
  assert.ok(turn.bots.some((b) => /kind of visit/i.test(b.text)), JSON.stringify(turn.bots));
  // A good answer closes the count of failures again.
  const ok = await c.say('s2', 'another question SCRIPT_BILLING');
  assert.ok(ok.ack);
  assert.equal(remoteAudit(conversation).outcome, 'answered');
  c.close();
});

test('the remote model may raise urgency but never lower it', async () => {
  const up = await consented();
  const t1 = await up.c.say('u1', 'I have a question about my knee SCRIPT_URGENT');
  assert.ok(t1.ack);
  assert.equal(lastUrgency(up.conversation), 'urgent');
  up.c.close();
  const down = await consented();
  const t2 = await down.c.say('u2', 'it burns when I pee and I keep needing to go SCRIPT_CALM');
  assert.ok(t2.ack);
  const audit = remoteAudit(down.conversation);
  assert.equal(audit.urgency, 'none');
  assert.equal(lastUrgency(down.conversation), 'urgent', 'the rules said urgent; the remote "none" changes nothing');
  down.c.close();
});

test('red flags never wait for the remote model', async () => {
  const { c } = await consented();
  const before = requests().length;
  const turn = await c.say('e1', 'crushing chest pain and I cannot breathe SCRIPT_SLOW');
  assert.ok(turn.bots.some((b) => b.urgent), JSON.stringify(turn.frames));
  assert.equal(requests().length, before, 'nothing was sent for an emergency');
  c.close();
});

test('after repeated failures the breaker opens and the endpoint is left alone', async () => {
  // Each failing message opens its own conversation and is its first message, so no successful
  // call comes in between (a success closes the count again). The breaker belongs to the
  // server (one I/O thread on instance "c"), not to a conversation.
  for (const id of ['b1', 'b2']) {
    const c = await PatientClient.connect(base);
    const started = await c.start();
    const t = await c.say(id, 'hello there SCRIPT_BROKEN');
    assert.ok(t.ack, JSON.stringify(t.frames));
    assert.equal(remoteAudit(started.conversation).outcome, 'failed');
    c.close();
  }
  const c = await PatientClient.connect(base);
  const started = await c.start();
  const before = requests().length;
  const t = await c.say('b3', 'yes');
  assert.ok(t.ack, JSON.stringify(t.frames));
  assert.equal(remoteAudit(started.conversation).outcome, 'breaker_open');
  assert.equal(requests().length, before, 'no request while the breaker is open');
  assert.ok(t.bots.length > 0, 'the local model answered instead');
  c.close();
});

test('SIGHUP reloads the intent model; a model that does not match its card is refused and the old one stays', async () => {
  const { readFileSync: read, writeFileSync: write } = await import('node:fs');
  const log = process.env.TRIAGE_TEST_REMOTE_SERVER_LOG;
  const pid = Number(read(process.env.TRIAGE_TEST_REMOTE_PID_FILE, 'utf8'));
  const model = process.env.TRIAGE_TEST_REMOTE_MODEL;
  const count = (what) => read(log, 'utf8').split('\n').filter((l) => l.includes(what)).length;
  async function signalled(what) {
    const before = count(what);
    process.kill(pid, 'SIGHUP');
    const deadline = Date.now() + 10000;
    while (count(what) === before) {
      assert.ok(Date.now() < deadline, `no ${what} in ${log}`);
      await new Promise((res) => setTimeout(res, 50)); // polling another process's log file
    }
  }
  await signalled('intents.reloaded');
  const good = read(model);
  const broken = Buffer.from(good);
  broken[broken.length - 1] ^= 0xff; // one byte changed: the checksum no longer matches the card
  write(model, broken);
  try {
    await signalled('intents.reload_failed');
    const { c } = await consented();
    const t = await c.say('h1', 'I would like to book an appointment please');
    assert.ok(t.ack, 'the model in force still answers');
    c.close();
  } finally {
    write(model, good);
  }
  await signalled('intents.reloaded');
});
