// go-glob's matching, which Nomad uses for namespace names and variable paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globMatch } from '../../src/acl/index.ts';

const CASES: Array<[string, string, boolean]> = [
  ['*', '', true],
  ['*', 'anything/at/all', true],
  ['', '', true],
  ['', 'a', false],
  ['app/db', 'app/db', true],
  ['app/db', 'app/dbx', false],
  ['app/*', 'app/db', true],
  ['app/*', 'app/', true],
  ['app/*', 'app', false],
  ['app/*', 'app/db/creds', true], // * crosses slashes
  ['*/db', 'app/db', true],
  ['*/db', 'app/db2', false],
  ['a*c', 'abc', true],
  ['a*c', 'ac', true],
  ['a*c', 'abd', false],
  ['a*b*c', 'axxbyyc', true],
  ['a*b*c', 'axxcyyb', false],
  ['*mid*', 'xmidy', true],
  ['*mid*', 'xmiy', false],
  ['prod-*', 'prod-web', true],
  ['*-web', 'production-web', true],
  ['*-web', 'production-api', false],
];

for (const [pattern, subject, want] of CASES) {
  test(`glob ${JSON.stringify(pattern)} ~ ${JSON.stringify(subject)} → ${want}`, () => {
    assert.equal(globMatch(pattern, subject), want);
  });
}
