import type { RequestOptions } from '../config.js';
import type { PagePromise } from '../transport.js';
import type { ListUsersQuery, Role, User } from '../types.js';
import { Resource } from './resource.js';

/** User accounts and roles (admin only): `/v1/users`. */
export class UsersResource extends Resource {
  /** Users, newest first; `email` matches part of the address, any case. Await for one page, or `for await` over all. */
  list(query: ListUsersQuery = {}, options?: RequestOptions): PagePromise<User> {
    return this.transport.list(query, options, (q, init) => this.http.GET('/v1/users', { params: { query: q }, ...init }));
  }

  /**
   * Sets a user's role (needs an admin's sign-in, not an API key). Their current tokens stop
   * working; a demotion also revokes the API keys they created. LAST_ADMIN → ConflictError.
   */
  setRole(userId: string, role: Role, options?: RequestOptions): Promise<User> {
    return this.transport.call(options, (init) =>
      this.http.PATCH('/v1/users/{userId}', { params: { path: { userId } }, body: { role }, ...init }),
    );
  }
}
