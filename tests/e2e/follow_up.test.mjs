// Red-flag questions before booking (nurse triage), over a real WebSocket with the real rules:
// a complaint that is not urgent becomes urgent on a yes, keeps its own urgency on three noes, and a
// red flag typed as an answer gets the emergency instruction at once. English and Spanish.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { loadStack } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';

let stack;
before(() => { stack = loadStack(); assert.ok(stack); });

function psql(sql) {
  return execFileSync('psql', ['-h', '127.0.0.1', '-p', stack.pgPort, '-U', 'postgres', '-d', 'triage', '-qtAc', sql]).toString().trim();
}

const LANG = {
  en: {
    consent: 'yes',
    complaint: 'my knee has been sore for a week',
    intro: /A few quick questions/,
    replies: ['Yes', 'No', 'Not sure'],
    urgent: /A nurse should check your symptoms today/,
    calm: /care for at home|Would you like to book one\?/,
    red: 'no, but now I can\'t breathe and my lips are blue',
  },
  es: {
    consent: 'sí',
    complaint: 'me duele la rodilla desde hace una semana',
    intro: /Unas preguntas rápidas/,
    replies: ['Sí', 'No', 'No estoy seguro'],
    urgent: /debe revisar sus síntomas hoy/,
    calm: /cuidar en casa|¿Quiere pedir una\?/,
    red: 'no, pero ahora no puedo respirar y tengo los labios morados',
  },
};

// Consent, then the complaint typed as the reason: returns the client, conversation and the first question.
async function complain(lang) {
  const c = await PatientClient.connect(stack.base);
  const started = await c.start(lang);
  let turn = await c.say('c1', LANG[lang].consent);
  assert.ok(turn.ack, JSON.stringify(turn.frames));
  turn = await c.say('c2', LANG[lang].complaint);
  assert.ok(turn.ack, JSON.stringify(turn.frames));
  const q = turn.last;
  assert.match(q.text, LANG[lang].intro, `the red-flag questions come before booking: ${JSON.stringify(turn.bots)}`);
  assert.deepEqual(q.quick_replies.map((r) => r.label), LANG[lang].replies);
  return { c, conversation: started.conversation, q };
}

function escalations(conversation) {
  return psql(`SELECT urgency FROM escalations WHERE conversation_id = '${conversation}' ORDER BY raised_at`).split('\n').filter(Boolean);
}

for (const lang of ['en', 'es']) {
  test(`${lang}: a yes makes a sore knee urgent and alerts the nurses`, async () => {
    const { c, conversation } = await complain(lang);
    assert.deepEqual(escalations(conversation), [], 'a sore knee alerts nobody before the answers');
    // The first question (cold, pale or numb limb) is an emergency question; the second (hot, red,
    // swollen joint or fever) makes it urgent.
    let turn = await c.say('c3', 'no');
    assert.ok(turn.ack);
    assert.deepEqual(escalations(conversation), [], 'a no alerts nobody');
    const yes = turn.last.quick_replies.find((r) => r.value === 'yes');
    assert.ok(yes, JSON.stringify(turn.last));
    turn = await c.say('c4', yes.value);
    assert.ok(turn.ack);
    assert.match(turn.last.text, LANG[lang].urgent, JSON.stringify(turn.bots));
    assert.deepEqual(escalations(conversation), ['urgent']);
    c.close();
  });

  test(`${lang}: three noes keep the message's own urgency (self-care or a visit for a sore knee, never urgent)`, async () => {
    const { c, conversation } = await complain(lang);
    let turn;
    for (let i = 0; i < 3; i++) {
      turn = await c.say(`n${i}`, 'no');
      assert.ok(turn.ack);
    }
    assert.ok(turn.bots.some((b) => LANG[lang].calm.test(b.text)), JSON.stringify(turn.bots));
    assert.deepEqual(escalations(conversation), []);
    c.close();
  });

  test(`${lang}: a red flag in an answer gets the emergency instruction at once`, async () => {
    const { c, conversation } = await complain(lang);
    const turn = await c.say('r1', LANG[lang].red);
    const urgentIdx = turn.frames.findIndex((f) => f.type === 'bot' && f.urgent);
    const ackIdx = turn.frames.findIndex((f) => f.type === 'ack');
    assert.ok(urgentIdx >= 0, `no urgent bot frame: ${JSON.stringify(turn.frames)}`);
    assert.ok(ackIdx > urgentIdx, 'the safety instruction does not wait for storage');
    assert.match(turn.frames[urgentIdx].text, /911/);
    assert.ok(escalations(conversation).includes('emergency'));
    c.close();
  });
}
