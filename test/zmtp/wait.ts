/** The one waitFor (scripts/lib/wait-for.ts), polling often: socket events come fast. */
import { waitFor as poll } from "../../scripts/lib/wait-for.ts";

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  await poll(condition, what, timeoutMs, 2);
}

/** Rejects if `promise` does not settle within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
