// The bootstrap license's shape and times, and licenseStatus for `license get`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCommand, encodeCommand } from '../../src/fsm/index.ts';
import { isTemporaryLicense, licenseStatus, parseRfc3339, temporaryLicense } from '../../src/license/index.ts';
import { fields, stored } from './helpers.ts';

const NOW = new Date('2026-03-01T12:00:00.250Z');

test('the temporary license has the docs sample shape and the 12 License keys', () => {
  assert.deepEqual(temporaryLicense(NOW), {
    LicenseID: 'temporary-license',
    CustomerID: 'temporary license customer',
    InstallationID: '*',
    IssueTime: '2026-03-01T12:00:00.25Z',
    StartTime: '2026-03-01T12:00:00.25Z',
    ExpirationTime: '2026-03-01T18:00:00.25Z',
    TerminationTime: '2026-03-01T18:00:00.25Z',
    NonProduction: false,
    Product: 'nomad',
    Flags: { modules: ['governance-policy'] },
    Modules: ['governance-policy'],
    Features: ['Automated Upgrades', 'Enhanced Read Scalability', 'Redundancy Zones', 'Namespaces', 'Resource Quotas',
      'Preemption', 'Audit Logging', 'Setinel Policies'],
  });
});

test('the temporary license lasts exactly six hours', () => {
  const t = temporaryLicense(NOW);
  const sixHoursNs = 6n * 3600n * 1_000_000_000n;
  assert.equal(parseRfc3339(t.ExpirationTime)! - parseRfc3339(t.IssueTime)!, sixHoursNs);
  assert.equal(parseRfc3339(t.TerminationTime), parseRfc3339(t.ExpirationTime));
});

test('each call gives fresh arrays (callers may not share state)', () => {
  const a = temporaryLicense(NOW);
  a.Features!.push('x');
  assert.equal(temporaryLicense(NOW).Features!.length, 8);
});

test('the FSM accepts the temporary license as a setLicense command', () => {
  const license = temporaryLicense(NOW);
  const back = decodeCommand(encodeCommand({ type: 'setLicense', blob: '', license }));
  assert.deepEqual(back, { type: 'setLicense', blob: '', license });
});

test('isTemporaryLicense: only the unsigned placeholder', () => {
  assert.equal(isTemporaryLicense(stored(temporaryLicense(NOW), '')), true);
  assert.equal(isTemporaryLicense(stored(temporaryLicense(NOW), 'a.b.c')), false);
  assert.equal(isTemporaryLicense(stored(fields(), '')), false);
});

test('status: valid until expiry, then expired! with "Expired At"; terminated after termination', () => {
  const t = temporaryLicense(NOW);
  assert.deepEqual(licenseStatus(t, new Date('2026-03-01T17:59:59Z')),
    { expired: false, terminated: false, status: 'valid', expirationLabel: 'Expires At', terminationLabel: 'Terminates At' });
  assert.deepEqual(licenseStatus(t, new Date('2026-03-01T18:00:00.25Z')),
    { expired: true, terminated: true, status: 'expired!', expirationLabel: 'Expired At', terminationLabel: 'Terminated At' });
  const f = fields({ ExpirationTime: '2026-03-01T00:00:00Z', TerminationTime: '2026-04-01T00:00:00Z' });
  assert.deepEqual(licenseStatus(f, NOW),
    { expired: true, terminated: false, status: 'expired!', expirationLabel: 'Expired At', terminationLabel: 'Terminates At' });
});

test('status: a termination before the expiry still reads expired!', () => {
  const f = fields({ ExpirationTime: '2027-01-01T00:00:00Z', TerminationTime: '2026-01-01T00:00:00Z' });
  const s = licenseStatus(f, NOW);
  assert.equal(s.status, 'expired!');
  assert.equal(s.expirationLabel, 'Expires At');
  assert.equal(s.terminationLabel, 'Terminated At');
});

test('status honours offsets: 13:00+02:00 is 11:00Z, already past at 12:00Z', () => {
  const f = fields({ ExpirationTime: '2026-03-01T13:00:00+02:00', TerminationTime: '2026-04-01T00:00:00Z' });
  assert.equal(licenseStatus(f, NOW).status, 'expired!');
});
