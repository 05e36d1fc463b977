// HAProxy for the one-machine stack: Debian's package (2.6 on Debian 12), found on PATH. Its config
// mirrors the Kubernetes Ingress: /v1/realtime upgrades go to the realtime listeners, the sandbox's
// payment window to the shared sandbox, everything else to the API instances; health checks on /ready.
import { execFileSync } from 'node:child_process';

export class HaproxyMissing extends Error {}

function which(bin: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The haproxy binary. As root, a missing one is installed with apt-get (as the test harness does for
 * redis-server) when `install` is set; otherwise HaproxyMissing says how to get it.
 */
export function findHaproxy(opts: { install?: boolean; log?: (line: string) => void } = {}): string {
  const found = which('haproxy');
  if (found) return found;
  if (opts.install && process.getuid?.() === 0) {
    opts.log?.('haproxy missing: installing it with apt-get (Debian package)');
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy'], { stdio: 'inherit' });
    const installed = which('haproxy');
    if (installed) return installed;
  }
  throw new HaproxyMissing('the load-balanced stack needs HAProxy: install it with `sudo apt-get install -y haproxy` (Debian/Ubuntu)');
}

export interface HaproxyBackendServer {
  name: string;
  httpPort: number;
  realtimePort: number;
}

/** haproxy.cfg for the stack; `statsPort` serves /stats (and /stats;csv, read by the stack for server states). */
export function haproxyConfig(opts: { port: number; statsPort: number; sandboxPort: number; servers: HaproxyBackendServer[] }): string {
  const api = opts.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.httpPort} check`);
  // The realtime listener has no /ready of its own: its instance's API port answers for it.
  const realtime = opts.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.realtimePort} check port ${s.httpPort}`);
  return `# Written by deploy/stack (npm run stack); regenerated at every start.
global
  # No maxconn: HAProxy sizes it from the open-file limit (a fixed one fails where the limit is lower).

defaults
  mode http
  option forwardfor
  option redispatch 1
  # A request that could not connect (an instance just died, not yet marked down) goes to another
  # instance; one that reached an instance is never replayed (it may have taken seats or money).
  retries 3
  retry-on conn-failure
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-request 10s
  timeout http-keep-alive 10s
  # Open WebSockets (the realtime channel) live past the HTTP timeouts.
  timeout tunnel 1h
  timeout client-fin 5s
  default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 2 on-marked-down shutdown-sessions

frontend tiketi
  bind 127.0.0.1:${opts.port}
  acl realtime_path path /v1/realtime
  acl websocket hdr(upgrade) -i websocket
  acl sandbox path_beg /sandbox/toss
  use_backend realtime if realtime_path websocket
  use_backend sandbox if sandbox
  default_backend api

backend api
  balance roundrobin
  option httpchk GET /ready
  http-check expect status 200
${api.join('\n')}

backend realtime
  balance leastconn
  option httpchk GET /ready
  http-check expect status 200
${realtime.join('\n')}

backend sandbox
  server sandbox 127.0.0.1:${opts.sandboxPort}

listen stats
  bind 127.0.0.1:${opts.statsPort}
  stats enable
  stats uri /stats
  stats refresh 5s
`;
}

/** HAProxy's stats CSV, one record per line keyed by its header (pxname, svname, status, stot, …). */
export async function haproxyStats(statsPort: number): Promise<Array<Record<string, string>>> {
  const res = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`);
  const [header = '', ...lines] = (await res.text()).split('\n');
  const names = header.replace(/^#\s*/, '').split(',');
  return lines.filter(Boolean).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
  });
}

/** Server states: `${backend}/${server}` → UP, DOWN, … */
export async function haproxyServerStates(statsPort: number): Promise<Map<string, string>> {
  const rows = await haproxyStats(statsPort);
  return new Map(rows.filter((r) => r.svname !== 'FRONTEND' && r.svname !== 'BACKEND').map((r) => [`${r.pxname}/${r.svname}`, r.status!]));
}
