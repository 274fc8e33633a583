/**
 * Form tokens for the dashboard's actions (retry, cancel, retry all failed): every form carries a token
 * bound to who is signed in (the session cookie, or the tenant when the key came another way), and
 * the action is refused without it. A page on another site can neither read the token (same-origin
 * policy) nor send the SameSite=Strict session cookie, and the edge already refuses foreign Origins.
 * Tokens are an HMAC-SHA256 under a secret derived from the server's API keys (the same in every API
 * process of a deployment), or random per process when keys are off.
 *
 * @example
 * const tokens = new FormTokens(keys);
 * const t = tokens.issue(subjectOf(req, caller.tenant)); // into <input type="hidden" name="token">
 * tokens.check(subjectOf(req, caller.tenant), form.get("token")) // true
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { readCookie, SESSION_COOKIE } from "./sessions.ts";

export class FormTokens {
  private readonly secret: Buffer;

  /** `keyMaterial`: the API keys (none: a random secret of this process). */
  constructor(keyMaterial: readonly string[]) {
    this.secret =
      keyMaterial.length > 0
        ? Buffer.from(Bun.CryptoHasher.hash("sha256", `bunfaas form tokens\n${[...keyMaterial].sort().join("\n")}`))
        : Buffer.from(crypto.getRandomValues(new Uint8Array(32)));
  }

  issue(subject: string): string {
    return createHmac("sha256", this.secret).update(subject).digest("base64url");
  }

  /** Whether `token` was issued for `subject` (constant time). */
  check(subject: string, token: string | null | undefined): boolean {
    if (typeof token !== "string" || token.length !== 43) return false;
    return timingSafeEqual(Buffer.from(this.issue(subject)), Buffer.from(token));
  }
}

/** Who a form belongs to: the session (cookie) when there is one, else the tenant. */
export function subjectOf(req: Request, tenant: string): string {
  const session = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
  return session !== undefined && session !== "" ? `session:${session}` : `tenant:${tenant}`;
}
