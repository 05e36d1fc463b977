// The batcher's scheduling, without a database: which requests share a batch, that a busy lane
// keeps its session and starts the next batch before answering the previous one, and that a broken
// session is never reused. (The database side is covered by inventory*.test.ts.)
import { describe, expect, it } from 'vitest';
import { HoldBatcher } from '../src/modules/inventory/hold-batcher.js';

interface Session {
  id: number;
  broken: boolean;
}

function harness(options: { breakOn?: number } = {}) {
  const log: string[] = [];
  let sessions = 0;
  let batches = 0;
  const gates: Array<() => void> = [];
  const batcher = new HoldBatcher<number, string, Session>({
    maxBatch: 3,
    openSession: async () => {
      log.push(`open ${++sessions}`);
      return { id: sessions, broken: false };
    },
    closeSession: (s, broken) => log.push(`close ${s.id}${broken ? ' broken' : ''}`),
    healthy: (s) => !s.broken,
    run: (session, reqs) => {
      const n = ++batches;
      log.push(`run ${n} on ${session.id}: ${reqs.join(',')}`);
      return new Promise((resolve) =>
        gates.push(() => {
          if (options.breakOn === n) session.broken = true;
          resolve(reqs.map((r) => (r < 0 ? new Error(`refused ${r}`) : `held ${r}`)));
        }),
      );
    },
  });
  const submit = (key: string, r: number) =>
    batcher.submit(key, r).then(
      (v) => log.push(`answer ${v}`),
      (e: Error) => log.push(`answer ${e.message}`),
    );
  const tick = () => new Promise((r) => setTimeout(r, 0));
  return { log, gates, submit, tick };
}

describe('HoldBatcher', () => {
  it('batches what arrives while a batch is in flight, keeps the session, and starts the next batch before answering', async () => {
    const { log, gates, submit, tick } = harness();
    const all = [submit('event-a', 1)];
    await tick();
    all.push(...[2, 3, 4, 5, -6].map((r) => submit('event-a', r)));
    expect(log).toEqual(['open 1', 'run 1 on 1: 1']);
    gates.shift()!();
    await tick();
    // Batch 2 (capped at 3) went out on the same session before batch 1's answer was delivered.
    expect(log.slice(2, 4)).toEqual(['run 2 on 1: 2,3,4', 'answer held 1']);
    gates.shift()!();
    await tick();
    gates.shift()!();
    await Promise.all(all);
    expect(log.slice(4)).toEqual([
      'run 3 on 1: 5,-6',
      'answer held 2',
      'answer held 3',
      'answer held 4',
      'close 1',
      'answer held 5',
      'answer refused -6',
    ]);
  });

  it('runs different events independently, each with its own session', async () => {
    const { log, gates, submit, tick } = harness();
    const all = [submit('a', 1), submit('b', 2)];
    await tick();
    expect(log).toEqual(['open 1', 'open 2', 'run 1 on 1: 1', 'run 2 on 2: 2']);
    gates.splice(0).forEach((g) => g());
    await Promise.all(all);
    expect(log.filter((l) => l.startsWith('close')).sort()).toEqual(['close 1', 'close 2']);
  });

  it('never reuses a session that a batch left broken', async () => {
    const { log, gates, submit, tick } = harness({ breakOn: 1 });
    const all = [submit('a', 1)];
    await tick();
    all.push(submit('a', 2));
    gates.shift()!();
    await tick();
    await tick();
    gates.shift()!();
    await Promise.all(all);
    expect(log).toEqual([
      'open 1',
      'run 1 on 1: 1',
      'close 1 broken',
      'open 2',
      'run 2 on 2: 2',
      'answer held 1',
      'close 2',
      'answer held 2',
    ]);
  });
});
