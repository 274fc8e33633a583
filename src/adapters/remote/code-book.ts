/**
 * Function code a dispatcher and one worker both remember within the worker's session, so that a job
 * carries its function's code only the first time that function goes to that worker (a function of a
 * few KB would otherwise travel, be encoded, parsed and, over CURVE, encrypted with every job). The
 * worker says at registration how many functions it keeps (`codes`); both sides then apply the same
 * rule to the same jobs in the same order (the connection keeps the order, and a lost message makes the
 * worker register again, which starts both books afresh): a new function, with the book full, empties
 * it first. So the dispatcher never leaves out code the worker does not have.
 *
 * @example
 * const sent = new CodeBook(1000); // the dispatcher's book for one worker
 * sent.mustSend("f1", "() => 1"); // true: send it
 * sent.mustSend("f1", "() => 1"); // false: the worker has it
 * const kept = new CodeBook(1000); // the worker's
 * kept.codeFor("f1", "() => 1"); // "() => 1", remembered
 * kept.codeFor("f1", undefined); // "() => 1"
 */
export class CodeBook {
  private readonly codes = new Map<string, string>();

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a code book holds at least 1 function, got ${size}`);
  }

  /** The dispatcher's side: whether a job of `functionId` must carry `code` (noted as sent when it must). */
  mustSend(functionId: string, code: string): boolean {
    if (this.codes.get(functionId) === code) return false;
    this.remember(functionId, code);
    return true;
  }

  /**
   * The worker's side: the code of a job as it came, remembered when it carries some, or the code
   * remembered for its function (undefined when there is none: the two books disagree).
   */
  codeFor(functionId: string, code: string | undefined): string | undefined {
    if (code === undefined) return this.codes.get(functionId);
    this.remember(functionId, code);
    return code;
  }

  private remember(functionId: string, code: string): void {
    if (!this.codes.has(functionId) && this.codes.size >= this.size) this.codes.clear();
    this.codes.set(functionId, code);
  }
}
