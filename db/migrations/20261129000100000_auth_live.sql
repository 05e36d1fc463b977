-- Up Migration
-- Live authority (issue 16): tokens carry the user's token version (`tv`), which logout-everywhere
-- and role changes bump, so every access token issued before stops working at once.
ALTER TABLE auth.users ADD COLUMN token_version integer NOT NULL DEFAULT 0;

-- API key scopes: `read-only` (admin reads), `catalog` (catalog writes), `operations` (holds,
-- reservations, users ...). Keys made before scopes existed could do everything, and keep that.
ALTER TABLE auth.api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT '{catalog,operations}'
  CHECK (cardinality(scopes) >= 1 AND scopes <@ ARRAY['read-only', 'catalog', 'operations']);
ALTER TABLE auth.api_keys ALTER COLUMN scopes DROP DEFAULT;
CREATE INDEX api_keys_created_by_idx ON auth.api_keys (created_by) WHERE revoked_at IS NULL;

-- Refresh tokens: opaque, stored as SHA-256 (256-bit random, so a fast hash is enough), single use.
-- A refresh hands out the next token of the same family; presenting a used token again revokes the
-- family (it was stolen or replayed).
CREATE TABLE auth.refresh_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  family_id   uuid NOT NULL,
  token_hash  bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_user_idx ON auth.refresh_tokens (user_id) WHERE revoked_at IS NULL;
CREATE INDEX refresh_tokens_family_idx ON auth.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_idx ON auth.refresh_tokens (expires_at);

-- Down Migration
DROP TABLE auth.refresh_tokens;
DROP INDEX auth.api_keys_created_by_idx;
ALTER TABLE auth.api_keys DROP COLUMN scopes;
ALTER TABLE auth.users DROP COLUMN token_version;
