// Child process of bench-reads.ts: the two baselines the read path is measured against.
//
//   BENCH_READS_SERVER=bare     a bare Fastify app serving fixed bytes from memory at the same paths
//                               (BENCH_READS_BODIES: a JSON file { path: body })
//   BENCH_READS_SERVER=express  Express + pg running the queries the original system ran per request
//                               (the event row and its ticket types with seats counted; every seat)
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import express from 'express';
import pg from 'pg';

const kind = process.env.BENCH_READS_SERVER;
let close: () => Promise<void>;
let port: number;

if (kind === 'bare') {
  const bodies = JSON.parse(readFileSync(process.env.BENCH_READS_BODIES!, 'utf8')) as Record<string, string>;
  const app = Fastify({ logger: false });
  for (const [path, body] of Object.entries(bodies)) {
    const bytes = Buffer.from(body);
    app.get(path, (_request, reply) => {
      reply.header('content-type', 'application/json; charset=utf-8').send(bytes);
    });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
  close = () => app.close();
} else if (kind === 'express') {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const app = express();
  app.get('/v1/events/:id', async (req, res) => {
    const event = await pool.query('SELECT * FROM ticket.events WHERE id = $1', [req.params.id]);
    if (event.rows.length === 0) return void res.status(404).json({ error: 'not found' });
    const types = await pool.query(
      `SELECT t.*, (SELECT count(*) FROM ticket.seats s WHERE s.ticket_type_id = t.id AND s.status = 'available')::int AS available_seats
       FROM ticket.ticket_types t WHERE t.event_id = $1 ORDER BY t.sort_order`,
      [req.params.id],
    );
    res.json({ ...event.rows[0], ticketTypes: types.rows });
  });
  app.get('/v1/events/:id/seats', async (req, res) => {
    const seats = await pool.query('SELECT * FROM ticket.seats WHERE event_id = $1 ORDER BY section, row_number, seat_number', [
      req.params.id,
    ]);
    res.json({ seats: seats.rows });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as { port: number }).port;
  close = async () => {
    server.close();
    await pool.end();
  };
} else {
  throw new Error(`BENCH_READS_SERVER must be bare or express, not ${kind}`);
}

process.send!({ port });
process.on('message', async (m) => {
  if (m === 'stop') {
    await close();
    process.exit(0);
  }
});
