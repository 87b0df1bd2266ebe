// `triagectl conversations test`: 330 scripted patients (tests/corpus/conversations/, written by a
// helper session that never read the flow) played against the default flow with the server's
// own assessment, no network. The goal (issue 18) is 95% completed in each language and no dead
// end; these floors hold today's level so that nothing slips back while the rest is built, and
// rise with it (docs/flows.md, "Conversation drill").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const triagectl = process.env.TRIAGECTL;
const root = process.env.TRIAGE_SOURCE_DIR;

test('the conversation drill runs, prints its table, and holds the floors', () => {
  const r = spawnSync(triagectl, ['conversations', 'test', '--min-completion', '84', '--max-dead-ends', '0', '--show', '0'],
    { cwd: root, encoding: 'utf8' });
  console.log(r.stdout.split('\n').slice(0, 6).map((l) => `# ${l}`).join('\n'));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  for (const lang of ['en', 'es']) assert.match(r.stdout, new RegExp(`^  ${lang} +\\d+ +\\d+\\.\\d%`, 'm'));
  // Every emergency opening gets the instruction on its first message.
  assert.match(r.stdout, /symptoms_emergency +25 +100\.0% \(25\)/);
});

test('a corpus line without its fields is refused with file and line', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'drill-')), 'bad.jsonl');
  writeFileSync(file, '{"id":"x"}\n');
  const r = spawnSync(triagectl, ['conversations', 'test', file], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.jsonl:1: needs id, lang \(en or es\), opening and outcome/);
});
