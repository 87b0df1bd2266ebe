// The patient's language, read from what they write (docs/flows.md, "The patient's language"):
// a conversation the widget started in English follows a patient who writes Spanish, with the
// safety instruction too; the language they picked themselves stays.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadStack } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { psql } from '../lib/db.mjs';

let stack;
before(() => { stack = loadStack(); assert.ok(stack); });

async function startedIn(lang, extra = {}) {
  const c = await PatientClient.connect(stack.base);
  const from = c.frames.length;
  c.send({ type: 'start', v: 1, lang, ...extra });
  const started = await c.waitFor((f) => f.type === 'started', { from, what: 'started' });
  await c.waitFor((f) => f.type === 'bot', { from, what: 'welcome' });
  return { c, started };
}

test('a Spanish first message in an English conversation continues in Spanish, and stays so', async () => {
  const { c, started } = await startedIn('en');
  const turn = await c.say('l1', 'tengo fiebre y dolor de cabeza desde ayer');
  assert.ok(turn.ack, JSON.stringify(turn.frames));
  const switched = turn.frames.find((f) => f.type === 'language');
  assert.deepEqual(switched, { type: 'language', lang: 'es' });
  assert.ok(turn.frames.indexOf(switched) < turn.frames.indexOf(turn.bots[0]), 'the switch comes before the replies');
  assert.match(turn.bots.map((b) => b.text).join(' '), /¿Quiere continuar con el asistente\?/);
  // A short answer does not switch back, and the conversation goes on in Spanish.
  const yes = await c.say('l2', 'ok');
  assert.ok(!yes.frames.some((f) => f.type === 'language'), JSON.stringify(yes.frames));
  assert.match(yes.bots.map((b) => b.text).join(' '), /[áéíóúñ¿]/, JSON.stringify(yes.bots));
  c.close();
  // Resuming tells the widget the language in force.
  const r = await PatientClient.connect(stack.base);
  r.send({ type: 'resume', v: 1, token: started.token, last_seq: 0 });
  const resumed = await r.waitFor((f) => f.type === 'resumed');
  assert.equal(resumed.lang, 'es');
  r.close();
});

test('an emergency written in Spanish gets the instruction in Spanish at once', async () => {
  const { c, started } = await startedIn('en');
  const turn = await c.say('e1', 'mi esposo no puede respirar y tiene los labios morados');
  const urgent = turn.bots.find((b) => b.urgent);
  assert.ok(urgent, JSON.stringify(turn.frames));
  assert.match(urgent.text, /Llame al 911/);
  assert.equal(urgent.call, '911');
  const esc = psql(stack, `SELECT urgency FROM escalations WHERE conversation_id = '${started.conversation}'`);
  assert.equal(esc, 'emergency');
  c.close();
});

test('a language the patient picked is kept whatever they write', async () => {
  const { c } = await startedIn('en', { lang_chosen: true });
  const turn = await c.say('k1', 'quiero hacer una cita para mi hijo por favor');
  assert.ok(turn.ack);
  assert.ok(!turn.frames.some((f) => f.type === 'language'), JSON.stringify(turn.frames));
  assert.match(turn.bots.map((b) => b.text).join(' '), /continue with the assistant/i);
  c.close();
});

test('lang_chosen must be a boolean', async () => {
  const c = await PatientClient.connect(stack.base);
  c.send({ type: 'start', v: 1, lang: 'es', lang_chosen: 'yes' });
  const err = await c.waitFor((f) => f.type === 'error');
  assert.equal(err.code, 'invalid_message');
  assert.equal(err.field, 'lang_chosen');
  c.close();
});
