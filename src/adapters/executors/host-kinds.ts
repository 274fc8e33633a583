/** The three kinds of executor by name, as `--isolation` gives it. */
import type { Clock, Logger } from "../../domain/ports.ts";
import type { HostFactory } from "./executor-host.ts";
import { processHosts } from "./process-host.ts";
import { sandboxHosts } from "./sandbox-host.ts";
import { threadHosts } from "./thread-host.ts";

export type Isolation = "thread" | "process" | "sandbox";

export const ISOLATIONS: readonly Isolation[] = ["thread", "process", "sandbox"];

/**
 * The host factory for `isolation`. Throws for "sandbox" where sandboxes cannot be made, saying why.
 *
 * @example
 * hostsFor("process", { logger, memoryLimitBytes: 512 << 20, network: false }).kind // "process"
 */
export function hostsFor(isolation: Isolation, o: { logger: Logger; memoryLimitBytes: number | undefined; network: boolean; clock?: Clock; env?: Readonly<Record<string, string>> }): HostFactory {
  const common = { logger: o.logger, memoryLimitBytes: o.memoryLimitBytes, ...(o.clock !== undefined && { clock: o.clock }), ...(o.env !== undefined && { env: o.env }) };
  switch (isolation) {
    case "thread":
      return threadHosts();
    case "process":
      return processHosts(common);
    case "sandbox":
      return sandboxHosts({ ...common, network: o.network });
  }
}
