import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors.js';

// Checks over the committed spec, so every route any module adds keeps the contract's conventions.
const spec = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
type Operation = {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
};
const operations: Array<[string, Operation]> = [];
for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, Operation>>)) {
  for (const [method, op] of Object.entries(item)) operations.push([`${method.toUpperCase()} ${path}`, op]);
}

function resolve(schema: Record<string, unknown>): Record<string, unknown> {
  const ref = schema.$ref as string | undefined;
  return ref ? spec.components.schemas[ref.replace('#/components/schemas/', '')] : schema;
}

describe('the published contract', () => {
  it('puts every API route under /v1 and ops routes at the root', () => {
    for (const [name] of operations) expect(name).toMatch(/^[A-Z]+ (\/v1\/|\/(health|ready|metrics)$)/);
  });

  it('gives every operation a unique operationId and a tag', () => {
    const ids = operations.map(([, op]) => op.operationId);
    for (const [name, op] of operations) {
      expect(op.operationId, name).toBeTruthy();
      expect(op.tags?.length, name).toBeGreaterThan(0);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('rejects unknown fields in every JSON request body', () => {
    for (const [name, op] of operations) {
      const schema = op.requestBody?.content['application/json']?.schema;
      if (!schema) continue;
      const resolved = resolve(schema);
      const variants = (resolved.anyOf ?? resolved.oneOf ?? [resolved]) as Record<string, unknown>[];
      for (const v of variants) expect(resolve(v).additionalProperties, name).toBe(false);
    }
  });

  it('documents problem+json errors on every operation, and every error code in the Problem schema', () => {
    for (const [name, op] of operations) {
      // /ready's 503 carries the per-dependency checks for probes, not a problem.
      const errors = Object.entries(op.responses).filter(
        ([status]) => Number(status) >= 400 && !(name === 'GET /ready' && status === '503'),
      );
      expect(errors.length, name).toBeGreaterThan(0);
      for (const [, response] of errors) expect(Object.keys(response.content ?? {}), name).toContain('application/problem+json');
    }
    expect(spec.components.schemas.Problem.properties.code.enum.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('declares bearer auth and a 401 on every authenticated operation', () => {
    for (const [name, op] of operations) {
      if (!op.security) continue;
      expect(Object.keys(op.responses), name).toContain('401');
    }
  });
});

// Admin routes by the contract (/work/shared/API.md, "who: admin"), as a floor: a route here that
// the served spec has must be published as `x-tiketi-role: admin`, and is called below.
const CONTRACT_ADMIN_ROUTES = [
  'POST /v1/api-keys',
  'GET /v1/api-keys',
  'DELETE /v1/api-keys/{}',
  'POST /v1/events',
  'PATCH /v1/events/{}',
  'DELETE /v1/events/{}',
  'POST /v1/events/{}/ticket-types',
  'PATCH /v1/ticket-types/{}',
  'DELETE /v1/ticket-types/{}',
  'POST /v1/seat-layouts',
  'PATCH /v1/seat-layouts/{}',
  'DELETE /v1/seat-layouts/{}',
  'POST /v1/news',
  'PATCH /v1/news/{}',
  'DELETE /v1/news/{}',
  'GET /v1/keyword-mappings',
  'POST /v1/keyword-mappings',
  'DELETE /v1/keyword-mappings/{}',
  'GET /v1/holds',
  'GET /v1/reservations',
  'PATCH /v1/events/{}/queue',
  'POST /v1/events/{}/queue/admit',
  'GET /v1/payments',
  'GET /v1/users',
  'PATCH /v1/users/{}',
];
// Tags whose every operation is for admins.
const ADMIN_TAGS = ['api-keys', 'keyword-mappings', 'users', 'stats'];
const shape = (name: string) => name.replace(/\{[^}]+\}/g, '{}');

describe('every admin route checks the role', () => {
  it('answers 403 FORBIDDEN to a signed-in user and 401 to no one on every admin operation of the served spec, before reading the request', async () => {
    const { createTestApp, registerUser, bearer } = await import('../../test/harness/app.js');
    const t = await createTestApp({ state: 'memory' });
    try {
      const served = t.app.swagger() as unknown as { paths: Record<string, Record<string, Operation & { 'x-tiketi-role'?: string }>> };
      const all: Array<[string, Operation & { 'x-tiketi-role'?: string }]> = [];
      for (const [path, item] of Object.entries(served.paths)) {
        for (const [method, op] of Object.entries(item)) all.push([`${method.toUpperCase()} ${path}`, op]);
      }
      // Which operations are for admins: what the routes declare (their auth hook, published as
      // x-tiketi-role), what the contract says, and every operation of an admin-only tag. A route
      // that forgot its role check is in the second or third set and fails below.
      const admin = all.filter(
        ([name, op]) =>
          op['x-tiketi-role'] === 'admin' ||
          CONTRACT_ADMIN_ROUTES.includes(shape(name)) ||
          (op.tags ?? []).some((tag) => ADMIN_TAGS.includes(tag)),
      );
      expect(admin.length).toBeGreaterThan(15);
      for (const [name, op] of admin) {
        expect([name, op['x-tiketi-role']]).toEqual([name, 'admin']);
        expect([name, Object.keys(op.responses)]).toEqual([name, expect.arrayContaining(['401', '403'])]);
      }
      // Every operation behind bearer auth says who it is for.
      for (const [name, op] of all) {
        const bearerAuth = (op.security ?? []).some((s) => 'bearer' in (s as object));
        expect([name, bearerAuth]).toEqual([name, op['x-tiketi-role'] !== undefined]);
      }

      const user = await registerUser(t.app);
      for (const [name, op] of all) {
        if (!op['x-tiketi-role']) continue;
        const [method, path] = name.split(' ') as [string, string];
        const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        const payload = method === 'GET' || method === 'DELETE' ? undefined : {};
        if (op['x-tiketi-role'] === 'admin') {
          const asUser = await t.app.inject({ method: method as 'GET', url, headers: bearer(user.token), payload });
          expect([name, asUser.statusCode, asUser.json().code]).toEqual([name, 403, 'FORBIDDEN']);
        }
        const anonymous = await t.app.inject({ method: method as 'GET', url, payload });
        expect([name, anonymous.statusCode]).toEqual([name, 401]);
      }
    } finally {
      await t.close();
    }
  });
});
