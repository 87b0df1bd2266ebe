// The language model (docs/flows.md, "The patient's language") on short messages it never trained
// on (tests/corpus/language_short.jsonl, hand-written: a few words each, as patients type), read
// through `triagectl classify --language-model` exactly as the server reads a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const triagectl = process.env.TRIAGECTL;
const root = process.env.TRIAGE_SOURCE_DIR;

test('short messages: the right language, and never a confident switch to the wrong one', () => {
  const cases = readFileSync(join(root, 'tests/corpus/language_short.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const input = cases.map((c) => JSON.stringify({ id: c.id, text: c.text, lang: 'en' })).join('\n') + '\n';
  const r = spawnSync(triagectl, ['classify', '--rules-only', '--language-model', 'dialog/language/model.bin'],
    { cwd: root, input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map(r.stdout.split('\n').filter(Boolean).map((l) => { const o = JSON.parse(l); return [o.id, o]; }));
  const tally = { en: [0, 0], es: [0, 0] };
  const wrongSwitches = [];
  for (const c of cases) {
    const o = out.get(c.id);
    assert.ok(o && typeof o.language === 'string', `no language for ${c.id}`);
    const words = c.text.trim().split(/\s+/).length;
    // What switches a conversation: three words or more at confidence 0.9 or more.
    const switches = words >= 3 && o.language_confidence >= 0.9;
    if (words >= 3) {
      tally[c.lang][1] += 1;
      if (o.language === c.lang && switches) tally[c.lang][0] += 1;
    }
    if (switches && o.language !== c.lang) wrongSwitches.push(`${c.text} -> ${o.language}`);
  }
  for (const lang of ['en', 'es']) {
    const [right, total] = tally[lang];
    console.log(`# ${lang}: ${right}/${total} messages of three words or more read confidently as ${lang}`);
    assert.ok(total >= 30, `${lang}: only ${total} cases`);
    assert.ok(right / total >= 0.95, `${lang}: ${right}/${total}`);
  }
  assert.deepEqual(wrongSwitches, [], 'a message that would switch to the wrong language');
});
