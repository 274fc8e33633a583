/**
 * Reads RESP2 replies (the Redis serialization protocol) from bytes that arrive in pieces of any size:
 * simple strings, errors, integers, bulk strings (as UTF-8 text) and arrays of them, nested. A reply
 * split across pieces is read once its last byte is in; a bulk string's bytes are not looked at again
 * until all of them have arrived, so a reply of many pieces costs one copy, not one per piece.
 *
 * Errors read as `RespReplyError` values (inside an array too, as Redis sends them from a script or a
 * pipeline); it is the caller's to throw them.
 *
 * @example
 * const reader = new RespReader();
 * reader.push(Buffer.from("*2\r\n$2\r\nok\r\n:7"));
 * reader.next(); // undefined: the integer's line is not complete
 * reader.push(Buffer.from("\r\n"));
 * reader.next(); // ["ok", 7]
 */

/** An error reply: `message` is Redis's line without its "-" ("ERR unknown command ..."). */
export class RespReplyError extends Error {
  override readonly name = "ReplyError";
}

export type RespReply = string | number | null | RespReplyError | RespReply[];

/** Thrown for bytes that are not RESP2: the connection can only be dropped. */
export class RespProtocolError extends Error {
  override readonly name = "RespProtocolError";
}

const CR = 13;

export class RespReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Pieces not yet joined to `buf`, and their length. */
  private pieces: Buffer[] = [];
  private pending = 0;
  /** Bytes `buf` (from `pos`) plus the pieces must hold before the reply under way can be complete. */
  private need = 0;
  /** Where in `buf` the bytes read so far say the reply under way ends at the earliest. */
  private needEnd = 0;

  push(piece: Buffer): void {
    this.pieces.push(piece);
    this.pending += piece.length;
  }

  /** The next whole reply, or undefined until more bytes arrive. Throws RespProtocolError. */
  next(): RespReply | undefined {
    const have = this.buf.length - this.pos + this.pending;
    if (have === 0 || have < this.need) return undefined;
    if (this.pending > 0) this.join();
    const start = this.pos;
    const reply = this.read();
    if (reply === undefined) {
      this.need = this.needEnd - start;
      this.pos = start;
      return undefined;
    }
    this.need = 0;
    return reply;
  }

  private join(): void {
    const rest = this.buf.length - this.pos;
    const parts = rest > 0 ? [this.buf.subarray(this.pos), ...this.pieces] : this.pieces;
    this.buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, rest + this.pending);
    this.pos = 0;
    this.pieces = [];
    this.pending = 0;
  }

  /** A line's text without its CRLF, moving past it; undefined when its end is not in yet. */
  private line(): string | undefined {
    const end = this.buf.indexOf(CR, this.pos);
    if (end < 0 || end + 1 >= this.buf.length) {
      this.needEnd = this.buf.length + 1;
      return undefined;
    }
    const text = this.buf.toString("latin1", this.pos, end);
    this.pos = end + 2;
    return text;
  }

  /**
   * The whole number of a `:`, `$` or `*` line read from its bytes, moving past the line; undefined
   * when its end is not in yet, or when the line is not plain digits (an optional "-", at most 15
   * digits): `read` then reads it as text. Making a string of each length line was a native call
   * apiece, several a reply.
   */
  private wholeNumber(): number | undefined {
    const buf = this.buf;
    let i = this.pos + 1;
    const negative = buf[i] === 45;
    if (negative) i++;
    const first = i;
    let n = 0;
    for (let c = buf[i]; c !== undefined && c >= 48 && c <= 57 && i - first < 15; c = buf[++i]) n = n * 10 + (c - 48);
    if (i === first || buf[i] !== CR || i + 1 >= buf.length) return undefined;
    this.pos = i + 2;
    return negative ? -n : n;
  }

  private read(): RespReply | undefined {
    const type = this.buf[this.pos];
    const counted = type === 58 || type === 36 || type === 42 ? this.wholeNumber() : undefined;
    if (counted !== undefined) return this.readCounted(type as number, counted);
    const line = this.line();
    if (line === undefined) return undefined;
    const rest = line.slice(1);
    switch (line.charCodeAt(0)) {
      case 43: // +
        return rest;
      case 45: // -
        return new RespReplyError(rest);
      case 58: // :
      case 36: // $
      case 42: // *
        return this.readCounted(line.charCodeAt(0), integerOf(rest, line));
      default:
        throw new RespProtocolError(`a RESP2 reply starts with one of + - : $ *, got ${JSON.stringify(line.slice(0, 40))}`);
    }
  }

  /** The rest of a `:`, `$` or `*` reply whose number is `n` (its line read). */
  private readCounted(type: number, n: number): RespReply | undefined {
    switch (type) {
      case 58: // :
        return n;
      case 36: {
        // $
        if (n < 0) return null;
        if (this.pos + n + 2 > this.buf.length) {
          this.needEnd = this.pos + n + 2; // not read again before these bytes are in
          return undefined;
        }
        const text = this.buf.toString("utf8", this.pos, this.pos + n);
        this.pos += n + 2;
        return text;
      }
      default: {
        // *
        if (n < 0) return null;
        const items: RespReply[] = [];
        for (let i = 0; i < n; i++) {
          const item = this.read();
          if (item === undefined) return undefined;
          items.push(item);
        }
        return items;
      }
    }
  }
}

function integerOf(text: string, line: string): number {
  const n = Number(text);
  if (text === "" || !Number.isInteger(n)) throw new RespProtocolError(`a RESP2 length or integer must be a whole number, got ${JSON.stringify(line.slice(0, 40))}`);
  return n;
}

/**
 * A command as RESP2 bytes: an array of bulk strings.
 *
 * @example
 * encodeCommand(["GET", "k"]) // "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
 */
export function encodeCommand(args: readonly (string | number)[]): string {
  return encodeSized(args)[0];
}

/** `encodeCommand`'s text and its length in bytes (what a write must have sent). */
export function encodeSized(args: readonly (string | number)[]): [text: string, bytes: number] {
  let out = `*${args.length}\r\n`;
  let extra = 0; // bytes beyond one per character
  // A lone task's command (a few arguments) is counted in JavaScript; a batch's, natively (quicker
  // over thousands of arguments once warm).
  const few = args.length <= 32;
  for (const a of args) {
    const s = typeof a === "string" ? a : String(a);
    const n = few ? utf8Length(s) : Buffer.byteLength(s);
    extra += n - s.length;
    out += `$${n}\r\n${s}\r\n`;
  }
  return [out, out.length + extra];
}

/**
 * The UTF-8 length of `s`, as Buffer.byteLength counts it (a lone surrogate as the 3 bytes of U+FFFD).
 * Short strings (a command's names, keys, ids, numbers) are counted here: a native call for each was
 * most of what encoding a lone task's command cost. Longer ones (a task's record) go to the native
 * count, which is quicker per character.
 */
export function utf8Length(s: string): number {
  if (s.length > 64) return Buffer.byteLength(s);
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 4 bytes for 2 units
      i++;
    } else n += 2;
  }
  return n;
}
