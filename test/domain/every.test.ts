import { expect, test } from "bun:test";
import { every } from "../../src/domain/every.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

test("every calls on each period until stopped, one timer at a time", () => {
  const clock = new FakeClock();
  let calls = 0;
  const stop = every(clock, 100, () => calls++);
  clock.advance(99);
  expect(calls).toBe(0);
  clock.advance(1);
  expect(calls).toBe(1);
  clock.advance(250);
  expect(calls).toBe(3);
  expect(clock.pendingTimers()).toBe(1);
  stop();
  clock.advance(1000);
  expect(calls).toBe(3);
  expect(clock.pendingTimers()).toBe(0);
});

test("stopping from inside the callback stops it", () => {
  const clock = new FakeClock();
  let calls = 0;
  const stop = every(clock, 10, () => {
    calls++;
    if (calls === 2) stop();
  });
  clock.advance(100);
  expect(calls).toBe(2);
});
