import pg from 'pg';

export type Db = pg.Pool;
/** Anything that can run a query: the pool, or a client inside a transaction. */
export type Queryable = pg.Pool | pg.PoolClient;

// BIGINT and NUMERIC stay strings by default; our counts and sums fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));

export function createPool(connectionString: string, max: number, onError: (err: Error) => void = () => {}): Db {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000 });
  // A connection's error (PostgreSQL restarting or killed) must never crash the process. pg's pool
  // listens on idle clients only ('error' on the pool); a client checked out when its connection
  // dies emits 'error' on itself, which, unheard, ends the process. So every client gets a listener
  // for its whole life; the query in flight fails on its own and the pool discards the client.
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  return pool;
}

export interface TransactionOptions {
  isolation?: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';
  /** `off` only for ephemeral writes (holds): a crash may lose the last few ms of them, never order. */
  synchronousCommit?: 'off';
}

/** Statements each open transaction runs in its COMMIT's round trip (see deferToCommit). */
const atCommit = new WeakMap<pg.PoolClient, Array<{ sql: string; done: (rows: Array<Record<string, unknown>>) => void }>>();

/**
 * Runs `sql` (complete SQL, no parameters) at the end of the transaction, sent with its COMMIT in one
 * round trip, and hands its rows to `done` before withTransaction returns. For a statement that takes
 * a lock every writer of something hot waits for (the seat-version bump on the event row): the lock
 * is then held for the commit alone, not also for round trips and for whatever a busy process does
 * between them. During the full on-sale, transactions waiting for the event row were the most common
 * sight in pg_stat_activity (80 of 150 samples) and purchases took seconds at 50 a second.
 * Only inside withTransaction.
 */
export function deferToCommit(client: pg.PoolClient, sql: string, done: (rows: Array<Record<string, unknown>>) => void): void {
  const deferred = atCommit.get(client);
  if (!deferred) throw new Error('deferToCommit outside withTransaction');
  deferred.push({ sql, done });
}

/** Runs `work` in one transaction; whoever needs atomicity calls this and passes the client down. */
export async function withTransaction<T>(
  pool: Db,
  work: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    // One round trip to open, whatever the options.
    const setup = options.synchronousCommit === 'off' ? '; SET LOCAL synchronous_commit = off' : '';
    await client.query(`BEGIN ISOLATION LEVEL ${options.isolation ?? 'READ COMMITTED'}${setup}`);
    const deferred: NonNullable<ReturnType<typeof atCommit.get>> = [];
    atCommit.set(client, deferred);
    const result = await work(client);
    if (deferred.length === 0) await client.query('COMMIT');
    else {
      // A failing statement stops the rest (COMMIT included); the catch rolls back.
      const results = (await client.query([...deferred.map((d) => d.sql), 'COMMIT'].join(';\n'))) as unknown as pg.QueryResult[];
      deferred.forEach((d, i) => d.done(results[i]!.rows));
    }
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    atCommit.delete(client);
    client.release();
  }
}
