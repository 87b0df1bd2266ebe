#!/usr/bin/env node
// Escalation fan-out latency under background chat load (prints figures; asserts nothing).
//
// N background patients chat on instance "a" at a steady rate (opening hours questions and "yes",
// never a red flag) while M emergencies are sent, one every --interval-ms, each from a fresh
// patient on instance "a". A staff WebSocket on instance "c" (signed in as front desk) measures the
// time from the patient's send to the `escalation` frame with event `raised` for that conversation
// (matched by the conversation id of the patient's `started` frame). Baseline, same run: the staff
// WebSocket's ping/pong round trip on "c".
//
//   tests/peers/stack.sh start /tmp/bench-stack
//   TRIAGE_TEST_ENV_FILE=/tmp/bench-stack/env node bench/desk_fanout.mjs [--patients 50] [--emergencies 200]
//
// Options: --base-a URL --base-c URL (default: TRIAGE_TEST_BASE_URL / TRIAGE_TEST_REMOTE_BASE_URL
// from the env file), --patients N (50), --emergencies M (200), --interval-ms MS (100),
// --rate R (background messages per second per patient, 0.5), --clinic SLUG (demo),
// --email E (frontdesk@demo.test), --password P (frontdesk-local-pass), --drain-ms MS (15000).
// It starts nothing; every emergency leaves an open escalation behind (fine on a bench stack).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

// 'ws' is installed in tests/node_modules (tests/package.json), not next to this file.
const require = createRequire(new URL('../tests/package.json', import.meta.url));
const WebSocket = require('ws');

const { values: opt } = parseArgs({
  options: {
    'base-a': { type: 'string' },
    'base-c': { type: 'string' },
    patients: { type: 'string', default: '50' },
    emergencies: { type: 'string', default: '200' },
    'interval-ms': { type: 'string', default: '100' },
    rate: { type: 'string', default: '0.5' },
    clinic: { type: 'string', default: 'demo' },
    email: { type: 'string', default: 'frontdesk@demo.test' },
    password: { type: 'string', default: 'frontdesk-local-pass' },
    'drain-ms': { type: 'string', default: '15000' },
    consoles: { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  console.log('usage: TRIAGE_TEST_ENV_FILE=DIR/env node bench/desk_fanout.mjs [--base-a URL] [--base-c URL] [--patients N] [--emergencies M] [--interval-ms MS] [--rate R] [--drain-ms MS] [--consoles K]');
  process.exit(0);
}

const env = {};
if (process.env.TRIAGE_TEST_ENV_FILE) {
  for (const line of readFileSync(process.env.TRIAGE_TEST_ENV_FILE, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
}
const baseA = (opt['base-a'] ?? process.env.TRIAGE_TEST_BASE_URL ?? env.TRIAGE_TEST_BASE_URL ?? '').replace(/\/+$/, '');
const baseC = (opt['base-c'] ?? process.env.TRIAGE_TEST_REMOTE_BASE_URL ?? env.TRIAGE_TEST_REMOTE_BASE_URL ?? '').replace(/\/+$/, '');
if (!baseA || !baseC) {
  console.error('desk_fanout: need --base-a and --base-c, or TRIAGE_TEST_ENV_FILE naming a stack env file (tests/peers/stack.sh start DIR)');
  process.exit(2);
}
const N = Number(opt.patients);
const M = Number(opt.emergencies);
const INTERVAL = Number(opt['interval-ms']);
const RATE = Number(opt.rate);
const DRAIN = Number(opt['drain-ms']);
const CLINIC = opt.clinic;
const K = Math.max(1, Number(opt.consoles));

const EMERGENCY = 'I have crushing chest pain spreading to my left arm';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- A minimal JSON WebSocket with waiting by predicate -----------------------------------------
function open(url, headers) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const frames = [];
    const waiters = new Set();
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      frames.push(f);
      if (ws.onframe) ws.onframe(f);
      for (const w of [...waiters]) w();
    });
    ws.on('close', () => { for (const w of [...waiters]) w(); });
    ws.waitFor = (pred, timeout = 10000, from = 0) => new Promise((res, rej) => {
      const check = () => {
        const f = frames.find((x, i) => i >= from && pred(x));
        if (f) { waiters.delete(check); clearTimeout(t); res(f); return; }
        if (ws.readyState > 1) { waiters.delete(check); clearTimeout(t); rej(new Error('closed')); }
      };
      const t = setTimeout(() => { waiters.delete(check); rej(new Error('timeout')); }, timeout);
      waiters.add(check);
      check();
    });
    ws.frames = frames;
    ws.json = (o) => ws.send(JSON.stringify(o));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_q, r) => reject(new Error(`HTTP ${r.statusCode} for ${url}`)));
  });
}

const patientUrl = (base) => `${base.replace(/^http/, 'ws')}/ws/patient?clinic=${CLINIC}`;

async function startPatient(base) {
  const ws = await open(patientUrl(base), { Origin: base });
  ws.json({ type: 'start', v: 1, lang: 'en' });
  const started = await ws.waitFor((f) => f.type === 'started' || f.type === 'error');
  if (started.type !== 'started') throw new Error(`start: ${JSON.stringify(started)}`);
  await ws.waitFor((f) => f.type === 'bot');
  return { ws, conversation: started.conversation };
}

// ---- Staff sign-in and socket on instance c ------------------------------------------------------
async function staffSocket() {
  const res = await fetch(`${baseC}/api/staff/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: baseC },
    body: JSON.stringify({ clinic: CLINIC, email: opt.email, password: opt.password }),
  });
  if (res.status !== 200) throw new Error(`staff login: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => /^(__Host-)?triage_staff=/.test(c))?.split(';')[0];
  if (!cookie) throw new Error('staff login: no session cookie');
  const ws = await open(`${baseC.replace(/^http/, 'ws')}/ws/staff`, { Origin: baseC, Cookie: cookie });
  await ws.waitFor((f) => f.type === 'hello');
  return ws;
}

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'n/a');

// ---- Background patients --------------------------------------------------------------------------
// The default flow: welcome → "yes" → reason; "opening hours" → hours_info → anything_else; "yes" →
// reason again; and so on. A conversation that ends anyway is replaced by a fresh one.
const bg = { acked: 0, errors: 0, restarts: 0, running: true };
async function backgroundPatient(i) {
  const period = 1000 / RATE;
  await sleep(Math.random() * period); // spread the patients over one period
  const texts = ['yes', 'what are your opening hours'];
  let next = performance.now();
  let n = 0;
  while (bg.running) {
    let p;
    try {
      p = await startPatient(baseA);
    } catch {
      bg.errors++;
      await sleep(500);
      continue;
    }
    let ended = false;
    while (bg.running && !ended) {
      next += period;
      const id = `b${i}-${n++}`;
      const from = p.ws.frames.length;
      p.ws.json({ type: 'message', id, text: texts[n % 2 === 1 ? 0 : 1] });
      try {
        const f = await p.ws.waitFor((x) => (x.type === 'ack' && x.id === id) || (x.type === 'error' && x.id === id) || x.type === 'end', 10000, from);
        if (f.type === 'ack') bg.acked++;
        else if (f.type === 'end' || f.code === 'conversation_ended') ended = true;
        else bg.errors++;
      } catch {
        bg.errors++;
        ended = true;
      }
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
    if (ended) bg.restarts++;
    p.ws.terminate();
  }
}

async function main() {
  console.log(`desk_fanout: patients on ${baseA}, staff socket on ${baseC}; ${N} background patients at ${RATE} msg/s each, ${M} emergencies every ${INTERVAL} ms`);
  const staff = await staffSocket();
  // More consoles on c, each signed in on its own: the latency counted is until the last of
  // them has the escalation.
  const others = [];
  for (let i = 1; i < K; i++) others.push(await staffSocket());

  // Baseline: staff WebSocket ping/pong round trip on c.
  const rtt = [];
  for (let i = 0; i < 50; i++) {
    const from = staff.frames.length;
    const t = performance.now();
    staff.json({ type: 'ping' });
    await staff.waitFor((f) => f.type === 'pong', 5000, from);
    rtt.push(performance.now() - t);
  }
  rtt.sort((x, y) => x - y);

  const sentAt = new Map();    // conversation id → performance.now() of the emergency send
  const latency = new Map();   // conversation id → ms
  const seen = new Map();      // conversation id → consoles that have it
  const onframe = (f) => {
    if (f.type !== 'escalation' || f.event !== 'raised') return;
    const conv = f.escalation?.conversation;
    const t0 = sentAt.get(conv);
    if (t0 === undefined || latency.has(conv)) return;
    const n = (seen.get(conv) ?? 0) + 1;
    seen.set(conv, n);
    if (n === K) latency.set(conv, performance.now() - t0);
  };
  for (const s of [staff, ...others]) s.onframe = onframe;

  const background = Array.from({ length: N }, (_, i) => backgroundPatient(i));
  await sleep(Math.min(3000, 1000 / RATE + 500)); // let the background load reach its rate
  const bgStart = { t: performance.now(), acked: bg.acked };

  const em = { started: 0, failed: 0, noUrgent: 0 };
  const emergencies = [];
  const t0 = performance.now();
  for (let i = 0; i < M; i++) {
    const due = t0 + i * INTERVAL;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    emergencies.push((async () => {
      let p;
      try {
        p = await startPatient(baseA);
        em.started++;
        const from = p.ws.frames.length;
        sentAt.set(p.conversation, performance.now());
        p.ws.json({ type: 'message', id: 'e1', text: EMERGENCY });
        const ack = await p.ws.waitFor((f) => (f.type === 'ack' || f.type === 'error') && f.id === 'e1', 10000, from);
        if (ack.type !== 'ack') em.failed++;
        if (!p.ws.frames.slice(from).some((f) => f.type === 'bot' && f.urgent)) em.noUrgent++;
      } catch {
        em.failed++;
      } finally {
        p?.ws.close();
      }
    })());
  }
  await Promise.all(emergencies);
  const deadline = performance.now() + DRAIN;
  while (latency.size < sentAt.size && performance.now() < deadline) await sleep(100);
  const bgEnd = { t: performance.now(), acked: bg.acked };
  bg.running = false;
  await Promise.race([Promise.all(background), sleep(12000)]);
  staff.close();
  for (const s of others) s.close();

  const lat = [...latency.values()].sort((x, y) => x - y);
  const bgRate = (bgEnd.acked - bgStart.acked) / ((bgEnd.t - bgStart.t) / 1000);
  console.log(`baseline staff ping/pong on c: p50 ${ms(pct(rtt, 50))}  p99 ${ms(pct(rtt, 99))}  max ${ms(rtt.at(-1))}`);
  console.log(`escalation fan-out (patient send on a → raised frame on ${K === 1 ? 'a console' : `all ${K} consoles`} on c): count ${lat.length}/${M}` +
    `  p50 ${ms(pct(lat, 50))}  p90 ${ms(pct(lat, 90))}  p99 ${ms(pct(lat, 99))}  max ${ms(lat.at(-1))}`);
  console.log(`emergencies: sent ${sentAt.size}, failed ${em.failed}, without urgent instruction ${em.noUrgent}, never announced ${sentAt.size - lat.length}`);
  console.log(`background: ${bgRate.toFixed(1)} msg/s acked (target ${(N * RATE).toFixed(1)}), errors ${bg.errors}, conversations restarted ${bg.restarts}`);
  process.exit(0);
}

main().catch((e) => { console.error(`desk_fanout: ${e.stack ?? e}`); process.exit(1); });
