// Shared by the `queue` commands: how a waiting room looks for humans.
import type { QueueSettings } from '@tiketi/sdk';

/** One line: the line now and its pace. */
export function describeLine(q: QueueSettings): string {
  if (!q.enabled) return 'Waiting room off: holds need no admission.';
  const state = q.paused ? 'paused' : 'admitting';
  return [
    `${q.waiting} waiting`,
    `${q.active}/${q.maxActive} admitted now`,
    `${q.admittedTotal} admitted in all`,
    `${q.admissionRate}/s measured (pace ${q.admitPerSecond}/s, ${state})`,
  ].join(' · ');
}

/** The settings as a record for humans. */
export function settingsRecord(q: QueueSettings): Record<string, unknown> {
  return {
    event: q.eventId,
    enabled: q.enabled,
    paused: q.paused,
    'admit per second': q.admitPerSecond,
    'admission ttl (s)': q.admissionTtlSeconds,
    'max active': q.maxActive,
    order: q.order,
    'opens at': q.opensAt,
    waiting: q.waiting,
    active: q.active,
    'admitted in all': q.admittedTotal,
    'measured rate (/s)': q.admissionRate,
  };
}
