/**
 * Groups concurrent hold requests for the same event into one transaction. There is no timer: the
 * first request runs at once; requests that arrive while the event's batch is in flight wait for
 * the next one. Under load a batch carries many holds through two round trips and one version bump
 * instead of each hold paying for its own; when idle it costs nothing. The database still decides
 * (rows are locked and re-checked), and each request gets its own answer.
 *
 * One batch per event is in flight at a time (bench:holds: two or three lanes per event gave fewer
 * holds/s and more CPU per attempt, their batches waiting on each other's seat and buyer locks).
 * While work keeps arriving, the lane keeps its session (a database connection) and starts the next
 * batch *before* it answers the previous one, so PostgreSQL works on batch n+1 while the API writes
 * batch n's answers. (Answering first left PostgreSQL idle for ~3 ms of every ~18 ms batch.)
 */
export interface HoldBatcherOptions<Req, Res, Session> {
  run: (session: Session, reqs: Req[]) => Promise<Array<Res | Error>>;
  openSession: () => Promise<Session>;
  /** Gives the session back; `broken` says it must not be reused. */
  closeSession: (session: Session, broken: boolean) => void;
  /** False when a batch left the session unusable (e.g. its connection failed). */
  healthy: (session: Session) => boolean;
  maxBatch: number;
}

interface Waiter<Req, Res> {
  req: Req;
  resolve: (r: Res) => void;
  reject: (e: unknown) => void;
}

interface Lane<Req, Res, Session> {
  queue: Array<Waiter<Req, Res>>;
  session: Session | undefined;
}

export class HoldBatcher<Req, Res, Session> {
  /** Lanes with a batch in flight (or a session being opened); an idle event has none. */
  private readonly lanes = new Map<string, Lane<Req, Res, Session>>();

  constructor(private readonly options: HoldBatcherOptions<Req, Res, Session>) {}

  submit(key: string, req: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const lane = this.lanes.get(key);
      if (lane) {
        lane.queue.push({ req, resolve, reject });
        return;
      }
      const fresh: Lane<Req, Res, Session> = { queue: [{ req, resolve, reject }], session: undefined };
      this.lanes.set(key, fresh);
      this.next(key, fresh);
    });
  }

  /** Runs the lane's next batch, opening a session first when it has none. */
  private next(key: string, lane: Lane<Req, Res, Session>) {
    if (lane.session !== undefined) return this.runBatch(key, lane, lane.session);
    this.options.openSession().then(
      (session) => {
        lane.session = session;
        this.runBatch(key, lane, session);
      },
      (err: unknown) => {
        this.lanes.delete(key);
        for (const w of lane.queue.splice(0)) w.reject(err);
      },
    );
  }

  private runBatch(key: string, lane: Lane<Req, Res, Session>, session: Session) {
    const batch = lane.queue.splice(0, this.options.maxBatch);
    const settle = (ok: boolean) => {
      if (!ok || !this.options.healthy(session)) {
        this.options.closeSession(session, true);
        lane.session = undefined;
      }
      // Start the next batch (its first statement goes out synchronously) before answering this one.
      if (lane.queue.length > 0) return this.next(key, lane);
      this.lanes.delete(key);
      if (lane.session !== undefined) this.options.closeSession(lane.session, false);
      lane.session = undefined;
    };
    this.options
      .run(
        session,
        batch.map((w) => w.req),
      )
      .then(
        (outcomes) => {
          settle(true);
          batch.forEach((w, i) => {
            const o = outcomes[i];
            if (o instanceof Error) w.reject(o);
            else w.resolve(o as Res);
          });
        },
        (err: unknown) => {
          settle(false);
          for (const w of batch) w.reject(err);
        },
      );
  }
}
