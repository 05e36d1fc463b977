// `npm run fuzz`: property-based contract fuzzing of every operation in the served spec with
// Schemathesis (PyPI), run by `npm test`. It starts `npm start`'s entry point on the embedded default
// (embedded PostgreSQL in a temporary data directory, in-process state) on free ports, signs in as
// an admin so admin routes are exercised too, and fails on any 5xx or any answer that breaks the spec
// (status, content type, headers, body schema; 405 + Allow for undeclared methods; invalid input
// accepted; auth ignored). The seed is fixed and examples are bounded, so a run is reproducible.
//
// FUZZ_SEED and FUZZ_MAX_EXAMPLES override the defaults; the report lands in .tmp/fuzz/.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../harness/ports.js';
import { startServerProcess } from '../harness/server-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SEED = process.env.FUZZ_SEED ?? '20261129';
const MAX_EXAMPLES = process.env.FUZZ_MAX_EXAMPLES ?? '20';
const ADMIN = { email: 'fuzz-admin@tiketi.dev', password: 'fuzz-admin-password' };

// Everything the contract promises. positive_data_acceptance is left out: valid input may still be
// refused by a business rule (a sold-out event, a taken seat), which the operations document as 4xx.
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
  'unsupported_method',
  'ignored_auth',
];

const setup = spawnSync('bash', [path.join(ROOT, 'test/fuzz/setup.sh')], { stdio: 'inherit' });
if (setup.status !== 0) process.exit(setup.status ?? 1);

const dataDir = mkdtempSync(path.join(tmpdir(), 'tiketi-fuzz-'));
chmodSync(dataDir, 0o755); // embedded PostgreSQL may run as the `postgres` user when we are root
const server = await startServerProcess(
  {
    DATABASE_URL: undefined,
    REDIS_URL: undefined,
    TIKETI_DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(await freePort()),
    TIKETI_ADMIN_EMAIL: ADMIN.email,
    TIKETI_ADMIN_PASSWORD: ADMIN.password,
    RATE_LIMIT: 'off',
    LOG_LEVEL: 'info', // the harness waits for the "TIKETI ready" line
  },
  180_000,
);

let code = 1;
try {
  const login = await fetch(`${server.baseUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };

  const reportDir = path.join(ROOT, '.tmp/fuzz');
  mkdirSync(reportDir, { recursive: true });
  const args = [
    'run',
    `${server.baseUrl}/openapi.json`,
    '--url',
    server.baseUrl,
    '--seed',
    SEED,
    '--max-examples',
    MAX_EXAMPLES,
    '--phases',
    'examples,coverage,fuzzing',
    '--checks',
    CHECKS.join(','),
    // One worker: Hypothesis on CPython 3.11 fails with "AST constructor recursion depth mismatch"
    // when two workers describe strategies at once.
    '--workers',
    '1',
    // Generating long texts is slow on a busy machine; that says nothing about the API.
    // No example database: every run draws from the seed alone.
    '--generation-database',
    'none',
    '--suppress-health-check',
    'too_slow',
    '--request-timeout',
    '30',
    // Ending every session of the admin the fuzzer signs in as would leave it only 401s to learn from.
    '--exclude-operation-id',
    'logoutEverywhere',
    '--header',
    `Authorization: Bearer ${token}`,
    '--no-color',
    '--report',
    'junit',
    '--report-dir',
    reportDir,
  ];
  console.log(`schemathesis: seed ${SEED}, at most ${MAX_EXAMPLES} examples per operation, checks ${CHECKS.join(', ')}`);
  code = await new Promise<number>((resolve) => {
    // Run in the report folder: Schemathesis keeps a .schemathesis/ cache in its working directory.
    const child = spawn(path.join(ROOT, '.fuzz-venv/bin/st'), args, { stdio: 'inherit', cwd: reportDir });
    child.on('exit', (status) => resolve(status ?? 1));
  });
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
