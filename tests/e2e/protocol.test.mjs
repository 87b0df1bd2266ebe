// The patient WebSocket and HTTP surface against a running triaged (tests/peers/stack.sh):
// hostile frames get their documented error and the connection keeps answering (STYLE T4).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { loadStack } from '../lib/stack.mjs';
import WebSocket from 'ws';
import { PatientClient } from '../lib/patient_client.mjs';

let stack;
before(() => { stack = loadStack(); assert.ok(stack, 'TRIAGE_TEST_ENV_FILE must point at a running stack'); });

function rawGet(path) {
  const { hostname, port } = new URL(stack.base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname, () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    sock.on('data', (d) => { data += d; });
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
}

async function expectError(c, payload, code, field) {
  const from = c.frames.length;
  c.send(payload);
  const e = await c.waitFor((f) => f.type === 'error', { from, what: code });
  assert.equal(e.code, code, JSON.stringify(e));
  if (field) assert.equal(e.field, field);
  assert.ok(e.message.length > 0);
  await c.barrier(); // the same connection still answers
}

test('health and readiness', async () => {
  const h = await fetch(`${stack.base}/healthz`);
  assert.equal(h.status, 200);
  assert.deepEqual(await h.json(), { status: 'alive' });
  const r = await fetch(`${stack.base}/readyz`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: 'ready', redis: 'ok', postgres: 'ok' });
});

test('static files with content types and no traversal', async () => {
  const page = await fetch(`${stack.base}/chat/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.match(page.headers.get('content-security-policy'), /default-src 'self'/);
  const js = await fetch(`${stack.base}/chat/chat.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  // Raw requests: fetch would normalise "..", which is exactly what an attacker does not do.
  for (const bad of ['/../CMakeLists.txt', '/%2e%2e/CMakeLists.txt', '/chat/../../CMakeLists.txt', '/.git/config',
                     '/..%2fCMakeLists.txt']) {
    const reply = await rawGet(bad);
    assert.match(reply, /^HTTP\/1\.1 (400|404)/, `${bad} -> ${reply.split('\r\n')[0]}`);
    assert.doesNotMatch(reply, /cmake_minimum_required|\[core\]/);
  }
  assert.equal((await fetch(`${stack.base}/nope.html`)).status, 404);
});

test('CSP: sockets only to our own origin; the chat page framable by its clinic\'s portal, the staff console by nobody', async () => {
  const { host } = new URL(stack.base);
  const csp = (r) => Object.fromEntries(r.headers.get('content-security-policy').split(';').map((d) => d.trim().split(/\s+/))
    .map(([k, ...v]) => [k, v.join(' ')]));
  const chat = await fetch(`${stack.base}/chat/?clinic=demo`);
  assert.equal(csp(chat)['connect-src'], `'self' ws://${host}`);
  // The demo clinic registers http://portal.example.test (tests/peers/stack.sh).
  assert.equal(csp(chat)['frame-ancestors'], "'self' http://portal.example.test");
  assert.equal(chat.headers.get('x-frame-options'), null, 'CSP decides where a list of origins is allowed');
  const unknown = await fetch(`${stack.base}/chat/?clinic=no-such-clinic`);
  assert.equal(csp(unknown)['frame-ancestors'], "'self'");
  const staff = await fetch(`${stack.base}/staff/`);
  assert.equal(csp(staff)['frame-ancestors'], "'none'");
  assert.equal(staff.headers.get('x-frame-options'), 'DENY');
  const home = await fetch(`${stack.base}/`);
  assert.equal(csp(home)['frame-ancestors'], "'self'");
  assert.equal(home.headers.get('x-frame-options'), 'SAMEORIGIN');
  // A hostile Host header cannot widen connect-src.
  const { hostname, port } = new URL(stack.base);
  const reply = await new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname, () => {
      sock.write('GET /chat/ HTTP/1.1\r\nHost: evil.example; connect-src *\r\nConnection: close\r\n\r\n');
    });
    let data = '';
    sock.on('data', (d) => { data += d; });
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
  assert.match(reply, /connect-src 'self'; /);
});

test('upgrade from a foreign origin is refused (cross-site WebSocket hijacking)', async () => {
  await assert.rejects(PatientClient.connect(stack.base, { origin: 'https://evil.example' }), /HTTP 403/);
  // The clinic's configured portal origin is accepted.
  const ok = await PatientClient.connect(stack.base, { origin: 'http://portal.example.test' });
  ok.close();
  await assert.rejects(PatientClient.connect(stack.base, { clinic: 'no-such-clinic' }), /HTTP 404/);
});

// The upgrade's answer (status and JSON error code) for a patient socket URL query.
function refusal(query) {
  const url = stack.base.replace(/^http/, 'ws') + `/ws/patient${query}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Origin: stack.base } });
    ws.once('open', () => { ws.close(); reject(new Error(`${query} opened a conversation`)); });
    ws.once('error', () => {});
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        try { resolve({ status: res.statusCode, error: JSON.parse(body).error }); } catch (e) { reject(new Error(`${query}: ${res.statusCode} ${body}`)); }
      });
    });
  });
}

test('a patient socket names exactly one clinic: none or two are refused with a reason', async () => {
  assert.deepEqual(await refusal(''), { status: 400, error: 'clinic_required' });
  assert.deepEqual(await refusal('?clinic='), { status: 400, error: 'clinic_required' });
  assert.deepEqual(await refusal('?clinic=demo&clinic=demo'), { status: 400, error: 'clinic_repeated' });
  assert.deepEqual(await refusal('?clinic=demo&clinic=other'), { status: 400, error: 'clinic_repeated' });
  assert.deepEqual(await refusal('?clinic=no-such-clinic'), { status: 404, error: 'unknown_clinic' });
});

test('hostile frames get typed errors and the connection stays usable', async () => {
  const c = await PatientClient.connect(stack.base);
  await expectError(c, '{not json', 'invalid_json');
  await expectError(c, '[1,2,3]', 'invalid_message', 'type');
  await expectError(c, { type: 'teleport' }, 'unknown_type');
  await expectError(c, { type: 'message', id: 'm1', text: 'hi' }, 'not_started');
  await expectError(c, { type: 'start', v: 1, lang: 'en', admin: true }, 'unknown_field', 'admin');
  await expectError(c, { type: 'start', v: 99 }, 'unsupported_version');
  await expectError(c, '{"type":"ping","x":' + '['.repeat(50) + ']'.repeat(50) + '}', 'invalid_json');
  await c.start();
  await expectError(c, { type: 'message', id: 'm2', text: 12 }, 'invalid_message', 'text');
  await expectError(c, { type: 'message', text: 'hi' }, 'invalid_message', 'id');
  await expectError(c, { type: 'message', id: 'm3', text: 'x'.repeat(2001) }, 'invalid_message', 'text');
  await expectError(c, { type: 'start', v: 1 }, 'already_started');
  // Binary frames are refused but do not end the conversation.
  const from = c.frames.length;
  c.sendRaw(Buffer.from([1, 2, 3]), { binary: true });
  const e = await c.waitFor((f) => f.type === 'error', { from });
  assert.equal(e.code, 'binary_not_supported');
  const turn = await c.say('m4', 'hello');
  assert.ok(turn.ack, 'a valid message is still processed after all that');
  c.close();
});

test('an oversize frame closes with 1009, however big it is', async () => {
  // A frame of several megabytes is still arriving when the server refuses it; the close frame
  // must survive that (it did not when the socket was closed with unread bytes).
  for (const size of [70000, 1 << 20, 8 << 20]) {
    const c = await PatientClient.connect(stack.base);
    c.send({ type: 'message', id: 'big', text: 'x'.repeat(size) });
    const closed = await c.waitClose();
    assert.equal(closed.code, 1009, `a ${size}-byte frame`);
  }
});

test('a repeated key is invalid JSON and a NUL in a text is refused, on the same usable connection', async () => {
  const c = await PatientClient.connect(stack.base);
  await c.start();
  await expectError(c, '{"type":"message","id":"d1","text":"chest pain","text":"hello"}', 'invalid_json');
  const from = c.frames.length;
  c.send({ type: 'message', id: 'n1', text: 'my chest hurts\u0000 and my arm' });
  const e = await c.waitFor((f) => f.type === 'error', { from });
  assert.deepEqual([e.code, e.field, e.id], ['invalid_message', 'text', 'n1']);
  const turn = await c.say('ok1', 'hello');
  assert.ok(turn.ack);
  c.close();
});

// Writes raw bytes to the HTTP port and resolves with everything the server sent back.
function rawExchange(bytes) {
  const { hostname, port } = new URL(stack.base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname);
    let data = '';
    sock.on('connect', () => {
      // Write in pieces and stop quietly if the server has already answered and closed.
      const buf = Buffer.from(bytes);
      let at = 0;
      const pump = () => {
        while (at < buf.length) {
          const piece = buf.subarray(at, at + 65536);
          at += piece.length;
          if (!sock.write(piece)) { sock.once('drain', pump); return; }
        }
        sock.end();
      };
      pump();
    });
    sock.on('data', (d) => { data += d; });
    sock.on('close', () => resolve(data));
    sock.on('error', (err) => { if (err.code === 'EPIPE' || err.code === 'ECONNRESET') return; reject(err); });
  });
}

test('oversized headers get 431, an oversized body 413, a malformed request 400', async () => {
  const { hostname, port } = new URL(stack.base);
  const host = `${hostname}:${port}`;
  const bigHeader = await rawExchange(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-Filler: ${'a'.repeat(20000)}\r\n\r\n`);
  assert.match(bigHeader, /^HTTP\/1\.1 431 /);
  assert.match(bigHeader, /"error":"headers_too_large"/);
  const body = 'a'.repeat(4 << 20);
  const bigBody = await rawExchange(`POST /staff/api/login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
                                    `Content-Length: ${body.length}\r\n\r\n${body}`);
  assert.match(bigBody, /^HTTP\/1\.1 413 /);
  assert.match(bigBody, /"error":"body_too_large"/);
  const garbage = await rawExchange('NOT A REQUEST\r\n\r\n');
  assert.match(garbage, /^HTTP\/1\.1 400 /);
});

test('invalid UTF-8 in a text frame closes with 1007', async () => {
  const c = await PatientClient.connect(stack.base);
  // ws validates outgoing text only if asked; send raw bytes as a text frame.
  c.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
  const closed = await c.waitClose();
  assert.equal(closed.code, 1007);
});

test('a message flood is rate limited, not dropped silently', async () => {
  const c = await PatientClient.connect(stack.base);
  await c.start();
  const from = c.frames.length;
  for (let i = 0; i < 40; i++) c.send({ type: 'message', id: `f${i}`, text: 'hello' });
  await c.barrier(10000);
  const turn = c.frames.slice(from);
  for (let i = 0; i < 40; i++) {
    const answered = turn.some((f) => (f.type === 'ack' || f.type === 'error') && f.id === `f${i}`);
    assert.ok(answered, `message f${i} got neither an ack nor an error`);
  }
  assert.ok(turn.some((f) => f.type === 'error' && f.code === 'rate_limited'));
  c.close();
});
