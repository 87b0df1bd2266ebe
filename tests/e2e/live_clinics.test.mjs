// Clinics and their staff added while the servers run (issue 19): `triagectl clinic add` and
// `triagectl staff add` are picked up by every running instance, without a restart, the first
// time anyone asks for them (server/clinic_directory.hpp). Each test uses a clinic of its own.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { loadStack } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { login, request } from '../lib/staff_client.mjs';

let stack, tlsBase, ca;
before(() => {
  stack = loadStack();
  assert.ok(stack, 'TRIAGE_TEST_ENV_FILE must point at a running stack');
  tlsBase = process.env.TRIAGE_TEST_TLS_BASE_URL;
  ca = readFileSync(process.env.TRIAGE_TEST_TLS_CA);
});

const hex = () => randomBytes(4).toString('hex');

function triagectl(args, input) {
  return execFileSync(process.env.TRIAGE_TEST_TRIAGECTL, ['--config', join(stack.dir, 'a.yaml'), ...args],
    { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

function connectTls(clinic) {
  const ws = new WebSocket(`${tlsBase.replace(/^https/, 'wss')}/ws/patient?clinic=${clinic}`, { ca, headers: { Origin: tlsBase } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(new PatientClient(ws)));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

test('a clinic added with triagectl is served at once by both running instances', async () => {
  const slug = `live-${hex()}`;
  const out = triagectl(['clinic', 'add', slug, 'Live Pickup Clinic', '--origin', 'https://portal.live.example.test']);
  assert.match(out, new RegExp(`clinic ${slug} \\(Live Pickup Clinic\\) ready`));

  const a = await PatientClient.connect(stack.base, { clinic: slug });
  await a.start();
  const turn = await a.say('l1', 'hello');
  assert.ok(turn.ack, `a message at the new clinic is acknowledged: ${JSON.stringify(turn.frames)}`);
  a.close();
  const b = await connectTls(slug);
  await b.start();
  b.close();
  // Its registered portal origin may open the socket; a stranger still may not.
  const portal = await PatientClient.connect(stack.base, { clinic: slug, origin: 'https://portal.live.example.test' });
  portal.close();
  await assert.rejects(PatientClient.connect(stack.base, { clinic: slug, origin: 'https://evil.example' }), /HTTP 403/);
});

test('staff of a clinic added while running can sign in, and the session names their clinic', async () => {
  const slug = `live-${hex()}`;
  triagectl(['clinic', 'add', slug, 'Live Staff Clinic']);
  const email = `desk-${hex()}@live.example.test`;
  const password = `live-password-${hex()}-long-enough`;
  triagectl(['staff', 'add', slug, email, '--name', 'Live Desk', '--role', 'front_desk', '--password-stdin'], `${password}\n`);
  const s = await login(stack.base, { clinic: slug, email, password });
  assert.equal(s.user.clinic, slug);
  assert.equal(s.user.clinic_name, 'Live Staff Clinic');
  // The other instance knows the session's clinic too (read through by id).
  const me = await request(`${tlsBase}/api/staff/me`, { ca, headers: { Cookie: `__Host-triage_staff=${s.token}` } });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.user.clinic, slug);
  assert.equal(me.body.user.clinic_name, 'Live Staff Clinic');
});

test('a clinic that does not exist is still 404 unknown_clinic, and a bad origin is refused by triagectl', async () => {
  await assert.rejects(PatientClient.connect(stack.base, { clinic: `nowhere-${hex()}` }), /HTTP 404/);
  assert.throws(() => triagectl(['clinic', 'add', `bad-${hex()}`, 'Bad', '--origin', "https://x.example/'; script-src *"]),
    (e) => /is not an origin/.test(String(e.stderr)));
});
