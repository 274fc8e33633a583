/**
 * What a `redis://` URL says besides where the server is: its username, password (both
 * percent-decoded) and database number; undefined when its path is not a database number.
 *
 * @example
 * urlCredentials(new URL("redis://user:p%40ss@cache.internal/3")) // { username: "user", password: "p@ss", db: 3 }
 */
export function urlCredentials(u: URL): { username?: string; password?: string; db?: number } | undefined {
  const db = u.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) return undefined;
  return {
    ...(u.username !== "" && { username: decodeURIComponent(u.username) }),
    ...(u.password !== "" && { password: decodeURIComponent(u.password) }),
    ...(db !== "" && { db: Number(db) }),
  };
}
