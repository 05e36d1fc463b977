/**
 * Groups concurrent hold requests for the same event into one transaction. There is no timer: the
 * first request runs at once; requests that arrive while an event's batches are in flight wait for
 * the next one. Under load a batch carries many holds through three round trips and one version bump
 * instead of each hold paying for its own; when idle it costs nothing. The database still decides
 * (rows are locked and re-checked), and each request gets its own answer.
 */
export class HoldBatcher<Req, Res> {
  private readonly lanes = new Map<
    string,
    { queue: Array<{ req: Req; resolve: (r: Res) => void; reject: (e: unknown) => void }>; running: number }
  >();

  constructor(
    private readonly run: (key: string, reqs: Req[]) => Promise<Array<Res | Error>>,
    private readonly options: { maxBatch: number; parallelPerKey: number },
  ) {}

  submit(key: string, req: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      let lane = this.lanes.get(key);
      if (!lane) this.lanes.set(key, (lane = { queue: [], running: 0 }));
      lane.queue.push({ req, resolve, reject });
      this.pump(key);
    });
  }

  private pump(key: string) {
    const lane = this.lanes.get(key);
    if (!lane) return;
    while (lane.running < this.options.parallelPerKey && lane.queue.length > 0) {
      const batch = lane.queue.splice(0, this.options.maxBatch);
      lane.running++;
      this.run(
        key,
        batch.map((b) => b.req),
      )
        .then(
          (outcomes) =>
            batch.forEach((b, i) => {
              const o = outcomes[i];
              if (o instanceof Error) b.reject(o);
              else b.resolve(o as Res);
            }),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          lane.running--;
          if (lane.running === 0 && lane.queue.length === 0) this.lanes.delete(key);
          else this.pump(key);
        });
    }
  }
}
