// The `--json` result of every command: what `run()` returns and oclif prints. Scripts rely on these
// shapes; errors use FailureJson (failures.ts). Keep in step with cli/README.md.
import type { ApiKey, CreatedApiKey, QueueSettings, User } from '@tiketi/sdk';
import type { MapSeat } from './api.js';
import type { CredentialSource } from './base-command.js';
import type { Counts, SectionSummary } from './seat-map.js';
import { array, boolean, enums, integer, literal, object, page, ref, response, string, type TypeOf } from './result-schema.js';

export interface LoginResult {
  profile: string;
  apiUrl: string;
  user: User;
  /** Where the token was saved (0600). */
  profilePath: string;
}

export interface LogoutResult {
  profile: string;
  /** False when the profile had no saved token. */
  loggedOut: boolean;
  /** Whether the server revoked the sign-in (or, with --everywhere, every session of the account). */
  revokedOnServer: boolean;
}

export interface WhoamiResult {
  profile: string;
  apiUrl: string;
  credential: CredentialSource;
  user: User;
}

export type ApiKeyCreateResult = CreatedApiKey;

export interface ApiKeyListResult {
  data: ApiKey[];
  nextCursor: string | null;
}

export type ApiKeyRevokeResult = ApiKey;

export interface UserListResult {
  data: User[];
  nextCursor: string | null;
}

export type UserSetRoleResult = User;

/** Every `list` command: one page (or all of them with --all, then nextCursor is null). */
export interface ListResult<T> {
  data: T[];
  nextCursor: string | null;
}

/** Every `delete` command. */
export interface DeleteResult {
  id: string;
  deleted: true;
}

/** `seats map`: the counts per status overall and per section, and every seat drawn. */
export interface SeatMapResult {
  eventId: string;
  version: number;
  counts: Counts;
  sections: SectionSummary[];
  seats: MapSeat[];
}

/** `queue watch`: how many changes it showed and the last reading. */
export interface QueueWatchResult {
  eventId: string;
  updates: number;
  last: QueueSettings;
}

/**
 * The `--json` result of every command, by command id: the `result` of the success envelope
 * (`{ status: "ok", result, warnings }`) as JSON Schema. The compiler checks each against what the
 * command's run() returns (command-results.ts); scripts/command-snapshot.ts commits them.
 */
const counts = { available: integer, held: integer, sold: integer, total: integer };
const deleted = object({ id: string, deleted: literal(true) });
export const RESULT_SCHEMAS = {
  login: object({ profile: string, apiUrl: string, user: ref('User'), profilePath: string }),
  logout: object({ profile: string, loggedOut: boolean, revokedOnServer: boolean }),
  whoami: object({
    profile: string,
    apiUrl: string,
    credential: enums('TIKETI_API_KEY', 'TIKETI_TOKEN', 'profile', 'none'),
    user: ref('User'),
  }),
  'api-keys:create': ref('CreatedApiKey'),
  'api-keys:list': page(ref('ApiKey')),
  'api-keys:revoke': ref('ApiKey'),
  'events:create': ref('EventDetail'),
  'events:list': page(ref('Event')),
  'events:get': ref('EventDetail'),
  'events:update': ref('EventDetail'),
  'events:open-sale': ref('EventDetail'),
  'events:close-sale': ref('EventDetail'),
  'events:delete': deleted,
  'events:cancel': ref('EventCancellation'),
  'seat-layouts:create': ref('SeatLayout'),
  'seat-layouts:list': page(ref('SeatLayout')),
  'seat-layouts:get': ref('SeatLayout'),
  'seat-layouts:update': ref('SeatLayout'),
  'seat-layouts:delete': deleted,
  'ticket-types:create': ref('TicketType'),
  'ticket-types:list': page(ref('TicketType')),
  'ticket-types:update': ref('TicketType'),
  'ticket-types:delete': deleted,
  'holds:list': page(ref('Hold')),
  'holds:get': ref('Hold'),
  'holds:release': ref('Hold'),
  'seats:map': object({
    eventId: string,
    version: integer,
    counts: object(counts),
    sections: array(object({ name: string, ...counts })),
    seats: array(ref('MapSeat')),
  }),
  'reservations:list': page(ref('Reservation')),
  'reservations:get': ref('Reservation'),
  'reservations:cancel': ref('Reservation'),
  'reservations:complimentary': ref('Reservation'),
  'payments:list': page(ref('Payment')),
  'payments:get': ref('Payment'),
  'payments:refund': ref('Payment'),
  'news:create': ref('News'),
  'news:list': page(ref('News')),
  'news:get': ref('News'),
  'news:update': ref('News'),
  'news:delete': deleted,
  'keyword-mappings:create': ref('KeywordMapping'),
  'keyword-mappings:list': page(ref('KeywordMapping')),
  'keyword-mappings:delete': deleted,
  'users:list': page(ref('User')),
  'users:find': ref('User'),
  'users:set-role': ref('User'),
  'queue:status': ref('QueueSettings'),
  'queue:settings': ref('QueueSettings'),
  'queue:pause': ref('QueueSettings'),
  'queue:resume': ref('QueueSettings'),
  'queue:admit': ref('AdmitResult'),
  'stats:overview': response('statsOverview'),
  'stats:daily': response('statsDaily'),
  'stats:events': response('statsEvents'),
  'stats:event': response('statsEvent'),
  'stats:payments': response('statsPayments'),
  'stats:revenue': response('statsRevenue'),
  'stats:users': response('statsUsers'),
  'stats:hourly-traffic': response('statsHourlyTraffic'),
  'stats:conversion': response('statsConversion'),
  'stats:cancellations': response('statsCancellations'),
  'stats:realtime': response('statsRealtime'),
  'stats:seat-preferences': response('statsSeatPreferences'),
  'stats:user-behavior': response('statsUserBehavior'),
  'stats:performance': response('statsPerformance'),
  'queue:watch': object({ eventId: string, updates: integer, last: ref('QueueSettings') }),
};

export type CommandResults = { [K in keyof typeof RESULT_SCHEMAS]: TypeOf<(typeof RESULT_SCHEMAS)[K]> };
