// Runs every *.test.ts under test/ (all subfolders) through node:test + tsx.
// Node 20's --test does not expand globs, and a shell glob skips subfolders,
// so we find the files ourselves and print how many we found.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2); // optional substrings to filter files

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

let files = walk(join(root, 'test'));
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const folders = new Set(files.map((f) => f.split('/').slice(0, -1).join('/')));
console.log(`run-tests: ${files.length} test files in ${folders.size} folders: ${[...folders].join(', ')}`);

const args = [
  '--import', 'tsx', '--test',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=./test/summary-reporter.mjs', '--test-reporter-destination=stdout',
  ...files,
];
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));
