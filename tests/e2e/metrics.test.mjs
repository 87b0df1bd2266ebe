// The operator's metrics (docs/observability.md): a scripted stretch of conversations in English
// and Spanish must move /metrics by exactly what the script sent; the text must pass Prometheus's
// own promtool; a real Prometheus (Debian's, on 127.0.0.1) must scrape it; no PHI may appear in
// it; the token guards /metrics on the main port; log levels change at run time; and every log
// line is one JSON object.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadStack } from '../lib/stack.mjs';
import { PatientClient } from '../lib/patient_client.mjs';
import { request, login, api, openStaffSocket } from '../lib/staff_client.mjs';

let stack;
let metricsUrl;
before(() => {
  stack = loadStack();
  assert.ok(stack);
  metricsUrl = process.env.TRIAGE_TEST_METRICS_URL;
  assert.ok(metricsUrl, 'the stack names the metrics listener');
});

// "name{labels}" -> value, from the exposition text.
function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

async function scrape() {
  const r = await request(`${metricsUrl}/metrics`);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  return { text: r.text, values: parseMetrics(r.text) };
}

const value = (m, series) => m.values.get(series) ?? 0;
const delta = (a, b, series) => value(b, series) - value(a, series);

function pick(bot, re) {
  return (bot?.quick_replies ?? []).find((r) => re.test(r.label) || re.test(r.value));
}

// A conversation that consents and then says `text`; returns the turns' acks.
async function converse(lang, messages) {
  const c = await PatientClient.connect(stack.base);
  await c.start(lang);
  let acked = 0;
  let n = 0;
  const yes = pick(c.lastBot(), /^(yes|s[ií])$/i);
  assert.ok(yes, 'the consent question has a yes');
  for (const text of [yes.value, ...messages]) {
    const turn = await c.say(`m${n++}`, text);
    assert.ok(turn.ack, `"${text}" acknowledged: ${JSON.stringify(turn.frames)}`);
    acked++;
  }
  c.close();
  return acked;
}

test('a scripted stretch of conversations moves the counters and histograms by exactly what was sent', async () => {
  const before = await scrape();
  const canary = `Zq${randomBytes(6).toString('hex')}`;
  let acked = 0;
  // Two routine conversations in English, one in Spanish; one emergency in each language.
  acked += await converse('en', ['I would like to book an appointment']);
  acked += await converse('en', [`my name is ${canary} and I need a refill of my inhaler`]);
  acked += await converse('es', ['quisiera pedir una cita para la semana que viene']);
  acked += await converse('en', ['my chest hurts and I cannot breathe']);
  acked += await converse('es', ['me duele mucho el pecho y no puedo respirar']);
  const after = await scrape();

  assert.equal(delta(before, after, 'triage_conversations_started_total{clinic="demo",lang="en"}'), 3);
  assert.equal(delta(before, after, 'triage_conversations_started_total{clinic="demo",lang="es"}'), 2);
  const turnSeries = [...after.values.keys()].filter((k) => k.startsWith('triage_turns_total{clinic="demo"'));
  const turns = turnSeries.reduce((s, k) => s + delta(before, after, k), 0);
  assert.equal(turns, acked, 'one turn per acknowledged message');
  assert.equal(delta(before, after, 'triage_turn_seconds_count'), acked, 'one latency per acknowledged message');
  assert.equal(delta(before, after, 'triage_red_flags_total{clinic="demo",urgency="emergency"}'), 2);
  assert.equal(delta(before, after, 'triage_red_flag_instruction_seconds_count'), 2);
  const esc = [...after.values.keys()].filter((k) => k.startsWith('triage_escalations_total{clinic="demo",urgency="emergency"'));
  assert.ok(esc.reduce((s, k) => s + delta(before, after, k), 0) >= 2, 'both emergencies escalated');
  // Every step of a turn is timed, once per turn that went through the flow.
  for (const step of ['rules', 'intent', 'flow', 'redis_load', 'postgres_commit', 'redis_save']) {
    assert.equal(delta(before, after, `triage_turn_step_seconds_count{step="${step}"}`), acked, step);
  }
  // Histogram buckets are cumulative and end at the count.
  assert.equal(value(after, 'triage_turn_seconds_bucket{le="+Inf"}'), value(after, 'triage_turn_seconds_count'));
  assert.ok(value(after, 'triage_turn_seconds_bucket{le="1"}') <= value(after, 'triage_turn_seconds_bucket{le="+Inf"}'));
  // Scrape-time gauges.
  assert.equal(value(after, 'triage_dependency_up{dependency="redis",thread="0"}'), 1);
  assert.equal(value(after, 'triage_dependency_up{dependency="postgres",thread="0"}'), 1);
  assert.equal(value(after, 'triage_escalation_queue_readable'), 1);
  assert.ok(value(after, 'triage_escalations_waiting{clinic="demo",urgency="emergency"}') >= 2);
  assert.ok(value(after, 'process_resident_memory_bytes') > 1e6);
  assert.ok(!after.text.includes(canary), 'the canary is not in the metrics');

  // A claim counts, with its time from raised to claimed.
  const fran = await login(stack.base, { clinic: 'demo', email: 'frontdesk@demo.test', password: 'frontdesk-local-pass' });
  const q = await api(stack.base, fran, 'GET', '/api/staff/escalations');
  assert.equal(q.status, 200, q.text);
  const open = q.body.escalations.find((e) => e.status === 'raised' || e.status === 'notified');
  assert.ok(open, 'an escalation waits');
  const c = await api(stack.base, fran, 'POST', `/api/staff/escalations/${open.id}/claim`, {});
  assert.equal(c.status, 200, c.text);
  const claimed = await scrape();
  assert.equal(delta(after, claimed, 'triage_escalations_claimed_total{clinic="demo"}'), 1);
  assert.equal(delta(after, claimed, 'triage_escalation_time_to_claim_seconds_count{clinic="demo"}'), 1);
  await api(stack.base, fran, 'POST', `/api/staff/escalations/${open.id}/resolve`, { outcome: 'no_action_needed' });
});

test("the exposition text passes Prometheus's promtool", async () => {
  const { text } = await scrape();
  const promtool = join(process.env.TRIAGE_TEST_PROMETHEUS_BIN, 'promtool');
  const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
});

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

let prometheus;
let promDir;
after(() => {
  if (prometheus) prometheus.kill('SIGTERM');
  if (promDir) rmSync(promDir, { recursive: true, force: true });
});

test('a real Prometheus scrapes the server and sees what the server counts', { timeout: 60000 }, async () => {
  promDir = mkdtempSync(join(tmpdir(), 'triage-prom-'));
  const port = await freePort();
  const target = new URL(metricsUrl).host;
  writeFileSync(join(promDir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: triage\n    static_configs: [{ targets: ["${target}"] }]\n`);
  prometheus = spawn(join(process.env.TRIAGE_TEST_PROMETHEUS_BIN, 'prometheus'), [
    `--config.file=${join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(promDir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  prometheus.stderr.on('data', (d) => { log += d; });
  const started = await scrape();
  const want = value(started, 'triage_conversations_started_total{clinic="demo",lang="es"}');
  assert.ok(want >= 2);
  // Poll Prometheus's API until its scrape holds at least what we read ourselves.
  const deadline = Date.now() + 45000;
  let seen = null;
  while (Date.now() < deadline) {
    try {
      const query = encodeURIComponent('triage_conversations_started_total{clinic="demo",lang="es"}');
      const r = await request(`http://127.0.0.1:${port}/api/v1/query?query=${query}`);
      const result = r.body?.data?.result ?? [];
      if (result.length) { seen = Number(result[0].value[1]); if (seen >= want) break; }
    } catch { /* not listening yet */ }
    await new Promise((res) => setTimeout(res, 200)); // polling interval, not a synchronisation
  }
  assert.ok(seen !== null && seen >= want, `Prometheus saw ${seen}, we counted ${want}; its log: ${log.slice(-2000)}`);
  const up = await request(`http://127.0.0.1:${port}/api/v1/query?query=up`);
  assert.equal(up.body.data.result[0].value[1], '1', 'the target is up');
});

test('on the main port /metrics needs the operator token', async () => {
  const base = process.env.TRIAGE_TEST_TLS_BASE_URL;
  const ca = readFileSync(process.env.TRIAGE_TEST_TLS_CA);
  const none = await request(`${base}/metrics`, { ca });
  assert.equal(none.status, 401);
  assert.equal(none.body.error, 'unauthenticated');
  const wrong = await request(`${base}/metrics`, { ca, headers: { Authorization: `Bearer ${'x'.repeat(48)}` } });
  assert.equal(wrong.status, 401);
  const ok = await request(`${base}/metrics`, { ca, headers: { Authorization: `Bearer ${process.env.TRIAGE_TEST_METRICS_TOKEN}` } });
  assert.equal(ok.status, 200);
  assert.match(ok.text, /^triage_build_info\{rules="core@/m);
  // Instance "a" has no token: its main port has no /metrics at all.
  const a = await request(`${stack.base}/metrics`);
  assert.equal(a.status, 404);
});

test('log levels change per component at run time, with clear errors', async () => {
  const set = (q) => request(`${metricsUrl}/log-levels?${q}`, { method: 'PUT' });
  let r = await set('component=booking&level=warn');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.components.booking, 'warn');
  r = await request(`${metricsUrl}/log-levels`);
  assert.equal(r.body.components.booking, 'warn');
  assert.equal(r.body.default, 'debug', 'the stack configures debug');
  r = await set('component=booking&level=loud');
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { error: 'bad_parameter', parameter: 'level' });
  r = await set('component=Bad%20Name&level=info');
  assert.equal(r.status, 400);
  r = await set('component=booking&level=info&extra=1');
  assert.equal(r.status, 400);
  assert.equal(r.body.parameter, 'extra');
  r = await request(`${metricsUrl}/log-levels?component=booking&level=info`, { method: 'POST' });
  assert.equal(r.status, 405);
  r = await set('component=booking&level=default');
  assert.equal(r.status, 200);
  assert.equal(r.body.components.booking, undefined);
});

test('every server log line is one JSON object with a time, a level and an event', () => {
  // The stack sends the process's own start-up messages ("triaged: listening on ...", on
  // standard error for the operator's terminal) to the same file as the log.
  const all = readFileSync(stack.serverLog, 'utf8').split('\n').filter(Boolean);
  for (const l of all) if (!l.startsWith('{')) assert.match(l, /^triaged: /, l);
  const lines = all.filter((l) => l.startsWith('{'));
  assert.ok(lines.length > 10, `only ${lines.length} lines`);
  for (const line of lines.slice(-500)) {
    const o = JSON.parse(line);
    assert.match(o.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(['debug', 'info', 'warn', 'error'].includes(o.level), line);
    assert.match(o.event, /^[a-z_]+\.[a-z_.]+$/, line);
  }
  assert.ok(lines.some((l) => JSON.parse(l).event === 'operator.log_level_set'), 'the change of level is logged');
});

test('one correlation id follows a turn from the patient instance to a console on another instance', { timeout: 30000 }, async () => {
  const baseC = process.env.TRIAGE_TEST_REMOTE_BASE_URL;
  const nora = await login(baseC, { clinic: 'demo', email: 'nurse@demo.test', password: 'nurse-local-pass' });
  const consoleC = await openStaffSocket(baseC, nora);
  await consoleC.next((f) => f.type === 'hello');
  const c = await PatientClient.connect(stack.base);
  await c.start('en');
  await c.say('t0', pick(c.lastBot(), /^yes$/i).value);
  const turn = await c.say('t1', 'my husband collapsed and is not breathing');
  assert.ok(turn.ack);
  const shown = await consoleC.next((f) => f.type === 'escalation' && f.event === 'raised', 10000);
  c.close();
  consoleC.ws.close();
  const redFlag = readFileSync(stack.serverLog, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
    .filter((o) => o.event === 'triage.red_flag').pop();
  assert.match(redFlag.turn, /^[0-9a-f-]{36}$/, 'the red flag line names its turn');
  // The console instance logs the same id once the frame is out; poll its log for it.
  const deadline = Date.now() + 5000;
  let found;
  while (!found && Date.now() < deadline) {
    found = readFileSync(process.env.TRIAGE_TEST_REMOTE_SERVER_LOG, 'utf8').split('\n').filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l)).find((o) => o.event === 'staff.escalation_shown' && o.turn === redFlag.turn);
    if (!found) await new Promise((res) => setTimeout(res, 50));
  }
  assert.ok(found, `instance c logged turn ${redFlag.turn}`);
  assert.equal(found.escalation, shown.escalation.id);
});

test('the dashboard and the alert rules in docs/ name only metrics the server exposes', async () => {
  const src = process.env.TRIAGE_TEST_SOURCE_DIR;
  const promtool = join(process.env.TRIAGE_TEST_PROMETHEUS_BIN, 'promtool');
  const rules = spawnSync(promtool, ['check', 'rules', join(src, 'docs/observability/alerts.yml')], { encoding: 'utf8' });
  assert.equal(rules.status, 0, `promtool check rules: ${rules.stdout}${rules.stderr}`);
  const { text } = await scrape();
  const exposed = new Set(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
  const dashboard = JSON.parse(readFileSync(join(src, 'docs/observability/grafana-dashboard.json'), 'utf8'));
  const exprs = [
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
    ...readFileSync(join(src, 'docs/observability/alerts.yml'), 'utf8').split('\n').filter((l) => l.includes('expr:')),
  ];
  const names = new Set(exprs.flatMap((e) => e.match(/\b(?:triage|process)_[a-z_]+/g) ?? []));
  assert.ok(names.size >= 10);
  for (const n of names) {
    const family = n.replace(/_(bucket|sum|count)$/, '');
    assert.ok(exposed.has(n) || exposed.has(family), `${n} is not exposed`);
  }
});
