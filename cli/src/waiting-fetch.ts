// The fetch the CLI hands the SDK (with the SDK's own retries off): it retries what is safe to
// retry, but only within --timeout and never silently. Every wait is announced through `onWait`
// (the spinner's status on a terminal, a line on stderr otherwise, a warning in --json), and a rate
// limit whose Retry-After would end past the deadline is given up at once, so the command fails
// with RateLimitError (exit 8) instead of stalling.
import type { FetchLike } from '@tiketi/sdk';

export interface Wait {
  /** Why the CLI waits, for humans: "rate limited by the API (Retry-After 5 s)". */
  reason: string;
  seconds: number;
}

export interface WaitingFetchOptions {
  /** The command's deadline (ms since the epoch); no wait may end after it. */
  deadline: number;
  onWait: (wait: Wait) => void;
  /** Connection failures and 5xx answers are retried this many times (with backoff). */
  maxRetries?: number;
  fetch?: FetchLike;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function retryAfterSeconds(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

export function waitingFetch(options: WaitingFetchOptions): FetchLike {
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const maxRetries = options.maxRetries ?? 2;
  return async (request) => {
    // The SDK has already set the Idempotency-Key: a re-sent POST carries the same one.
    const body = request.body === null ? undefined : await request.arrayBuffer();
    const again = () => new Request(request, body === undefined ? {} : { body });
    let failures = 0;
    for (;;) {
      let response: Response | undefined;
      let error: unknown;
      try {
        response = await send(again());
      } catch (err) {
        error = err;
      }
      const remaining = options.deadline - Date.now();
      if (response && response.status === 429) {
        const wait = retryAfterSeconds(response) ?? 1;
        if (wait * 1000 > remaining) return response; // past --timeout: the SDK turns it into RateLimitError
        options.onWait({ reason: `rate limited by the API (Retry-After ${Math.ceil(wait)} s)`, seconds: wait });
        await sleep(wait * 1000);
        continue;
      }
      const retryable = error !== undefined || (response !== undefined && response.status >= 500 && response.status !== 501);
      if (!retryable || failures >= maxRetries) {
        if (error !== undefined) throw error;
        return response!;
      }
      failures++;
      const hinted = response ? retryAfterSeconds(response) : undefined;
      const wait = hinted ?? 0.5 * 2 ** (failures - 1);
      if (wait * 1000 > remaining) {
        if (error !== undefined) throw error;
        return response!;
      }
      const why = error !== undefined ? 'the API did not answer' : `the API answered ${response!.status}`;
      options.onWait({ reason: `${why}; retry ${failures} of ${maxRetries}`, seconds: wait });
      await sleep(wait * 1000);
    }
  };
}
