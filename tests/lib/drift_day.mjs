// A scripted day of patient traffic for the drift tests (tests/e2e/drift.test.mjs and
// tests/browser/analytics.test.mjs), in a clinic of its own made with triagectl.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { psql } from './db.mjs';
import { PatientClient } from './patient_client.mjs';

function triagectl(stack, args, input) {
  return execFileSync(process.env.TRIAGE_TEST_TRIAGECTL, ['--config', join(stack.dir, 'a.yaml'), ...args],
    { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

// The share of a clinic's quiet conversations put in its review sample, set as an operator does.
export function setReviewShare(stack, slug, percent) {
  return triagectl(stack, ['clinic', 'sla', slug, '--review-sample', String(percent)]);
}

// A new clinic (days in UTC) with one clinic admin; returns what signing in needs.
export function driftClinic(stack, prefix = 'drift', name = 'Drift Clinic') {
  const slug = `${prefix}-${randomBytes(4).toString('hex')}`;
  triagectl(stack, ['clinic', 'add', slug, name, '--time-zone', 'UTC']);
  const email = `admin@${slug}.test`;
  const password = `drift-password-${randomBytes(4).toString('hex')}`;
  triagectl(stack, ['staff', 'add', slug, email, '--name', 'Dora', '--role', 'clinic_admin', '--password-stdin'], `${password}\n`);
  return { slug, email, password, id: psql(stack, `SELECT id FROM clinics WHERE slug = '${slug}'`) };
}

// The ordinary day: [language, consent answer, message, who it is about (as the script wrote it)].
export const ordinaryDay = [
  ...Array(4).fill(['en', 'yes', 'I would like to book an appointment for a checkup', 'unstated']),
  ...Array(4).fill(['en', 'yes', 'can I get a refill of my blood pressure medication', 'unstated']),
  ...Array(4).fill(['en', 'yes', 'I have had a sore throat and a mild cough for three days', 'unstated']),
  ...Array(2).fill(['en', 'yes', 'what time do you open on saturday', 'unstated']),
  ...Array(2).fill(['en', 'yes', 'my son has had a runny nose for a week', 'child']),
  ...Array(2).fill(['es', 'si', 'quisiera una cita para un control', 'unstated']),
];
// A burst of Spanish conversations, each with two more messages after the first.
export const spanishBurst = Array(12).fill(['es', 'si', 'necesito una cita para la semana que viene', 'unstated']);
export const spanishExtras = ['quiero cambiar mi cita', 'gracias'];

// Sends each conversation of a script; returns how many patient messages were sent by language
// and age group ({"en/unstated": n, ...}).
export async function sendDay(base, slug, script, extras = []) {
  const sent = {};
  for (const [i, [lang, consent, text, age]] of script.entries()) {
    const p = await PatientClient.connect(base, { clinic: slug });
    try {
      await p.start(lang);
      const messages = [consent, text, ...(lang === 'es' ? extras : [])];
      for (const [j, m] of messages.entries()) {
        const turn = await p.say(`d${i}-${j}`, m);
        assert.ok(turn.ack, `message ${i}/${j} acknowledged: ${JSON.stringify(turn.frames)}`);
        const key = `${lang}/${m === text ? age : 'unstated'}`;
        sent[key] = (sent[key] ?? 0) + 1;
      }
    } finally {
      p.close();
    }
  }
  return sent;
}

// The reference window: the clinic's message rows, as the product wrote them, copied to each of
// the seven days before the last day (the audit trail takes inserts, never updates).
export function copyToReference(stack, clinicId) {
  psql(stack, `INSERT INTO audit_events (at, clinic_id, actor, action, conversation_id, detail)
    SELECT a.at - make_interval(days => d), a.clinic_id, a.actor, a.action, a.conversation_id, a.detail
    FROM audit_events a, generate_series(2, 8) d
    WHERE a.clinic_id = '${clinicId}' AND a.action = 'message.received'`);
}
