/**
 * "These tasks were cancelled" signals over Redis pub/sub, on the channel `<prefix>:cancels`: the API
 * publishes the id once the store has the task CANCELLED, every dispatcher hears it, and the one running
 * the task stops its job. Like task events, a signal lost while a dispatcher is disconnected only lets
 * the attempt run to its end (its outcome is then refused by the fence).
 */
import type Redis from "ioredis";
import type { CancelSignals, Logger } from "../../domain/ports.ts";
import type { RedisKeys } from "./keys.ts";
import { RedisTaskEvents } from "./task-events.ts";

export class RedisCancelSignals extends RedisTaskEvents implements CancelSignals {
  constructor(redis: Redis, keys: RedisKeys, logger?: Logger) {
    super(redis, keys, logger, keys.cancels);
  }
}
