// Assembles the waiting room: the line's store (Redis, or process memory in single-instance mode),
// admission tokens, the service, its metrics and the background admitter.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Config } from '../../config.js';
import type { Db } from '../../infra/db.js';
import type { SharedState } from '../../infra/shared-state.js';
import type { RealtimePublisher } from '../../realtime/bus.js';
import { createAdmissionTokens } from './admission.js';
import { createAdmitter } from './admitter.js';
import { createMemoryQueueStore } from './memory-store.js';
import { createRedisQueueStore } from './redis-store.js';
import { createQueueService } from './service.js';

export { queueRoutes } from './routes.js';
export type { QueueService } from './service.js';

export async function createQueue(deps: {
  config: Pick<Config, 'JWT_SECRET' | 'REDIS_PREFIX'>;
  db: Db;
  shared: SharedState;
  publisher: RealtimePublisher;
  registry: Registry;
  log: (err: unknown, msg: string) => void;
}) {
  const { config, shared, registry } = deps;
  const store = shared.redis ? createRedisQueueStore(shared.redis, config.REDIS_PREFIX) : createMemoryQueueStore();
  const admissions = new Counter({
    name: 'tiketi_queue_admissions_total',
    help: 'Waiting-room admissions made by this process (admitter and admin), by event',
    labelNames: ['event_id'],
    registers: [registry],
  });
  const service = await createQueueService({
    db: deps.db,
    shared,
    store,
    tokens: createAdmissionTokens(config.JWT_SECRET),
    publisher: deps.publisher,
    log: deps.log,
    onAdmitted: (eventId, count) => admissions.inc({ event_id: eventId }, count),
  });

  // Line figures as every instance sees them, read from the store when scraped, per enabled queue.
  // prom-client collects the gauges concurrently: they share one read (kept half a second).
  let snapshot: { at: number; lines: ReturnType<typeof service.lineStats> } | undefined;
  const lines = () => {
    if (!snapshot || Date.now() - snapshot.at > 500) snapshot = { at: Date.now(), lines: service.lineStats().catch(() => []) };
    return snapshot.lines;
  };
  type Line = Awaited<ReturnType<typeof service.lineStats>>[number];
  const lineGauge = (name: string, help: string, value: (line: Line) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['event_id'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const line of await lines()) this.set({ event_id: line.eventId }, value(line));
      },
    });
  lineGauge('tiketi_queue_waiting', 'People waiting in line', (l) => l.waiting);
  lineGauge('tiketi_queue_active_admissions', 'Live admissions', (l) => l.active);
  lineGauge('tiketi_queue_admitted', 'Admissions since the line started, all instances', (l) => l.admittedTotal);
  lineGauge('tiketi_queue_admission_rate', 'Measured admissions per second (about the last half minute)', (l) => l.ratePerSecond);

  const admitter = createAdmitter(service, (err) => deps.log(err, 'queue admitter round failed'));
  return { service, admitter };
}
