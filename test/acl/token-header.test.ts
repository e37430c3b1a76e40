// Token extraction exactly as Nomad's parseToken (§0.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenFromHeaders, type HeaderMap } from '../../src/acl/index.ts';

const CASES: Array<[string, HeaderMap, string]> = [
  ['no headers', {}, ''],
  ['X-Nomad-Token', { 'x-nomad-token': 'abc' }, 'abc'],
  ['X-Nomad-Token is trimmed', { 'x-nomad-token': '  abc \t' }, 'abc'],
  ['header names are case-insensitive', { 'X-Nomad-Token': 'abc' }, 'abc'],
  ['X-Nomad-Token wins over Authorization', { 'x-nomad-token': 'abc', authorization: 'Bearer def' }, 'abc'],
  ['an empty X-Nomad-Token falls through', { 'x-nomad-token': '', authorization: 'Bearer def' }, 'def'],
  ['an X-Nomad-Token of spaces still wins, as empty (Go tests before trimming)', { 'x-nomad-token': '   ', authorization: 'Bearer def' }, ''],
  ['Bearer', { authorization: 'Bearer def' }, 'def'],
  ['scheme is case-insensitive', { authorization: 'bEaReR def' }, 'def'],
  ['only the first word of the value', { authorization: 'Bearer def ghi' }, 'def'],
  ['extra spaces before the value', { authorization: 'Bearer   def' }, 'def'],
  ['other schemes are ignored', { authorization: 'Basic dXNlcjpwYXNz' }, ''],
  ['scheme alone', { authorization: 'Bearer' }, ''],
  ['scheme and a space', { authorization: 'Bearer ' }, ''],
  ['a bare value', { authorization: 'def' }, ''],
  ['a tab is not the separator', { authorization: 'Bearer\tdef' }, ''],
  ['a leading space leaves an empty scheme', { authorization: ' Bearer def' }, ''],
  ['an array takes the first value', { 'x-nomad-token': ['one', 'two'] }, 'one'],
  ['undefined values are absent', { 'x-nomad-token': undefined, authorization: 'Bearer def' }, 'def'],
];

for (const [name, headers, want] of CASES) {
  test(`token from headers: ${name}`, () => {
    assert.equal(tokenFromHeaders(headers), want);
  });
}
