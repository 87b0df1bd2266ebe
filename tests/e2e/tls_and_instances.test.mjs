// The TLS listener (instance "b") and two instances sharing Redis and PostgreSQL: a conversation
// started on one instance resumes on the other.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import https from 'node:https';
import WebSocket from 'ws';
import { loadStack } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';

let stack, ca, tlsBase;
before(() => {
  stack = loadStack();
  assert.ok(stack);
  tlsBase = process.env.TRIAGE_TEST_TLS_BASE_URL;
  ca = readFileSync(process.env.TRIAGE_TEST_TLS_CA);
});

function get(url) {
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

function tlsHandshake(flag) {
  const { port } = new URL(tlsBase);
  const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, flag, '-brief'], { input: '', timeout: 10000 });
  return r.status === 0 && /Protocol version/i.test(r.stderr.toString() + r.stdout.toString());
}

test('HTTPS with HSTS, TLS 1.2 and 1.3 accepted, TLS 1.1 refused', async () => {
  assert.match(tlsBase, /^https:/);
  const h = await get(`${tlsBase}/healthz`);
  assert.equal(h.status, 200);
  assert.match(h.headers['strict-transport-security'], /max-age=/);
  assert.ok(tlsHandshake('-tls1_3'), 'TLS 1.3 handshake');
  assert.ok(tlsHandshake('-tls1_2'), 'TLS 1.2 handshake');
  assert.ok(!tlsHandshake('-tls1_1'), 'TLS 1.1 must be refused');
});

test('a conversation started on one instance resumes on the other, over wss', async () => {
  const a = await PatientClient.connect(stack.base);
  const started = await a.start();
  const t1 = await a.say('x1', 'yes');
  assert.ok(t1.ack);
  const last = Math.max(...a.frames.filter((f) => f.seq).map((f) => f.seq));
  a.close();

  const url = tlsBase.replace(/^https/, 'wss') + '/ws/patient?clinic=demo';
  const ws = new WebSocket(url, { ca, headers: { Origin: tlsBase } });
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  const b = new PatientClient(ws);
  b.send({ type: 'resume', v: 1, token: started.token, last_seq: 0 });
  const resumed = await b.waitFor((f) => f.type === 'resumed');
  assert.equal(resumed.last_seq, last);
  await b.barrier();
  const seqs = b.frames.filter((f) => f.seq).map((f) => f.seq);
  assert.deepEqual(seqs, Array.from({ length: last }, (_, i) => i + 1), 'the whole transcript, in order');
  assert.ok(b.frames.some((f) => f.type === 'patient' && f.id === 'x1' && f.text === 'yes'));
  const t2 = await b.say('x2', 'I want to book an appointment');
  assert.ok(t2.ack);
  assert.equal(t2.ack.seq, last + 1);
  b.close();
});
