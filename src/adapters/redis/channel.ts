/**
 * A broadcast of task ids over Redis pub/sub (task events on `<prefix>:events`, cancel signals on
 * `<prefix>:cancels`): one PUBLISH per batch (a JSON array of ids), one subscriber connection per
 * channel and process however many listeners (on a Cluster a message published on any node reaches
 * subscribers on every node); the messages heard in one go reach the listeners as one report. Best
 * effort: a message lost while Redis is down or reconnecting only delays a long-poll until its next
 * re-check, or lets a cancelled attempt run to its end (its outcome is then refused by the fence).
 *
 * @example
 * const events = new RedisChannel(redis, keys.events, clock, logger);
 * events.subscribe((ids) => waiters.wake(ids));
 * events.publish(["t-1", "t-2"]);
 */
import type { Clock, Logger, TaskEvents } from "../../domain/ports.ts";
import type { Task } from "../../domain/task.ts";
import { duplicateClient, type RedisClient } from "./client.ts";
import { leanConnection } from "./lean-lanes.ts";
import { taskOfStored } from "./task-codec.ts";
import { traceMark } from "../system/trace.ts";

type Listener = (ids: readonly string[], finished?: ReadonlyMap<string, Task>) => void;

export class RedisChannel implements TaskEvents {
  private readonly listeners = new Set<Listener>();
  private subscriber: { close(): void } | undefined;
  /** While this process's SUBSCRIBE is not in place yet, publishes wait for it (at most 1 s). */
  private subscribing: Promise<unknown> | undefined;
  /** Heard since the last report (see `report`), and whether a report is on its way. */
  private heardIds: string[] = [];
  private heardTasks: Map<string, Task> | undefined;
  private reporting = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly channel: string,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  publish(taskIds: readonly string[]): void {
    if (taskIds.length === 0) return;
    const message = JSON.stringify(taskIds);
    const send = (): Promise<number> => this.redis.publish(this.channel, message);
    const sent = this.subscribing === undefined ? send() : Promise.race([this.subscribing, this.clock.sleep(1000)]).then(send);
    void sent.catch((e) => this.logger?.log("debug", "notification not published", { channel: this.channel, error: String(e), tasks: taskIds.length }));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.subscriber === undefined) this.subscriber = this.openSubscriber();
    return () => this.listeners.delete(listener);
  }

  private openSubscriber(): { close(): void } {
    // On one server a lean connection (lean-lanes.ts; "bunfaas-sub-lean" in CLIENT LIST), subscribed again on every connect.
    const lean = leanConnection(this.redis, { channels: [this.channel], onMessage: (_channel, message) => this.heard(message), name: "bunfaas-sub" });
    if (lean !== undefined) {
      const subscribing = lean.whenReady(1000).finally(() => {
        if (this.subscribing === subscribing) this.subscribing = undefined;
      });
      this.subscribing = subscribing;
      return lean;
    }
    // Queues SUBSCRIBE until connected and re-subscribes after every reconnect (on a Cluster, on
    // another node when its node fails).
    const sub = duplicateClient(this.redis, { offlineQueue: true, maxRetriesPerRequest: null, commandTimeoutMs: undefined }, this.logger);
    sub.on("message", (_channel: string, message: string) => this.heard(message));
    const subscribing = sub
      .subscribe(this.channel)
      .catch((e) => this.logger?.log("warn", "subscribe failed", { channel: this.channel, error: String(e) }))
      .finally(() => {
        if (this.subscribing === subscribing) this.subscribing = undefined;
      });
    this.subscribing = subscribing;
    return { close: () => sub.disconnect() };
  }

  /** A message heard on the channel: ids, or (from the APPLY script) the records of the tasks that ended. */
  private heard(message: string): void {
    traceMark("api.event");
    let items: unknown;
    try {
      items = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(items)) return;
    // Items are ids, or (from the APPLY script) the records of the tasks that ended.
    for (const item of items) {
      if (typeof item === "string") this.heardIds.push(item);
      else if (item !== null && typeof item === "object") {
        const task = taskOfStored(item as Record<string, unknown>);
        if (task === undefined) continue;
        this.heardIds.push(task.id);
        (this.heardTasks ??= new Map()).set(task.id, task);
      }
    }
    if (!this.reporting) {
      this.reporting = true;
      queueMicrotask(() => this.report());
    }
  }

  /**
   * Hands what was heard to the listeners as one report. Messages that arrive together (one APPLY
   * publishes its records in messages of up to 8 KB, read in one go) make one report: a long-poll
   * woken by the first then answers with the tasks of all of them, not one message's worth per call.
   */
  private report(): void {
    this.reporting = false;
    const ids = this.heardIds;
    const finished = this.heardTasks;
    this.heardIds = [];
    this.heardTasks = undefined;
    if (ids.length === 0) return;
    for (const l of [...this.listeners]) l(ids, finished);
  }

  close(): void {
    this.listeners.clear();
    this.subscriber?.close();
    this.subscriber = undefined;
  }
}
