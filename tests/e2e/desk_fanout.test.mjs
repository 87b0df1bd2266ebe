// Escalations are announced to every instance over Redis pub/sub (the escalation desk's fan-out):
// the news carries ids and codes only, after the escalation is recorded in PostgreSQL.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadStack } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { psql } from '../lib/db.mjs';

let stack;
before(() => { stack = loadStack(); assert.ok(stack); });

// redis-cli prints each pushed message as lines: kind, channel, payload.
function listen(channel) {
  const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', stack.redisPort, 'SUBSCRIBE', channel]);
  const lines = [];
  const waiters = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    for (const w of [...waiters]) w();
  });
  const until = (pred, what, ms = 5000) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(lines)}`)), ms);
    const check = () => { const v = pred(lines); if (v) { clearTimeout(t); waiters.splice(waiters.indexOf(check), 1); resolve(v); } };
    waiters.push(check);
    check();
  });
  return { child, lines, until };
}

test('an emergency raised on one instance is announced on the desk channel, PHI-free, after it is recorded', async () => {
  const clinic = psql(stack, "SELECT id FROM clinics WHERE slug = 'demo'");
  const sub = listen(`triage:desk:${clinic}`);
  try {
    await sub.until((l) => l.includes('subscribe') && l.length >= 3, 'the subscription');
    const canary = `Canary${randomBytes(4).toString('hex')}`;
    const c = await PatientClient.connect(process.env.TRIAGE_TEST_REMOTE_BASE_URL);
    const started = await c.start();
    await c.say('f1', 'yes');
    const turn = await c.say('f2', `My name is ${canary} and I have crushing chest pain and my left arm is numb`);
    assert.match(turn.bots[0].text, /This may be an emergency/);
    const payload = await sub.until((l) => l.find((x) => x.includes('escalation.raised')), 'the announcement');
    const news = JSON.parse(payload);
    assert.equal(news.type, 'escalation.raised');
    assert.equal(news.conversation, started.conversation);
    assert.equal(news.clinic, clinic);
    assert.equal(news.urgency, 'emergency');
    assert.equal(news.reason, 'red_flag');
    assert.ok(!payload.includes(canary) && !/chest|arm/i.test(payload), 'no patient words in the news');
    const row = psql(stack, `SELECT urgency || ',' || conversation_id FROM escalations WHERE id = '${news.escalation}'`);
    assert.equal(row, `emergency,${started.conversation}`, 'the announced escalation is in PostgreSQL');
    c.close();
  } finally {
    sub.child.kill();
  }
});
