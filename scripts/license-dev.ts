// Development licenses (Part A §14): make an Ed25519 key pair, and sign license blobs the
// servers accept when the public key is in server { license_public_keys }.
//   node --import tsx scripts/license-dev.ts keygen --out DIR
//   node --import tsx scripts/license-dev.ts sign --key DIR/license-private.pem [...] > license.txt

import { randomUUID, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  LICENSE_PRODUCT,
  TEMPORARY_LICENSE_FEATURES,
  TEMPORARY_LICENSE_MODULES,
  formatRfc3339,
  generateLicenseKeyPair,
  signLicense,
} from '../src/license/index.ts';
import type { LicenseFields } from '../src/fsm/index.ts';

const USAGE = `usage:
  license-dev keygen --out DIR [--force]
      writes DIR/license-private.pem (PKCS#8, keep it secret) and DIR/license-public.pem (SPKI)
  license-dev sign --key PRIVATE.pem [options] > license.txt
      prints a license blob (compact JWS, EdDSA) on stdout
      --customer X        CustomerID (default "opraft-dev")
      --days N            ExpirationTime = issue time + N days (default 30)
      --issued ISO        IssueTime and StartTime (default now), e.g. 2026-01-02T03:04:05Z
      --terminate-days N  TerminationTime = issue time + N days (default: --days + 10)
      --product P         Product (default "nomad"; anything else is refused by servers)
      --license-id ID     LicenseID (default a random UUID)
      --non-production    NonProduction = true
N may be fractional or negative (to make expired or terminated licenses for drills).`;

class UsageError extends Error {}

const DAY_MS = 24 * 60 * 60 * 1000;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === 'keygen') return keygen(rest);
  if (command === 'sign') {
    void sign(rest).then(
      (code) => { process.exitCode = code; },
      (e: unknown) => fail(e),
    );
    return 0;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
}

function keygen(args: string[]): number {
  const { values } = parseArgs({ args, strict: true, options: { out: { type: 'string' }, force: { type: 'boolean' } } });
  if (!values.out) throw new UsageError('keygen needs --out DIR');
  const privatePath = join(values.out, 'license-private.pem');
  const publicPath = join(values.out, 'license-public.pem');
  if (!values.force && (existsSync(privatePath) || existsSync(publicPath))) {
    console.error(`license-dev: ${privatePath} or ${publicPath} already exists; pass --force to replace them`);
    return 1;
  }
  const pair = generateLicenseKeyPair();
  mkdirSync(values.out, { recursive: true });
  writeFileSync(privatePath, pair.privateKeyPem, { mode: 0o600 });
  writeFileSync(publicPath, pair.publicKeyPem);
  const spki = createPublicKey(pair.publicKeyPem).export({ type: 'spki', format: 'der' }).toString('base64');
  console.log(`wrote ${privatePath} (keep it secret)\nwrote ${publicPath}\nserver config:\n  server {\n    license_public_keys = ["${spki}"]\n  }`);
  return 0;
}

async function sign(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      key: { type: 'string' },
      customer: { type: 'string', default: 'opraft-dev' },
      days: { type: 'string', default: '30' },
      issued: { type: 'string' },
      'terminate-days': { type: 'string' },
      product: { type: 'string', default: LICENSE_PRODUCT },
      'license-id': { type: 'string' },
      'non-production': { type: 'boolean', default: false },
    },
  });
  if (!values.key) throw new UsageError('sign needs --key PRIVATE.pem');
  const days = number(values.days, '--days');
  const terminateDays = values['terminate-days'] === undefined ? days + 10 : number(values['terminate-days'], '--terminate-days');
  const issued = values.issued === undefined ? new Date() : new Date(values.issued);
  if (Number.isNaN(issued.getTime())) throw new UsageError(`--issued: "${values.issued}" is not a date/time (use ISO 8601, e.g. 2026-01-02T03:04:05Z)`);
  let pem: string;
  try {
    pem = readFileSync(values.key, 'utf8');
  } catch (e) {
    console.error(`license-dev: cannot read --key: ${(e as Error).message}`);
    return 1;
  }
  const at = (d: number): string => formatRfc3339(new Date(issued.getTime() + d * DAY_MS));
  const fields: LicenseFields = {
    LicenseID: values['license-id'] ?? randomUUID(),
    CustomerID: values.customer,
    InstallationID: '*',
    IssueTime: at(0),
    StartTime: at(0),
    ExpirationTime: at(days),
    TerminationTime: at(terminateDays),
    NonProduction: values['non-production'],
    Product: values.product,
    Flags: { modules: [...TEMPORARY_LICENSE_MODULES] },
    Modules: [...TEMPORARY_LICENSE_MODULES],
    Features: [...TEMPORARY_LICENSE_FEATURES],
  };
  process.stdout.write(`${await signLicense(fields, pem)}\n`);
  return 0;
}

function number(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag}: "${text}" is not a number`);
  return n;
}

function fail(e: unknown): void {
  if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`license-dev: ${(e as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(`license-dev: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  fail(e);
}
