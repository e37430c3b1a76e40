// The shared CLI helpers: columnize as §7.1 describes it, Go flag syntax over parseArgs, Go's
// time/size formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnize, formatKV, formatList, formatListWithSpaces } from '../../src/cli/columnize.ts';
import { FlagError, normaliseArgs, parseFlags, parseGoUint } from '../../src/cli/flags.ts';
import { formatIsoLocal, goLocalTimeString, goTimeString, humanizeIBytes, goTemplate, formatData } from '../../src/cli/format.ts';

process.env.TZ = 'UTC';

test('columnize: trimmed cells, columns padded to the widest (in runes), last column unpadded, no trailing newline', () => {
  assert.equal(columnize(['a|bb|c', ' long cell |x|  last  ', 'ü|ß']), 'a          bb  c\nlong cell  x   last\nü          ß');
  assert.equal(formatList(['Name|Value', 'x|', '|y']), 'Name    Value\nx       <none>\n<none>  y');
  assert.equal(formatKV(['Key|v', 'Longer Key|', 'K|w']), 'Key        = v\nLonger Key = <none>\nK          = w');
  assert.equal(formatListWithSpaces(['Type|Count|Size', 'Index|3|89 B', ' | | ', 'Total|3|89 B']), 'Type   Count  Size\nIndex  3      89 B\n              \nTotal  3      89 B');
  assert.equal(formatList([]), '');
  // Only the first row keeps an outer tab (the cells are trimmed): Nomad's Voters block.
  assert.equal(`\t${formatList(['\ta', '\tb'])}`, '\ta\nb');
});

test('flags: single-dash long flags, the double-dash form, `-x v`, `-x=v`, bools never take the next argument', () => {
  const spec = { 'peer-id': 'string', stale: 'bool', policy: 'multi', n: 'uint' } as const;
  assert.deepEqual(parseFlags(['-peer-id=x'], spec).values['peer-id'], 'x');
  assert.deepEqual(parseFlags(['-peer-id', 'x'], spec).values['peer-id'], 'x');
  assert.deepEqual(parseFlags(['--peer-id=x'], spec).values['peer-id'], 'x');
  assert.deepEqual(parseFlags(['--peer-id', 'x'], spec).values['peer-id'], 'x');
  const p = parseFlags(['-stale', 'file.snap'], spec);
  assert.equal(p.values['stale'], 'true');
  assert.deepEqual(p.positionals, ['file.snap']);
  assert.equal(parseFlags(['-stale=false'], spec).values['stale'], 'false');
  assert.equal(parseFlags(['-stale=0'], spec).values['stale'], 'false');
  assert.deepEqual(parseFlags(['-policy', 'a', '--policy=b'], spec).values['policy'], ['a', 'b']);
  // Go stops at the first positional; `--` ends the flags.
  assert.deepEqual(parseFlags(['a', '-stale'], spec).positionals, ['a', '-stale']);
  assert.deepEqual(parseFlags(['--', '-stale'], spec).positionals, ['-stale']);
  assert.deepEqual(parseFlags(['-', 'x'], spec).positionals, ['-', 'x']);
  assert.deepEqual(normaliseArgs(['-n', '0x10', 'p'], spec), ['--n=0x10', '--', 'p']);
});

test("flags: Go's error texts", () => {
  const spec = { 'peer-id': 'string', stale: 'bool', n: 'uint' } as const;
  const err = (argv: string[]) => {
    try {
      parseFlags(argv, spec);
    } catch (e) {
      assert.ok(e instanceof FlagError);
      return e.message;
    }
    return 'no error';
  };
  assert.equal(err(['-bogus']), 'flag provided but not defined: -bogus');
  assert.equal(err(['-peer-id']), 'flag needs an argument: -peer-id');
  assert.equal(err(['-stale=maybe']), 'invalid boolean value "maybe" for -stale: parse error');
  assert.equal(err(['-n=abc']), 'invalid value "abc" for flag -n: parse error');
  assert.equal(err(['---x']), 'bad flag syntax: ---x');
  assert.equal(err(['-=x']), 'bad flag syntax: -=x');
});

test("uint flags parse as Go's ParseUint(s, 0, 64)", () => {
  assert.equal(parseGoUint('250'), 250n);
  assert.equal(parseGoUint('0x10'), 16n);
  assert.equal(parseGoUint('0o17'), 15n);
  assert.equal(parseGoUint('017'), 15n);
  assert.equal(parseGoUint('0b101'), 5n);
  assert.equal(parseGoUint('1_000'), 1000n);
  assert.equal(parseGoUint('0'), 0n);
  for (const bad of ['', '-1', '1.5', '08', '_1', '1__0', '18446744073709551616']) assert.equal(parseGoUint(bad), undefined, bad);
});

test("Go's time and size formatting", () => {
  assert.equal(goTimeString('2024-02-20T16:40:55Z'), '2024-02-20 16:40:55 +0000 UTC');
  assert.equal(goTimeString('2024-02-20T16:40:55.120000000Z'), '2024-02-20 16:40:55.12 +0000 UTC');
  assert.equal(goTimeString('2024-02-20T16:40:55+02:00'), '2024-02-20 16:40:55 +0200 +0200');
  assert.equal(goLocalTimeString(1708447255123456789n), '2024-02-20 16:40:55.123456789 +0000 UTC');
  assert.equal(formatIsoLocal(1708447255000), '2024-02-20T16:40:55Z');
  assert.equal(formatIsoLocal(0), '');
  assert.equal(humanizeIBytes(0), '0 B');
  assert.equal(humanizeIBytes(512), '512 B');
  assert.equal(humanizeIBytes(1536), '1.5 KiB');
  assert.equal(humanizeIBytes(12 * 1024 + 100), '12 KiB');
  assert.equal(humanizeIBytes(3 * 1024 * 1024), '3.0 MiB');
});

test('-t templates: field actions; -json and -t together are refused', () => {
  assert.equal(goTemplate('{{.A}}-{{ .B.C }}', { A: 1, B: { C: 'x' } }), '1-x');
  assert.throws(() => goTemplate('{{range .A}}', {}), /template/);
  assert.throws(() => formatData(true, '{{.A}}', {}), /^Error: Both json and template formatting are not allowed$/);
});
