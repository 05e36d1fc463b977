// API URLs as people type them: `https://api.example.com/`, `.../v1` and `.../v1/` all mean the
// origin the SDK adds `/v1` to (otherwise calls went to `/v1/v1/...`). Anything that is not an
// http(s) URL is refused before a request is made.
import { CliFailure, EXIT_CODES } from './failures.js';

/** The API origin (plus any path prefix a proxy adds), without a trailing `/` or `/v1`. */
export function normaliseApiUrl(raw: string, source = 'the API URL'): string {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(raw, source, 'not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(raw, source, `${url.protocol} is not http: or https:`);
  if (url.username || url.password) throw invalid(raw, source, 'credentials do not belong in the URL');
  if (url.search || url.hash) throw invalid(raw, source, 'no query or fragment expected');
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/i, '').replace(/\/+$/, '');
  return `${url.origin}${path}`;
}

/** Whether two API URLs are the same server (scheme, host and port): where a saved token may go. */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

function invalid(raw: string, source: string, why: string): CliFailure {
  return new CliFailure(
    'INVALID_API_URL',
    `${source} "${raw}" is not usable: ${why}`,
    EXIT_CODES.validation,
    'Give the API origin, e.g. https://api.example.com or http://localhost:3000.',
  );
}
