import type { RequestOptions } from '../config.js';
import type { GoogleLoginBody, LoginBody, RegisterBody, Session, User, VerifyResult } from '../types.js';
import { Resource } from './resource.js';

/** Accounts and sessions: `/v1/auth/*`. */
export class AuthResource extends Resource {
  /** Creates a user account and signs in. EMAIL_TAKEN → ConflictError. */
  register(body: RegisterBody, options?: RequestOptions): Promise<Session> {
    return this.transport.call(options, (init) => this.http.POST('/v1/auth/register', { body, ...init }));
  }

  /** Signs in with email and password. INVALID_CREDENTIALS → AuthenticationError. */
  login(body: LoginBody, options?: RequestOptions): Promise<Session> {
    return this.transport.call(options, (init) => this.http.POST('/v1/auth/login', { body, ...init }));
  }

  /** Signs in with a Google ID token (from Google Identity Services). */
  loginWithGoogle(body: GoogleLoginBody, options?: RequestOptions): Promise<Session> {
    return this.transport.call(options, (init) => this.http.POST('/v1/auth/google', { body, ...init }));
  }

  /**
   * Trades a refresh token for a new session (access token and the next refresh token; the old one
   * stops working). A client made with `refreshToken` does this by itself when its token expires.
   * INVALID_REFRESH_TOKEN → AuthenticationError.
   */
  refresh(refreshToken: string, options?: RequestOptions): Promise<Session> {
    return this.transport.call(options, (init) => this.http.POST('/v1/auth/refresh', { body: { refreshToken }, ...init }));
  }

  /** Ends one sign-in: its refresh token (by default the client's own) stops working. */
  async logout(refreshToken: string | undefined = this.transport.credentials.refreshToken, options?: RequestOptions): Promise<void> {
    if (!refreshToken) return;
    await this.transport.send(options, (init) => this.http.POST('/v1/auth/logout', { body: { refreshToken }, ...init }));
    if (refreshToken === this.transport.credentials.refreshToken) this.transport.credentials.refreshToken = undefined;
  }

  /** Signs the user out everywhere: every access and refresh token they hold stops working. Needs a user token, not an API key. */
  async logoutEverywhere(options?: RequestOptions): Promise<void> {
    await this.transport.send(options, (init) => this.http.POST('/v1/auth/logout-all', init));
    this.transport.credentials.refreshToken = undefined;
  }

  /** Checks a user JWT (for other services): `{ valid, claims }`, never throws for a bad token. */
  verify(token: string, options?: RequestOptions): Promise<VerifyResult> {
    return this.transport.call(options, (init) => this.http.POST('/v1/auth/verify', { body: { token }, ...init }));
  }

  /** The signed-in user (the client's token, or `options.token`). */
  me(options?: RequestOptions): Promise<User> {
    return this.transport.call(options, (init) => this.http.GET('/v1/auth/me', init));
  }
}
