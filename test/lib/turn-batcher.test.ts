import { afterEach, describe, expect, test } from "bun:test";
import { TurnBatcher } from "../../src/lib/turn-batcher.ts";
import { immediatesDuring } from "../helpers/count-immediates.ts";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("TurnBatcher", () => {
  let sent: number[][] = [];
  afterEach(() => {
    sent = [];
  });

  test("what is added in one turn goes out together on the next, one turn scheduled for it", async () => {
    const b = new TurnBatcher<number>((batch) => sent.push(batch));
    expect(immediatesDuring(() => (b.add(1), b.add(2), b.add(3)))).toBe(1);
    expect(sent).toEqual([]);
    await nextTurn();
    expect(sent).toEqual([[1, 2, 3]]);
  });

  test("addBeforeFlush schedules no turn: the caller's flush sends it; an add after it still schedules one", async () => {
    const b = new TurnBatcher<number>((batch) => sent.push(batch));
    expect(immediatesDuring(() => (b.addBeforeFlush(1), b.addBeforeFlush(2)))).toBe(0);
    b.flush();
    expect(sent).toEqual([[1, 2]]);
    expect(immediatesDuring(() => (b.addBeforeFlush(3), b.add(4)))).toBe(1);
    await nextTurn();
    expect(sent).toEqual([[1, 2], [3, 4]]);
  });
});
