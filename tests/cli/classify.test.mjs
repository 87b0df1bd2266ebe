// `triagectl classify` and `triagectl rules test` as an operator runs them: the documented
// interface exactly (issue 3), one output line per input line, clear errors. No services needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const triagectl = process.env.TRIAGECTL;
const root = process.env.TRIAGE_SOURCE_DIR;
assert.ok(triagectl && root, 'TRIAGECTL and TRIAGE_SOURCE_DIR must be set (ctest sets them)');

function run(args, input) {
  const r = spawnSync(triagectl, args, { cwd: root, input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function classify(lines, args = []) {
  const r = run(['classify', ...args], lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return { ...r, results: r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

test('each input line gives one line with exactly the documented fields', () => {
  const text = 'Hola, mi papá no puede mover el brazo y habla raro';
  const { code, results } = classify([
    { id: 'a1', text: 'I need to book a flu jab', lang: 'en' },
    { id: 'a2', text, lang: 'es' },
  ]);
  assert.equal(code, 0);
  assert.equal(results.length, 2);
  for (const r of results) {
    assert.deepEqual(Object.keys(r), ['id', 'urgency', 'escalate', 'intent', 'intent_confidence', 'rules']);
    assert.ok(['emergency', 'urgent', 'routine', 'self_care', 'none'].includes(r.urgency));
    assert.equal(typeof r.escalate, 'boolean');
    assert.equal(typeof r.intent, 'string');
    assert.ok(r.intent_confidence >= 0 && r.intent_confidence <= 1);
    for (const rule of r.rules) {
      assert.deepEqual(Object.keys(rule), ['id', 'span', 'modifiers']);
      assert.equal(rule.span.length, 2);
      assert.ok(Array.isArray(rule.modifiers));
    }
  }
  assert.equal(results[0].id, 'a1');
  assert.equal(results[0].urgency, 'none');
  assert.equal(results[0].escalate, false);
  assert.equal(results[1].id, 'a2');
  assert.equal(results[1].urgency, 'emergency');
  assert.equal(results[1].escalate, true);
  // Spans are byte offsets into the text as sent (UTF-8), so staff see the patient's own words.
  const bytes = Buffer.from(text, 'utf8');
  const span = results[1].rules[0].span;
  const quoted = bytes.subarray(span[0], span[1]).toString('utf8');
  assert.ok(/brazo|habla/.test(quoted), `span covers "${quoted}"`);
  assert.ok(results[1].rules.some((r) => r.modifiers.includes('other_person')));
});

test('context modifiers are reported and --explain shows what was not counted', () => {
  const { results } = classify([{ id: 'h', text: 'I had a stroke 5 years ago, need my refill', lang: 'en' }], ['--explain']);
  assert.equal(results[0].urgency, 'none');
  assert.deepEqual(results[0].rules, []);
  assert.equal(results[0].suppressed[0].id, 'stroke_signs');
  assert.ok(results[0].suppressed[0].modifiers.includes('historical'));
  assert.match(results[0].pack, /^core@/);
});

test('bad lines get an error line in their place and a non-zero exit', () => {
  const { code, results, err } = classify([
    'this is not json',
    { id: 'n', text: 42, lang: 'en' },
    { id: 'l', text: 'hello', lang: 'fr' },
    { id: 'ok', text: 'crushing chest pain', lang: 'en' },
  ]);
  assert.equal(code, 1);
  assert.equal(results.length, 4);
  assert.equal(results[0].error, 'not a JSON object');
  assert.deepEqual(results[1], { id: 'n', error: '"text" must be a string' });
  assert.deepEqual(results[2], { id: 'l', error: '"lang" must be "en" or "es"' });
  assert.equal(results[3].urgency, 'emergency');
  assert.match(err, /line 1: not a JSON object/);
});

test('rules test fails on a missed emergency and names it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rules-test-'));
  const cases = join(dir, 'cases.jsonl');
  writeFileSync(cases, [
    { id: 'ok', lang: 'en', text: 'my chest hurts so bad i cant breathe', urgency: 'emergency', category: 'cardiac', kind: 'emergency' },
    { id: 'miss', lang: 'en', text: 'the purple unicorn feeling', urgency: 'emergency', category: 'other', kind: 'emergency' },
    { id: 'fine', lang: 'es', text: 'quiero cambiar mi cita', urgency: 'none', kind: 'admin' },
  ].map((c) => JSON.stringify(c)).join('\n') + '\n');
  // Rules only: the urgency model may well raise a nonsense phrase, and this is about the rules.
  const r = run(['rules', 'test', 'triage-rules/packs/core.yaml', cases, '--rules-only']);
  assert.equal(r.code, 1);
  assert.match(r.out, /emergency recall: +50\.0% \(1\/2\)/);
  assert.match(r.out, /MISSED EMERGENCIES \(1\):\n {2}miss \[en other\] label emergency, assessed none/);
  assert.match(r.out, /FAIL: 1 emergencies missed/);
});

test('rules test refuses a broken case file with line numbers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rules-test-'));
  const cases = join(dir, 'bad.jsonl');
  writeFileSync(cases, '{"id":"x","lang":"en","text":"hi","urgency":"soon"}\n');
  const r = run(['rules', 'test', 'triage-rules/packs/core.yaml', cases]);
  assert.equal(r.code, 2);
  assert.match(r.err, /bad\.jsonl:1: unknown urgency 'soon'/);
});
