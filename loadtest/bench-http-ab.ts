// The API's CPU per request on one route, for two or more versions of the code at once.
//
//   BENCH_AB='{"before":{"dir":"/path/to/other/worktree"},"after":{"dir":"."}}' npm run bench:http-ab
//   BENCH_AB='{"a":{},"b":{"flags":"--max-semi-space-size=16"}}' BENCH_AB_URL=/health npm run bench:http-ab
//
// Every variant's API process (its checkout's loadtest/bench-server.ts, with its node flags) runs at
// the same time under the same load, round after round, so a slow phase of the host hits all of
// them alike; a variant's figure is the median over rounds of its process's CPU time (from /proc)
// divided by the requests it answered. Run each variant twice (two keys with the same settings):
// the position of a process in the list can move its figure by a few percent on this machine.
import { migrateUp } from '../api/src/infra/migrate.js';
import { PRODUCTION_NODE_FLAGS, forkBenchServer, procCpuSeconds, startBenchPostgres } from './bench-env.js';
import { RawHttpConnection } from './raw-http.js';

interface Variant {
  /** A checkout of this repository (default: this one). */
  dir?: string;
  /** Node flags of the API process (default: the production flags of `npm start`). */
  flags?: string;
  /** Extra environment of the API process. */
  env?: Record<string, string>;
}

const variants = JSON.parse(process.env.BENCH_AB ?? '{"a":{},"b":{}}') as Record<string, Variant>;
const url = process.env.BENCH_AB_URL ?? '/health';
const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 8);
const clientsEach = Number(process.env.BENCH_AB_CLIENTS ?? 24);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const pg = await startBenchPostgres('bench_ab');
try {
  await migrateUp(pg.url, () => {});
  const servers = await Promise.all(
    Object.entries(variants).map(async ([name, v]) => {
      const { child, port } = await forkBenchServer({
        databaseUrl: pg.url,
        dir: v.dir,
        nodeFlags: v.flags === undefined ? PRODUCTION_NODE_FLAGS : v.flags.split(' ').filter(Boolean),
        env: v.env,
      }).catch((err: Error) => {
        throw new Error(`${name}: ${err.message}`);
      });
      const connections = Array.from({ length: clientsEach }, () => new RawHttpConnection(port));
      return { name, child, connections, perRequest: [] as number[], answered: 0 };
    }),
  );
  console.log(`bench-http-ab: ${servers.length} API processes at once, ${clientsEach} clients each, GET ${url}, ${rounds} rounds of 2.5 s`);
  for (let round = 0; round < rounds; round++) {
    let stop = false;
    let counting = false;
    const before = new Map<string, number>();
    for (const s of servers) s.answered = 0;
    const warm = setTimeout(() => {
      counting = true;
      for (const s of servers) before.set(s.name, procCpuSeconds(s.child.pid!));
    }, 500);
    const end = setTimeout(() => (stop = true), 3000);
    await Promise.all(
      servers.flatMap((s) =>
        s.connections.map(async (c) => {
          while (!stop) {
            const res = await c.request('GET', url);
            if (res.status >= 400) throw new Error(`${s.name}: GET ${url} answered ${res.status}`);
            if (counting && !stop) s.answered++;
          }
        }),
      ),
    );
    clearTimeout(warm);
    clearTimeout(end);
    // The first round warms the JIT and is left out.
    if (round > 0) for (const s of servers) s.perRequest.push(((procCpuSeconds(s.child.pid!) - before.get(s.name)!) * 1e6) / s.answered);
  }
  const first = median(servers[0]!.perRequest);
  for (const s of servers) {
    const m = median(s.perRequest);
    console.log(
      `${s.name.padEnd(12)} API CPU ${m.toFixed(1).padStart(6)} µs per request (median; rounds: ${s.perRequest.map((x) => x.toFixed(0)).join(' ')})  ${((m / first - 1) * 100).toFixed(1)} % against ${servers[0]!.name}`,
    );
  }
  for (const s of servers) {
    s.connections.forEach((c) => c.close());
    s.child.send('stop');
  }
  await Promise.all(servers.map((s) => new Promise((resolve) => s.child.once('exit', resolve))));
} finally {
  await pg.stop();
}
