// A JSON answer rendered once and sent many times: its bytes, its ETag, and its gzip and brotli
// forms, each compressed at most once (on first demand) and reused by every later request.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

/** Bodies below this are sent plain: compressing them saves less than it costs. */
const COMPRESS_MIN_BYTES = 1024;
// Fast settings: a body is compressed once per version, and under on-sale churn versions move
// often. gzip level 6 / brotli 11 squeeze a few % more at 3-30× the CPU.
const GZIP_OPTIONS: zlib.ZlibOptions = { level: 5 };
const BROTLI_OPTIONS: zlib.BrotliOptions = {
  params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT },
};

/** Revalidate every time (a CDN may store it and ask with If-None-Match: a 304 costs nothing). */
export const REVALIDATE = 'public, no-cache';
/** A document addressed by its content hash never changes. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

export class CachedBody {
  readonly etag: string;
  #gzip: Promise<Buffer> | undefined;
  #br: Promise<Buffer> | undefined;
  /** Bytes held, compressed forms included once made (for the memory bound). */
  bytes: number;

  constructor(
    readonly raw: Buffer,
    etag: string,
    readonly cacheControl = REVALIDATE,
  ) {
    this.etag = `"${etag}"`;
    this.bytes = raw.length;
  }

  static json(value: unknown, etag: string, cacheControl?: string): CachedBody {
    return new CachedBody(Buffer.from(JSON.stringify(value)), etag, cacheControl);
  }

  encoded(encoding: 'gzip' | 'br'): Promise<Buffer> {
    const count = (p: Promise<Buffer>) =>
      p.then((b) => {
        this.bytes += b.length;
        return b;
      });
    if (encoding === 'gzip') return (this.#gzip ??= count(gzip(this.raw, GZIP_OPTIONS)));
    return (this.#br ??= count(brotli(this.raw, BROTLI_OPTIONS)));
  }
}

/** The encoding to answer with: brotli, then gzip, when the client accepts it (q=0 refuses). */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | undefined {
  if (!acceptEncoding) return undefined;
  let gzipOk = false;
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p))) continue;
    if (name === 'br') return 'br';
    if (name === 'gzip' || name === 'x-gzip') gzipOk = true;
  }
  return gzipOk ? 'gzip' : undefined;
}

function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  for (const tag of ifNoneMatch.split(',')) {
    const t = tag.trim();
    if (t === etag || t === `W/${etag}`) return true;
  }
  return false;
}

/** Answers with the cached body: 304 when the client has it, compressed when it may be. */
export async function sendCached(request: FastifyRequest, reply: FastifyReply, body: CachedBody): Promise<FastifyReply> {
  reply.header('etag', body.etag).header('cache-control', body.cacheControl).header('vary', 'accept-encoding');
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch && matches(ifNoneMatch, body.etag)) return reply.code(304).send();
  reply.header('content-type', 'application/json; charset=utf-8');
  const encoding = body.raw.length >= COMPRESS_MIN_BYTES ? pickEncoding(request.headers['accept-encoding']) : undefined;
  if (!encoding) return reply.send(body.raw);
  return reply.header('content-encoding', encoding).send(await body.encoded(encoding));
}
