// Compile-time proof that every command returns what CommandResults (results.ts) says, so the
// `--json` schemas in command-snapshot.json describe what the commands really print. Types only:
// nothing here runs. scripts/command-snapshot.ts checks that the ids match the built commands.
import type { CommandResults } from './results.js';
import type LoginCommand from './commands/login.js';
import type LogoutCommand from './commands/logout.js';
import type WhoamiCommand from './commands/whoami.js';
import type ApiKeysCreateCommand from './commands/api-keys/create.js';
import type ApiKeysListCommand from './commands/api-keys/list.js';
import type ApiKeysRevokeCommand from './commands/api-keys/revoke.js';
import type EventsCreateCommand from './commands/events/create.js';
import type EventsListCommand from './commands/events/list.js';
import type EventsGetCommand from './commands/events/get.js';
import type EventsUpdateCommand from './commands/events/update.js';
import type EventsOpenSaleCommand from './commands/events/open-sale.js';
import type EventsCloseSaleCommand from './commands/events/close-sale.js';
import type EventsDeleteCommand from './commands/events/delete.js';
import type SeatLayoutsCreateCommand from './commands/seat-layouts/create.js';
import type SeatLayoutsListCommand from './commands/seat-layouts/list.js';
import type SeatLayoutsGetCommand from './commands/seat-layouts/get.js';
import type TicketTypesCreateCommand from './commands/ticket-types/create.js';
import type TicketTypesListCommand from './commands/ticket-types/list.js';
import type TicketTypesUpdateCommand from './commands/ticket-types/update.js';
import type SeatsMapCommand from './commands/seats/map.js';
import type ReservationsListCommand from './commands/reservations/list.js';
import type ReservationsGetCommand from './commands/reservations/get.js';
import type ReservationsCancelCommand from './commands/reservations/cancel.js';
import type PaymentsListCommand from './commands/payments/list.js';
import type PaymentsGetCommand from './commands/payments/get.js';
import type PaymentsRefundCommand from './commands/payments/refund.js';
import type NewsCreateCommand from './commands/news/create.js';
import type NewsListCommand from './commands/news/list.js';
import type NewsGetCommand from './commands/news/get.js';
import type NewsUpdateCommand from './commands/news/update.js';
import type NewsDeleteCommand from './commands/news/delete.js';
import type KeywordMappingsCreateCommand from './commands/keyword-mappings/create.js';
import type KeywordMappingsListCommand from './commands/keyword-mappings/list.js';
import type KeywordMappingsDeleteCommand from './commands/keyword-mappings/delete.js';
import type UsersListCommand from './commands/users/list.js';
import type UsersFindCommand from './commands/users/find.js';
import type UsersSetRoleCommand from './commands/users/set-role.js';
import type QueueStatusCommand from './commands/queue/status.js';
import type QueueSettingsCommand from './commands/queue/settings.js';
import type QueuePauseCommand from './commands/queue/pause.js';
import type QueueResumeCommand from './commands/queue/resume.js';
import type QueueAdmitCommand from './commands/queue/admit.js';
import type QueueWatchCommand from './commands/queue/watch.js';

/** The class of each command, by id. */
interface Commands {
  login: typeof LoginCommand;
  logout: typeof LogoutCommand;
  whoami: typeof WhoamiCommand;
  'api-keys:create': typeof ApiKeysCreateCommand;
  'api-keys:list': typeof ApiKeysListCommand;
  'api-keys:revoke': typeof ApiKeysRevokeCommand;
  'events:create': typeof EventsCreateCommand;
  'events:list': typeof EventsListCommand;
  'events:get': typeof EventsGetCommand;
  'events:update': typeof EventsUpdateCommand;
  'events:open-sale': typeof EventsOpenSaleCommand;
  'events:close-sale': typeof EventsCloseSaleCommand;
  'events:delete': typeof EventsDeleteCommand;
  'seat-layouts:create': typeof SeatLayoutsCreateCommand;
  'seat-layouts:list': typeof SeatLayoutsListCommand;
  'seat-layouts:get': typeof SeatLayoutsGetCommand;
  'ticket-types:create': typeof TicketTypesCreateCommand;
  'ticket-types:list': typeof TicketTypesListCommand;
  'ticket-types:update': typeof TicketTypesUpdateCommand;
  'seats:map': typeof SeatsMapCommand;
  'reservations:list': typeof ReservationsListCommand;
  'reservations:get': typeof ReservationsGetCommand;
  'reservations:cancel': typeof ReservationsCancelCommand;
  'payments:list': typeof PaymentsListCommand;
  'payments:get': typeof PaymentsGetCommand;
  'payments:refund': typeof PaymentsRefundCommand;
  'news:create': typeof NewsCreateCommand;
  'news:list': typeof NewsListCommand;
  'news:get': typeof NewsGetCommand;
  'news:update': typeof NewsUpdateCommand;
  'news:delete': typeof NewsDeleteCommand;
  'keyword-mappings:create': typeof KeywordMappingsCreateCommand;
  'keyword-mappings:list': typeof KeywordMappingsListCommand;
  'keyword-mappings:delete': typeof KeywordMappingsDeleteCommand;
  'users:list': typeof UsersListCommand;
  'users:find': typeof UsersFindCommand;
  'users:set-role': typeof UsersSetRoleCommand;
  'queue:status': typeof QueueStatusCommand;
  'queue:settings': typeof QueueSettingsCommand;
  'queue:pause': typeof QueuePauseCommand;
  'queue:resume': typeof QueueResumeCommand;
  'queue:admit': typeof QueueAdmitCommand;
  'queue:watch': typeof QueueWatchCommand;
}

type ResultOf<C> = C extends abstract new (...args: never[]) => { run(): Promise<infer R> } ? R : never;

/** `true` for each command whose run() result is assignable to its CommandResults entry. */
type Checked = { [K in keyof CommandResults]: K extends keyof Commands ? (ResultOf<Commands[K]> extends CommandResults[K] ? true : K) : K };

/** Fails to compile, naming the command, when a result drifts from CommandResults or a command is missing. */
export const resultsChecked: { [K in keyof CommandResults]: true } = {} as Checked;
