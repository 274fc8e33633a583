/**
 * Which function sources this process has registered already: `register(fn)` twice with the same
 * source, options, server and API key reuses the first id instead of registering a copy. Shared by
 * every `FaasClient` in the process (the key names the server and the key), bounded in size, and
 * forgotten for an id the server no longer knows.
 */

/** Most entries kept; past it the oldest is dropped (it is then registered again when next used). */
export const MAX_REGISTRATIONS = 1000;

/**
 * A map from registration key to the (pending or settled) function id.
 *
 * @example
 * ```ts
 * const cache = new RegistrationCache();
 * const id = await cache.get(key, () => registerOnServer()); // a second get(key, ...) reuses it
 * ```
 */
export class RegistrationCache {
  private readonly ids = new Map<string, Promise<string>>();

  constructor(private readonly max = MAX_REGISTRATIONS) {}

  /**
   * The id registered under `key`, or the one `register()` gives (then kept). A registration that
   * fails is not kept, so the next call tries again.
   *
   * @example
   * ```ts
   * await cache.get(registrationKey(url, apiKey, body), () => send(body));
   * ```
   */
  get(key: string, register: () => Promise<string>): Promise<string> {
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    const id = register();
    this.ids.set(key, id);
    id.catch(() => {
      if (this.ids.get(key) === id) this.ids.delete(key);
    });
    if (this.ids.size > this.max) this.ids.delete(this.ids.keys().next().value as string);
    return id;
  }

  /**
   * Drops `key` if it still stands for `functionId` (the server answered 404 for it: restarted
   * without its store, or the function was deleted).
   *
   * @example
   * ```ts
   * cache.forget(key, staleId);
   * ```
   */
  async forget(key: string, functionId: string): Promise<void> {
    const known = this.ids.get(key);
    if (known !== undefined && (await known.catch(() => undefined)) === functionId && this.ids.get(key) === known) this.ids.delete(key);
  }

  get size(): number {
    return this.ids.size;
  }
}

/**
 * The cache key of one registration: server URL, API key, and the request body (name, source,
 * options). The API key is kept in memory only, as the client itself keeps it.
 *
 * @example
 * ```ts
 * registrationKey("http://127.0.0.1:8000", undefined, { name: "add", payload: "(a, b) => a + b" });
 * ```
 */
export function registrationKey(baseUrl: string, apiKey: string | undefined, body: Readonly<Record<string, unknown>>): string {
  const fields = Object.keys(body)
    .sort()
    .map((k) => [k, body[k]]);
  return JSON.stringify([baseUrl, apiKey ?? null, fields]);
}

/** The one cache every client in this process shares. */
export const sharedRegistrations = new RegistrationCache();
