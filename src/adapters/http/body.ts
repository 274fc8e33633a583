/**
 * Request bodies read with a byte limit counted while they stream (chunked uploads included): reading
 * stops at the first chunk past the limit, so a client cannot make the server buffer more than the
 * limit whatever it declares or omits.
 *
 * @example
 * const r = await readLimited(req, 1024 * 1024);
 * if (!r.ok) return tooLarge(r.size); // r.size: bytes seen before reading stopped
 */
export type LimitedBody = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly size: number };
export type LimitedText = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly size: number };

const UTF8 = new TextDecoder();

/**
 * readLimited's body as UTF-8 text (bytes that are not UTF-8 become U+FFFD, a BOM is dropped). With a
 * Content-Length within the limit the text comes from one native call, without a byte array and a
 * decoder call on the way: every API call with a JSON body takes this path.
 */
export async function readLimitedText(req: Request, limit: number): Promise<LimitedText> {
  const length = req.headers.get("content-length");
  const declared = Number(length ?? "0");
  if (length !== null && Number.isInteger(declared) && declared >= 0 && declared <= limit) return { ok: true, text: await req.text() };
  const read = await readLimited(req, limit);
  return read.ok ? { ok: true, text: UTF8.decode(read.bytes) } : read;
}

/**
 * Reads the whole body if it fits in `limit` bytes; stops reading (and cancels the stream) past it. A
 * body with a Content-Length within the limit is read in one native call (the server reads no more than
 * the length declared); only a chunked body is counted chunk by chunk.
 */
export async function readLimited(req: Request, limit: number): Promise<LimitedBody> {
  const length = req.headers.get("content-length");
  const declared = Number(length ?? "0");
  if (Number.isFinite(declared) && declared > limit) return { ok: false, size: declared };
  // (`req.body` makes a stream object: only a chunked body, or none, is looked at that way)
  if (length !== null && Number.isInteger(declared) && declared >= 0) {
    const bytes = new Uint8Array(await req.arrayBuffer());
    return bytes.byteLength > limit ? { ok: false, size: bytes.byteLength } : { ok: true, bytes };
  }
  if (req.body === null) return { ok: true, bytes: new Uint8Array(0) };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      void reader.cancel().catch(() => undefined);
      return { ok: false, size };
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return { ok: true, bytes: chunks[0] as Uint8Array };
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { ok: true, bytes };
}
