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
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
