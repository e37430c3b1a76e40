// Runs every golden transcript in test/raft/testdata/*.txt. UPDATE_GOLDEN=1 rewrites them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Interaction, parseScript, renderScript } from './interaction.ts';

const dir = join(import.meta.dirname, 'testdata');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

test('golden transcripts exist', () => {
  assert.ok(files.length >= 3, `found ${files.length} transcripts`);
});

for (const f of files) {
  test(`transcript ${f}`, () => {
    const path = join(dir, f);
    const blocks = parseScript(readFileSync(path, 'utf8'));
    const outputs = new Interaction().run(blocks);
    if (process.env['UPDATE_GOLDEN']) {
      writeFileSync(path, renderScript(blocks, outputs));
      return;
    }
    blocks.forEach((b, k) => {
      assert.equal(outputs[k], b.expected, `${f}:${b.line} ${b.command} ${b.args.join(' ')}`);
    });
  });
}

test('a transcript that disagrees with the core fails', () => {
  const blocks = parseScript('add-nodes 1\n----\nn1: leader term=9\n');
  const outputs = new Interaction().run(blocks);
  assert.notEqual(outputs[0], blocks[0]!.expected);
});
