/**
 * A request of the SDK's HTTP/1.1 client (http1-agent.ts) as the text written to the socket: the
 * request line, `host`, the caller's headers (checked: a name must be a token and a value may not hold
 * a line break, so nothing can be smuggled into the request), a `user-agent` unless given, and the
 * body with its length in bytes.
 *
 * @example
 * const r = encodeRequest("POST", new URL("http://127.0.0.1:8000/wait"), { "content-type": "application/json" }, "{}");
 * r.text; // "POST /wait HTTP/1.1\r\nhost: 127.0.0.1:8000\r\n..."; r.bytes: its length in UTF-8
 */

/** Sent as `User-Agent` unless the call sets one. */
export const SDK_USER_AGENT = "bunfaas-client";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A request's bytes: its text and how many bytes that is in UTF-8. */
export interface EncodedRequest {
  readonly text: string;
  readonly bytes: number;
}

/** Throws a TypeError for a method or header that is not allowed (as fetch does). */
export function encodeRequest(method: string, url: URL, headers: RequestInit["headers"], body: string | undefined): EncodedRequest {
  if (!TOKEN.test(method)) throw new TypeError(`${JSON.stringify(method)} is not an HTTP method`);
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  let agent = false;
  for (const [name, value] of headerPairs(headers)) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) throw new TypeError(`${JSON.stringify(name)} is not a header name`);
    if (/[\r\n\0]/.test(value)) throw new TypeError(`the value of header ${name} holds a line break or NUL`);
    if (lower === "host" || lower === "content-length" || lower === "connection" || lower === "transfer-encoding") continue;
    if (lower === "user-agent") agent = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!agent) head += `user-agent: ${SDK_USER_AGENT}\r\n`;
  const bodyBytes = body === undefined ? 0 : utf8Length(body);
  const framing = `content-length: ${bodyBytes}\r\n\r\n`;
  return { text: head + framing + (body ?? ""), bytes: utf8Length(head) + framing.length + bodyBytes };
}

/** How many bytes `s` takes in UTF-8 (lone surrogates count as the 3 bytes of U+FFFD, as encoders write them). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 4 bytes for 2 units
      i++;
    } else n += 2;
  }
  return n;
}

function headerPairs(h: RequestInit["headers"]): Iterable<[string, string]> {
  if (h === undefined) return [];
  if (h instanceof Headers) {
    const pairs: [string, string][] = [];
    h.forEach((value, name) => pairs.push([name, value]));
    return pairs;
  }
  if (Array.isArray(h)) return h.map(([n, v]) => [String(n), String(v)] as [string, string]);
  return Object.entries(h as Record<string, string>).map(([n, v]) => [n, String(v)] as [string, string]);
}
