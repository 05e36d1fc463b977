// The create / list / get / update / delete commands of the catalog topics are alike, so each
// topic's command file only describes its resource and these factories build the oclif command.
import { Flags, type Command, type Interfaces } from '@oclif/core';
import type { Tiketi } from '@tiketi/sdk';
import { catalogApi, type Body, type CatalogApi, type Query } from './api.js';
import { confirmFlags, tableFlags, TiketiCommand, type Column } from './base-command.js';
import { readBody, updateBody } from './input.js';
import type { DeleteResult, ListResult } from './results.js';

type Params = Record<string, string>;
type Options = Record<string, unknown>;

/** Who may call: `admin` needs a credential before calling; `public` sends one if there is one. */
type Access = 'admin' | 'public';

interface Spec {
  summary: string;
  description?: string;
  examples?: string[];
  args?: Interfaces.ArgInput;
  flags?: Interfaces.FlagInput;
  access: Access;
}

/** Shared by the generated commands: loose access to flags and args, and the API for the access. */
abstract class ResourceCommand extends TiketiCommand<typeof Command> {
  protected get options(): Options {
    return this.flags as Options;
  }
  protected get params(): Params {
    return this.args as Params;
  }
  protected async api(access: Access): Promise<CatalogApi> {
    const client: Tiketi = access === 'admin' ? (await this.signedInClient()).client : await this.anyClient();
    return catalogApi(client);
  }
}

export const pageFlags = {
  limit: Flags.integer({ description: 'Page size.', default: 50, min: 1, max: 200 }),
  cursor: Flags.string({ description: 'Continue after a previous page (its nextCursor).' }),
  all: Flags.boolean({ description: 'Fetch every page.', default: false, exclusive: ['cursor'] }),
};

export const bodyFlags = {
  file: Flags.string({
    char: 'f',
    description: 'JSON or YAML file with the fields (`-` reads standard input).',
    exactlyOne: ['file', 'data'],
  }),
  data: Flags.string({ char: 'd', description: 'The fields inline, as JSON or YAML.', exactlyOne: ['file', 'data'] }),
};

interface Paged<T> {
  data: T[];
  nextCursor?: string | null;
}

export function listCommand<T>(
  spec: Spec & {
    /** Cursor-paginated on the API (adds --limit, --cursor, --all). */
    paged: boolean;
    query?: (options: Options) => Query;
    fetch: (api: CatalogApi, params: Params, query: Query) => PromiseLike<Paged<T>> & Partial<AsyncIterable<T>>;
    columns: Column<T>[];
    empty: string;
  },
) {
  return class extends ResourceCommand {
    static override summary = spec.summary;
    static override description = spec.description;
    static override examples = spec.examples ?? [];
    static override args = spec.args ?? {};
    static override flags = { ...(spec.paged ? pageFlags : {}), ...tableFlags, ...spec.flags };

    public async run(): Promise<ListResult<T>> {
      const api = await this.api(spec.access);
      const { limit, cursor, all } = this.options as { limit?: number; cursor?: string; all?: boolean };
      const wanted: Query = { ...spec.query?.(this.options), ...(spec.paged ? { limit, cursor } : {}) };
      const query = Object.fromEntries(Object.entries(wanted).filter(([, v]) => v !== undefined)) as Query;
      const page = await this.spin('Fetching', async (): Promise<ListResult<T>> => {
        const pages = spec.fetch(api, this.params, query);
        if (all && pages[Symbol.asyncIterator]) {
          const data: T[] = [];
          for await (const item of pages as AsyncIterable<T>) data.push(item);
          return { data, nextCursor: null };
        }
        const first = await pages;
        return { data: first.data, nextCursor: first.nextCursor ?? null };
      });
      this.table(page.data, spec.columns, spec.empty);
      if (page.nextCursor) this.hint(`More: --cursor ${page.nextCursor} (or --all)`);
      return page;
    }
  };
}

export function getCommand<T extends object>(spec: Spec & { fetch: (api: CatalogApi, params: Params) => Promise<T> }) {
  return class extends ResourceCommand {
    static override summary = spec.summary;
    static override description = spec.description;
    static override examples = spec.examples ?? [];
    static override args = spec.args ?? {};
    static override flags = { ...spec.flags };

    public async run(): Promise<T> {
      const api = await this.api(spec.access);
      const found = await this.spin('Fetching', () => spec.fetch(api, this.params));
      this.details(found);
      return found;
    }
  };
}

/**
 * create and update: the body comes from --file or --data. An update names its `writable` fields,
 * so it also takes what `get --json` printed (the other fields are ignored, with a warning).
 */
export function writeCommand<T extends { id: string }>(
  spec: Spec & {
    send: (api: CatalogApi, params: Params, body: Body) => Promise<T>;
    done: (result: T) => string;
    writable?: readonly string[];
  },
) {
  return class extends ResourceCommand {
    static override summary = spec.summary;
    static override description = spec.description;
    static override examples = spec.examples ?? [];
    static override args = spec.args ?? {};
    static override flags = { ...bodyFlags, ...spec.flags };

    public async run(): Promise<T> {
      let body = await readBody(this.options as { file?: string; data?: string });
      if (spec.writable) {
        const update = updateBody(body, spec.writable);
        body = update.body;
        if (update.ignored.length > 0) this.warn(`Ignored fields that cannot be changed: ${update.ignored.join(', ')}`);
      }
      const api = await this.api(spec.access);
      const result = await this.spin('Sending', () => spec.send(api, this.params, body));
      this.log(spec.done(result));
      this.details(result);
      return result;
    }
  };
}

/** Deletes ask first on a terminal; scripts pass --yes. */
export function deleteCommand(spec: Spec & { idArg: string; noun: string; send: (api: CatalogApi, id: string) => Promise<void> }) {
  return class extends ResourceCommand {
    static override summary = spec.summary;
    static override description = spec.description;
    static override examples = spec.examples ?? [];
    static override args = spec.args ?? {};
    static override flags = { ...confirmFlags, ...spec.flags };

    public async run(): Promise<DeleteResult> {
      const id = this.params[spec.idArg]!;
      const api = await this.api(spec.access);
      await this.confirmDestructive(`Delete ${spec.noun} ${id}`);
      await this.spin(`Deleting the ${spec.noun}`, () => spec.send(api, id));
      this.log(`Deleted ${spec.noun} ${id}.`);
      return { id, deleted: true };
    }
  };
}
