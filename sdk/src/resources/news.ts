import type { RequestOptions } from '../config.js';
import type { PagePromise } from '../transport.js';
import type { CreateNewsBody, ListQuery, News, UpdateNewsBody } from '../types.js';
import { Resource } from './resource.js';

/** Notices, pinned first: `/v1/news`. Reading is public; writing needs an admin. */
export class NewsResource extends Resource {
  list(query: ListQuery = {}, options?: RequestOptions): PagePromise<News> {
    return this.transport.list(query, options, (q, init) => this.http.GET('/v1/news', { params: { query: q }, ...init }));
  }

  /** One notice (counts a view). NEWS_NOT_FOUND → NotFoundError. */
  get(newsId: string, options?: RequestOptions): Promise<News> {
    return this.transport.call(options, (init) => this.http.GET('/v1/news/{newsId}', { params: { path: { newsId } }, ...init }));
  }

  create(body: CreateNewsBody, options?: RequestOptions): Promise<News> {
    return this.transport.call(options, (init) => this.http.POST('/v1/news', { body, ...init }));
  }

  update(newsId: string, body: UpdateNewsBody, options?: RequestOptions): Promise<News> {
    return this.transport.call(options, (init) => this.http.PATCH('/v1/news/{newsId}', { params: { path: { newsId } }, body, ...init }));
  }

  delete(newsId: string, options?: RequestOptions): Promise<void> {
    return this.transport.send(options, (init) => this.http.DELETE('/v1/news/{newsId}', { params: { path: { newsId } }, ...init }));
  }
}
