import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { SharedState } from '../../infra/shared-state.js';

// One-time tickets for the realtime upgrade, so the JWT never travels in a URL (proxies log URLs).
// Only a hash of the ticket is stored, so a look at Redis does not yield usable tickets.
const key = (ticket: string) => `rt-ticket:${createHash('sha256').update(ticket).digest('base64url')}`;

export interface RealtimeTicket {
  ticket: string;
  expiresAt: string;
  url?: string;
}

export function createRealtimeTicketService(deps: { shared: SharedState; ttlSeconds: number; publicUrl?: string }) {
  return {
    /** A ticket bound to userId, valid for one upgrade within the TTL. */
    async issue(userId: string): Promise<RealtimeTicket> {
      const ticket = randomBytes(24).toString('base64url');
      const ttlMs = deps.ttlSeconds * 1000;
      try {
        await deps.shared.set(key(ticket), userId, ttlMs);
      } catch {
        throw new AppError('SERVICE_UNAVAILABLE', 'Cannot issue a realtime ticket now; try again');
      }
      return {
        ticket,
        expiresAt: new Date(Date.now() + ttlMs).toISOString(),
        ...(deps.publicUrl ? { url: deps.publicUrl } : {}),
      };
    },
  };
}

export type RealtimeTicketService = ReturnType<typeof createRealtimeTicketService>;

/** The user a ticket was issued to, once: a second use (or an unknown or expired ticket) gets null. */
export async function consumeRealtimeTicket(shared: SharedState, ticket: string): Promise<string | null> {
  if (ticket.length > 64) return null;
  return shared.take(key(ticket));
}
