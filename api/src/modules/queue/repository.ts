// All SQL of the queue module: the per-event settings (the line itself is in the QueueStore).
import type { Queryable } from '../../infra/db.js';

export interface QueueSettingsRow {
  event_id: string;
  enabled: boolean;
  paused: boolean;
  admit_per_second: number;
  admission_ttl_seconds: number;
  max_active: number;
  admission_order: 'fifo' | 'randomized-at-open';
  /** The queue's own opening time, else the event's sale start; null when neither is set. */
  opens_at: Date | null;
  /** The queue's own opening time only (what an admin set). */
  own_opens_at: Date | null;
}

export interface QueueSettingsPatch {
  enabled?: boolean;
  paused?: boolean;
  admitPerSecond?: number;
  admissionTtlSeconds?: number;
  maxActive?: number;
  order?: 'fifo' | 'randomized-at-open';
  opensAt?: string | null;
}

const COLUMNS = `e.id AS event_id, coalesce(q.enabled, false) AS enabled, coalesce(q.paused, false) AS paused,
  coalesce(q.admit_per_second, 10) AS admit_per_second, coalesce(q.admission_ttl_seconds, 600) AS admission_ttl_seconds,
  coalesce(q.max_active, 1000) AS max_active, coalesce(q.admission_order, 'fifo') AS admission_order,
  coalesce(q.opens_at, e.sale_start_date) AS opens_at, q.opens_at AS own_opens_at`;

export const queueRepository = {
  /** The event's settings (defaults when never set); undefined when there is no such event. */
  async findSettings(db: Queryable, eventId: string): Promise<QueueSettingsRow | undefined> {
    const { rows } = await db.query<QueueSettingsRow>(
      `SELECT ${COLUMNS} FROM ticket.events e LEFT JOIN ticket.queue_settings q ON q.event_id = e.id WHERE e.id = $1`,
      [eventId],
    );
    return rows[0];
  },

  /** Every event whose queue is on (the admitter's work list). */
  async listEnabled(db: Queryable): Promise<QueueSettingsRow[]> {
    const { rows } = await db.query<QueueSettingsRow>(
      `SELECT ${COLUMNS} FROM ticket.queue_settings q JOIN ticket.events e ON e.id = q.event_id WHERE q.enabled`,
    );
    return rows;
  },

  /** Writes the given fields (others keep their value or default); undefined when there is no such event. */
  async upsertSettings(db: Queryable, eventId: string, patch: QueueSettingsPatch): Promise<QueueSettingsRow | undefined> {
    const { rowCount } = await db.query(
      `INSERT INTO ticket.queue_settings AS q
              (event_id, enabled, paused, admit_per_second, admission_ttl_seconds, max_active, admission_order, opens_at)
       SELECT e.id, coalesce($2, false), coalesce($3, false), coalesce($4, 10), coalesce($5, 600), coalesce($6, 1000),
              coalesce($7, 'fifo'), CASE WHEN $9 THEN $8::timestamptz END
         FROM ticket.events e WHERE e.id = $1
       ON CONFLICT (event_id) DO UPDATE SET
              enabled = coalesce($2, q.enabled), paused = coalesce($3, q.paused),
              admit_per_second = coalesce($4, q.admit_per_second), admission_ttl_seconds = coalesce($5, q.admission_ttl_seconds),
              max_active = coalesce($6, q.max_active), admission_order = coalesce($7, q.admission_order),
              opens_at = CASE WHEN $9 THEN $8::timestamptz ELSE q.opens_at END`,
      [
        eventId,
        patch.enabled ?? null,
        patch.paused ?? null,
        patch.admitPerSecond ?? null,
        patch.admissionTtlSeconds ?? null,
        patch.maxActive ?? null,
        patch.order ?? null,
        patch.opensAt ?? null,
        patch.opensAt !== undefined,
      ],
    );
    return rowCount ? this.findSettings(db, eventId) : undefined;
  },
};
