import { Type } from '@sinclair/typebox';
import { StrictObject } from '../../schemas.js';

export const RealtimeTicket = StrictObject(
  {
    ticket: Type.String({ description: 'Pass as `?ticket=` when opening /v1/realtime; valid once, for a few seconds' }),
    expiresAt: Type.String({ format: 'date-time' }),
    url: Type.Optional(
      Type.String({ description: 'Origin of the realtime listener to connect to (PUBLIC_REALTIME_URL), when the API knows it' }),
    ),
  },
  { $id: 'RealtimeTicket', title: 'RealtimeTicket' },
);
