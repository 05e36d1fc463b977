// Checks built manifests against what TIKETI itself expects, beyond what the Kubernetes schemas
// can say: configuration keys the API knows, drains that fit the grace period, probes, limits,
// and the realtime route going to the realtime listener. Usage: tsx deploy/scripts/policy.ts <built.yaml>...
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ConfigSchema } from '../../api/src/config.js';

interface Container {
  name: string;
  image: string;
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean };
}
interface Resource {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
    selector?: { matchLabels?: Record<string, string> };
    rules?: Array<{ http: { paths: Array<{ path: string; backend: { service: { name: string; port: { name?: string } } } }> } }>;
    ports?: Array<{ name: string; targetPort: string | number }>;
  };
}

const KNOWN_KEYS = new Set(Object.keys(ConfigSchema.properties));
// Keys that configure something other than the API (the local overlay's PostgreSQL).
const OTHER_KEYS = new Set(['POSTGRES_PASSWORD']);
const ROLES = new Set(['http', 'realtime', 'admitter', 'sweeper']);

const failures: string[] = [];
const fail = (where: string, what: string) => failures.push(`${where}: ${what}`);

for (const file of process.argv.slice(2)) {
  const resources = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON() as Resource);
  const byKind = (kind: string) => resources.filter((r) => r.kind === kind);
  const config = byKind('ConfigMap').find((c) => c.metadata.name === 'tiketi-config');
  const shutdownSeconds = Number(config?.data?.SHUTDOWN_TIMEOUT_MS ?? 10_000) / 1000;

  // Every key given to the API is one it reads: a typo would otherwise be silently ignored.
  for (const r of [...byKind('ConfigMap'), ...byKind('Secret')].filter((r) => /^tiketi-(config|secrets)/.test(r.metadata.name))) {
    for (const key of Object.keys({ ...r.data, ...r.stringData })) {
      if (!KNOWN_KEYS.has(key) && !OTHER_KEYS.has(key)) fail(`${file} ${r.kind}/${r.metadata.name}`, `${key} is not a TIKETI setting`);
    }
  }

  const workloads = [...byKind('Deployment'), ...byKind('StatefulSet'), ...byKind('Job')];
  for (const w of workloads) {
    const where = `${file} ${w.kind}/${w.metadata.name}`;
    const pod = w.spec!.template!.spec;
    const tiketi = pod.containers.some((c) => c.image.includes('tiketi'));
    if (!pod.securityContext?.runAsNonRoot) fail(where, 'pods run as non-root');
    for (const c of pod.containers) {
      if (!c.resources?.requests?.cpu || !c.resources?.limits?.memory) fail(where, `${c.name} needs a CPU request and a memory limit`);
      if (!tiketi) continue;
      if (!c.securityContext?.readOnlyRootFilesystem || c.securityContext.allowPrivilegeEscalation !== false) {
        fail(where, `${c.name} runs with a read-only root and no privilege escalation`);
      }
      for (const role of (c.env?.find((e) => e.name === 'TIKETI_ROLES')?.value ?? '').split(',').filter(Boolean)) {
        if (!ROLES.has(role)) fail(where, `unknown role ${role}`);
      }
      if (w.kind === 'Job') continue;
      if (!c.readinessProbe || !c.livenessProbe) fail(where, `${c.name} needs readiness (/ready) and liveness (/health) probes`);
      // The endpoint must leave the load balancers (preStop) and the drain must finish before SIGKILL.
      const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      if (preStop + shutdownSeconds >= grace) {
        fail(
          where,
          `preStop ${preStop}s + SHUTDOWN_TIMEOUT_MS ${shutdownSeconds}s must stay under terminationGracePeriodSeconds ${grace}s`,
        );
      }
    }
  }

  // /v1/realtime goes to a Service port that lands on the realtime listener (3001), not the API port.
  for (const ingress of byKind('Ingress')) {
    const paths = ingress.spec!.rules!.flatMap((rule) => rule.http.paths);
    const realtime = paths.find((p) => p.path === '/v1/realtime');
    if (!realtime) {
      fail(`${file} Ingress/${ingress.metadata.name}`, 'routes /v1/realtime');
      continue;
    }
    const service = byKind('Service').find((s) => s.metadata.name === realtime.backend.service.name);
    const port = service?.spec?.ports?.find((p) => p.name === realtime.backend.service.port.name);
    const target = workloads
      .filter((w) => Object.entries(service?.spec?.selector ?? {}).every(([k, v]) => w.spec!.template!.metadata?.labels?.[k] === v))
      .flatMap((w) => w.spec!.template!.spec.containers.flatMap((c) => c.ports ?? []))
      .find((p) => p.name === port?.targetPort || p.containerPort === port?.targetPort);
    if (target?.containerPort !== 3001)
      fail(`${file} Ingress/${ingress.metadata.name}`, '/v1/realtime must reach the realtime listener on 3001');
  }

  // Every multi-replica TIKETI Deployment has a PodDisruptionBudget.
  for (const d of byKind('Deployment').filter((d) => d.metadata.name.startsWith('tiketi-') && d.metadata.name !== 'tiketi-worker')) {
    const labels = d.spec!.template!.metadata?.labels ?? {};
    const covered = byKind('PodDisruptionBudget').some((p) =>
      Object.entries(p.spec?.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
    );
    if (!covered) fail(`${file} Deployment/${d.metadata.name}`, 'needs a PodDisruptionBudget');
  }
  console.log(`policy: ${file}: ${resources.length} resources checked`);
}

if (failures.length) {
  console.error(`policy: ${failures.length} problem(s)\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('policy: every manifest follows the deployment rules');
