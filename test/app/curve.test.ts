/**
 * ZMTP CURVE between a dispatcher and its workers, with every root in this process and keys written by
 * `faas keygen`'s code: only workers on the authorized list register and get jobs; a worker without
 * CURVE, or with a key not on the list, gets nothing; removing a key from the file drops that worker's
 * live session and its jobs run again elsewhere; failed handshakes leave a reason in the dispatcher's
 * log and the worker's; a dispatcher other machines can reach refuses to start without CURVE unless
 * told --insecure-transport.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { awaitAll, register, submit } from "../../scripts/lib/http.ts";
import { removeTempDirs, tempDir } from "../../scripts/lib/temp-dirs.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { uuidGen } from "../../src/adapters/system/index.ts";
import { dispatcherConfig } from "../../src/app/redis-config.ts";
import { workerConfig } from "../../src/app/worker-config.ts";
import { writeKeyPair } from "../../src/client/cli-keygen.ts";
import { curvePublicKey } from "../../src/lib/zmtp/index.ts";
import { useRedisStack } from "../helpers/redis-stack.ts";
import { startApiHere, startDispatcherHere, startWorkerHere } from "../helpers/roots.ts";

setDefaultTimeout(30_000);
const stack = useRedisStack("app-curve");
const dir = tempDir("curve");
afterAll(() => removeTempDirs());

async function keys(name: string): Promise<{ key: string; pub: string; publicKey: string }> {
  const written = await writeKeyPair(join(dir, name));
  return { key: written.secretFile, pub: written.publicFile, publicKey: written.publicKey };
}

describe("CURVE between dispatcher and workers", () => {
  test("faas keygen's keys are CURVE keys: the public key is the one the secret key gives", async () => {
    const k = await keys("check");
    expect(curvePublicKey(readFileSync(k.key, "utf8").trim())).toBe(k.publicKey);
  });

  test("only authorized workers register and run tasks; removing a key drops that worker's session and its jobs run elsewhere", async () => {
    const [dispatcher, a, b, stranger] = await Promise.all([keys("d"), keys("a"), keys("b"), keys("stranger")]);
    const authorized = join(dir, "workers.txt");
    writeFileSync(authorized, `# workers allowed\n${a.publicKey}\n${b.publicKey}\n`);
    const target = { ...stack.target, prefix: "app-curve" };
    const api = await startApiHere(target);
    const d = await startDispatcherHere(target, ["--mode", "push", "--heartbeat", "250ms", "--curve-secret-key-file", dispatcher.key, "--authorized-workers", authorized]);
    const curveArgs = (k: { key: string }) => ["--mode", "push", "--url", d.endpoint as string, "--heartbeat", "250ms", "--curve-server-key-file", dispatcher.pub, "--curve-secret-key-file", k.key];
    const wa = startWorkerHere(curveArgs(a));
    const outsider = startWorkerHere(curveArgs(stranger));
    const plain = startWorkerHere(["--mode", "push", "--url", d.endpoint as string, "--heartbeat", "250ms"]);
    await waitFor(() => d.log.count("worker.registered") === 1, "the authorized worker to register");
    // the others never get through the handshake: no registration, no jobs
    const fid = await register(api.url, "(x) => x + 1");
    const ids = await submit(api.url, fid, Array.from({ length: 20 }, (_, i) => `[${i}]`));
    expect([...(await awaitAll(api.url, ids)).values()].map((t) => t.status)).toEqual(ids.map(() => "COMPLETED"));
    expect(wa.agent.received).toBe(20);
    expect([outsider.agent.received, plain.agent.received, outsider.agent.isRegistered, plain.agent.isRegistered]).toEqual([0, 0, false, false]);
    expect(d.log.distinct("worker.registered", "worker")).toEqual(new Set([wa.id]));

    // A runs a task that waits; B joins; A's key is removed: A is dropped and its task runs on B
    const gate = join(dir, "gate");
    const slow = await register(api.url, `async (gate) => { const fs = process.getBuiltinModule("node:fs"); while (!fs.existsSync(gate)) await new Promise((r) => setTimeout(r, 10)); return "done" }`);
    const [held] = await submit(api.url, slow, [JSON.stringify([gate])]);
    await waitFor(() => wa.agent.heldCount() === 1, "A to hold the task");
    const wb = startWorkerHere(curveArgs(b));
    await waitFor(() => d.log.count("worker.registered") >= 2, "B to register");
    writeFileSync(authorized, `${b.publicKey}\n`);
    await waitFor(() => d.log.count("workers.authorized_reloaded") === 1, "the file to be re-read", 10_000);
    await waitFor(() => d.log.count("worker.gone", (f) => f.worker === wa.id) === 1, "A's session to be dropped", 10_000);
    writeFileSync(gate, "");
    expect((await awaitAll(api.url, [held as string])).get(held as string)?.result).toBe('"done"');
    expect(wb.agent.received).toBe(1);
  });
});

describe("failed handshakes are logged", () => {
  test("the dispatcher logs a refused key, a wrong server key and a NULL worker (peer, reason, public key only); each worker logs why it fails", async () => {
    const [dispatcher, a, stranger, other] = await Promise.all([keys("hd"), keys("ha"), keys("hstranger"), keys("hother")]);
    const authorized = join(dir, "handshake-workers.txt");
    writeFileSync(authorized, `${a.publicKey}\n`);
    const d = await startDispatcherHere({ ...stack.target, prefix: "app-curve-hs" }, ["--mode", "push", "--heartbeat", "250ms", "--curve-secret-key-file", dispatcher.key, "--authorized-workers", authorized]);
    const url = d.endpoint as string;
    const outsider = startWorkerHere(["--mode", "push", "--url", url, "--curve-server-key-file", dispatcher.pub, "--curve-secret-key-file", stranger.key]);
    const wrongServer = startWorkerHere(["--mode", "push", "--url", url, "--curve-server-key", other.publicKey, "--curve-secret-key-file", a.key]);
    const plain = startWorkerHere(["--mode", "push", "--url", url]);

    const refusedKey = (f: Record<string, unknown>) => f.failure === "auth" && f.publicKey === stranger.publicKey;
    await waitFor(() => d.log.count("dispatcher.handshake_failed", refusedKey) > 0, "the dispatcher to log the refused key");
    // the wrong server key and the NULL worker fail differently: one line each, though from one host
    await waitFor(() => d.log.distinct("dispatcher.handshake_failed", "reason").size >= 3, "the dispatcher to log the workers that fail the handshake");
    expect(d.log.count("dispatcher.handshake_failed", (f) => f.failure === "protocol" && f.publicKey === undefined)).toBeGreaterThanOrEqual(2);
    const refused = d.log.entries.find((e) => e.fields.event === "dispatcher.handshake_failed" && refusedKey(e.fields));
    expect(refused?.level).toBe("warn");
    expect(String(refused?.fields.peer)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(refused?.fields.reason).toBeString();

    const failed = (log: typeof outsider.log, failure: string) => log.count("worker.handshake_failed", (f) => f.failure === failure && typeof f.hint === "string") > 0;
    await waitFor(() => failed(outsider.log, "auth"), "the worker with a key not on the list to log that it was refused");
    await waitFor(() => failed(wrongServer.log, "protocol"), "the worker with the wrong server key to log why it fails");
    await waitFor(() => failed(plain.log, "protocol"), "the NULL worker to log the security mismatch");
    expect(outsider.log.entries.find((e) => e.fields.event === "worker.handshake_failed")?.fields.publicKey).toBe(stranger.publicKey);

    // no secret key is ever logged
    const secrets = [dispatcher, a, stranger].map((k) => readFileSync(k.key, "utf8").trim());
    const everything = JSON.stringify([d.log.entries, outsider.log.entries, wrongServer.log.entries, plain.log.entries]);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect([outsider.agent.received, wrongServer.agent.received, plain.agent.received]).toEqual([0, 0, 0]);
  });
});

describe("start-up rules", () => {
  test("a pull or push dispatcher other machines can reach refuses NULL security unless --insecure-transport", () => {
    const id = () => uuidGen.next();
    expect(() => dispatcherConfig(["--mode", "push", "--host", "0.0.0.0"], {}, id)).toThrow("Refusing to listen for workers on 0.0.0.0 without CURVE");
    expect(dispatcherConfig(["--mode", "push", "--host", "0.0.0.0", "--insecure-transport"], {}, id).curve).toBeUndefined();
    expect(dispatcherConfig(["--mode", "local", "--host", "0.0.0.0"], {}, id).curve).toBeUndefined();
    expect(() => dispatcherConfig(["--mode", "push", "--curve-secret-key-file", "/x"], {}, id)).toThrow("--curve-secret-key-file and --authorized-workers go together");
    expect(() => workerConfig(["--curve-server-key", "short"], {}, id)).toThrow("--curve-server-key must hold a CURVE key: 40 characters of Z85");
  });
});
