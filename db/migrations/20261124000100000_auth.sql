-- Up Migration
-- Auth domain: users and admin API keys.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS citext;

CREATE SCHEMA IF NOT EXISTS auth;

-- Shared trigger function: every table with updated_at keeps it current.
CREATE OR REPLACE FUNCTION public.tiketi_touch_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE auth.users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         citext NOT NULL UNIQUE,
  password_hash text,                      -- null for accounts that only sign in with Google
  google_sub    text UNIQUE,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  phone         text,
  role          text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_role_idx ON auth.users (role);
CREATE INDEX users_created_at_idx ON auth.users (created_at);
CREATE TRIGGER users_touch BEFORE UPDATE ON auth.users
  FOR EACH ROW EXECUTE FUNCTION public.tiketi_touch_updated_at();

-- The secret is shown once; only its SHA-256 is stored (keys are 256-bit random, so a fast hash is enough).
CREATE TABLE auth.api_keys (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix       text NOT NULL,                -- first characters, to recognise a key in a list
  secret_hash  bytea NOT NULL UNIQUE,
  created_by   uuid NOT NULL REFERENCES auth.users (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_created_at_idx ON auth.api_keys (created_at DESC, id DESC);

-- Down Migration
DROP SCHEMA auth CASCADE;
DROP FUNCTION IF EXISTS public.tiketi_touch_updated_at();
