import { Type, type Static } from '@sinclair/typebox';
import { Nullable, StrictObject, Timestamp, Uuid } from '../../schemas.js';

export const QueueOrder = Type.Union([Type.Literal('fifo'), Type.Literal('randomized-at-open')], {
  description:
    '`fifo`: in join order. `randomized-at-open`: who joined before the line opens (`opensAt`) gets a random place, later arrivals queue behind them in join order.',
});

export const QueueSettings = Type.Object(
  {
    eventId: Uuid(),
    enabled: Type.Boolean({ description: 'While true, holds of the event need an admission (header X-Queue-Token)' }),
    paused: Type.Boolean({ description: 'The admitter lets nobody in (joining still works; admins can still admit)' }),
    admitPerSecond: Type.Integer({ minimum: 1, description: 'Pace of the background admitter' }),
    admissionTtlSeconds: Type.Integer({ minimum: 1, description: 'How long an admission lasts' }),
    maxActive: Type.Integer({ minimum: 1, description: 'The admitter stops while this many admissions are live' }),
    order: QueueOrder,
    opensAt: Nullable(
      Timestamp({
        description: "When the line opens (the queue's own time, else the event's sale start): the admitter lets nobody in before",
      }),
    ),
    waiting: Type.Integer({ minimum: 0, description: 'People in line now' }),
    active: Type.Integer({ minimum: 0, description: 'Admissions live now' }),
    admittedTotal: Type.Integer({ minimum: 0, description: 'Admissions since the line started' }),
    admissionRate: Type.Number({ minimum: 0, description: 'Measured admissions per second (about the last half minute)' }),
  },
  { $id: 'QueueSettings', title: 'QueueSettings' },
);

export const QueueSettingsPatch = StrictObject(
  {
    enabled: Type.Optional(Type.Boolean()),
    paused: Type.Optional(Type.Boolean()),
    admitPerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    admissionTtlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    maxActive: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
    order: Type.Optional(QueueOrder),
    opensAt: Type.Optional(Nullable(Timestamp({ description: "null = the event's sale start" }))),
  },
  { minProperties: 1 },
);

export const Admission = Type.Object(
  {
    token: Type.String({ description: 'Send as header X-Queue-Token when holding seats or tickets of this event' }),
    expiresAt: Timestamp(),
  },
  { $id: 'Admission', title: 'Admission' },
);

export const QueuePlace = Type.Object(
  {
    eventId: Uuid(),
    status: Type.Union([Type.Literal('waiting'), Type.Literal('admitted')]),
    position: Type.Integer({ minimum: 0, description: 'Your place in line, 1 = next; 0 once admitted' }),
    ahead: Type.Integer({ minimum: 0, description: 'People before you' }),
    etaSeconds: Nullable(
      Type.Integer({ minimum: 0, description: 'Estimated wait from the measured admission rate; null while the line does not move' }),
    ),
    admission: Type.Optional(Type.Ref('Admission')),
  },
  { $id: 'QueuePlace', title: 'QueuePlace' },
);

export const AdmitBody = StrictObject({
  count: Type.Integer({ minimum: 1, maximum: 10_000, description: 'How many to let in, in line order' }),
});

export const AdmitResult = Type.Object(
  {
    admitted: Type.Integer({ minimum: 0, description: 'How many were let in (fewer when the line was shorter)' }),
    userIds: Type.Array(Uuid(), { description: 'Who, in line order' }),
  },
  { $id: 'AdmitResult', title: 'AdmitResult' },
);

export type QueueSettingsView = Static<typeof QueueSettings>;
export type QueuePlaceView = Omit<Static<typeof QueuePlace>, 'admission'> & { admission?: Static<typeof Admission> };
