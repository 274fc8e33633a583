/**
 * Whether this machine can make bubblewrap sandboxes, and the host paths a sandbox needs: the bwrap
 * and setpriv programs, the Bun binary and the shared libraries it loads. `probeSandbox()` runs one
 * trial sandbox with every namespace an executor gets; its answer is kept for the process's life.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";

export interface SandboxTools {
  readonly bwrap: string;
  /** Drops root to the sandbox's own uid before bwrap runs (only used when the server is root). */
  readonly setpriv: string | undefined;
  readonly sh: string | undefined;
  /** The Bun binary and the shared libraries it needs, as host paths. */
  readonly bun: string;
  readonly libraries: readonly string[];
  /** bwrap options this version knows (older ones lack some). */
  readonly disableUserns: boolean;
  readonly tmpfsSize: boolean;
}

/** The uid and gid sandboxes run as, inside and (when the server is root) outside. */
export const SANDBOX_UID = 65534;

const INSTALL_HINT = "install the Debian package bubblewrap: apt-get install bubblewrap";

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** The shared libraries `binary` loads (ldd), or whole library directories when ldd is missing. */
function librariesOf(binary: string): string[] {
  const ldd = Bun.which("ldd");
  if (ldd !== null) {
    const r = Bun.spawnSync([ldd, binary], { env: {}, stdout: "pipe", stderr: "pipe" });
    const text = r.stdout.toString();
    if (r.exitCode === 0 || /not a dynamic executable/.test(r.stderr.toString() + text)) {
      const paths = [...text.matchAll(/(?:=>\s*)?(\/[^\s]+)\s+\(0x/g)].map((m) => m[1] as string);
      return [...new Set(paths)].filter((p) => existsSync(p));
    }
  }
  return ["/lib", "/lib64", "/usr/lib", "/usr/lib64"].filter((p) => existsSync(p));
}

let tools: SandboxTools | string | undefined;

/**
 * Finds the programs and paths a sandbox needs, or says what is missing (memoized).
 *
 * @example
 * const t = sandboxTools(); if (typeof t === "string") throw new Error(t); t.bwrap // "/usr/bin/bwrap"
 */
export function sandboxTools(): SandboxTools | string {
  if (tools !== undefined) return tools;
  const bwrap = Bun.which("bwrap");
  const setpriv = Bun.which("setpriv") ?? undefined;
  if (bwrap === null) tools = `bwrap (bubblewrap) was not found on PATH: ${INSTALL_HINT}`;
  else if (process.getuid?.() === 0 && setpriv === undefined) tools = "the server runs as root and setpriv was not found on PATH (it drops root before bwrap runs): install the Debian package util-linux";
  else {
    const help = Bun.spawnSync([bwrap, "--help"], { env: {}, stdout: "pipe", stderr: "pipe" }).stdout.toString();
    const bun = realpathSync(process.execPath);
    tools = { bwrap, setpriv, sh: Bun.which("sh") ?? undefined, bun, libraries: librariesOf(bun), disableUserns: help.includes("--disable-userns"), tmpfsSize: help.includes("--size") };
  }
  return tools;
}

/** Why user namespaces cannot be made here, from the kernel's switches, or undefined when they look on. */
function userNamespacesOff(): string | undefined {
  if (readSysctl("/proc/sys/user/max_user_namespaces") === "0") return "user namespaces are disabled: sysctl -w user.max_user_namespaces=15000";
  if (readSysctl("/proc/sys/kernel/unprivileged_userns_clone") === "0") return "unprivileged user namespaces are disabled: sysctl -w kernel.unprivileged_userns_clone=1";
  if (readSysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") === "1") {
    return "AppArmor restricts unprivileged user namespaces: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or give bwrap an AppArmor profile that allows userns";
  }
  return undefined;
}

let probed: { ok: true } | { ok: false; reason: string } | undefined;

/**
 * Whether `--isolation sandbox` can work here: bwrap present, user namespaces on, and a trial
 * sandbox (every namespace, the sandbox's own uid, Bun inside) runs. Memoized.
 *
 * @example
 * const s = probeSandbox();
 * if (!s.ok) throw new Error(`--isolation sandbox is not available: ${s.reason}`);
 */
export function probeSandbox(): { ok: true } | { ok: false; reason: string } {
  if (probed !== undefined) return probed;
  const t = sandboxTools();
  if (typeof t === "string") return (probed = { ok: false, reason: t });
  const argv = [...dropRoot(t), t.bwrap, ...namespaceArgs(t, false), ...binaryBinds(t), "--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "/bunfaas/bun", "--version"];
  const r = Bun.spawnSync(argv, { env: {}, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode === 0 && r.stdout.toString().trim() === Bun.version) return (probed = { ok: true });
  const said = (r.stderr.toString() || r.stdout.toString()).trim().slice(0, 300);
  const off = userNamespacesOff();
  return (probed = {
    ok: false,
    reason: off ?? `a trial sandbox failed (exit code ${r.exitCode}): ${said || "no output"}; check that user namespaces are allowed and that ${t.bun} is readable by uid ${SANDBOX_UID}`,
  });
}

/**
 * setpriv in front of bwrap when the server is root: the sandbox then is not root even outside.
 *
 * @example
 * dropRoot(tools) // ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] as root, else []
 */
export function dropRoot(t: SandboxTools): string[] {
  if (process.getuid?.() !== 0 || t.setpriv === undefined) return [];
  return [t.setpriv, `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, "--clear-groups", "--"];
}

/**
 * Every namespace a sandbox gets; `network` keeps the host's network.
 *
 * @example
 * [tools.bwrap, ...namespaceArgs(tools, false), ...binaryBinds(tools), "/bunfaas/bun", "--version"]
 */
export function namespaceArgs(t: SandboxTools, network: boolean): string[] {
  return [
    "--unshare-user",
    "--uid", String(SANDBOX_UID),
    "--gid", String(SANDBOX_UID),
    ...(t.disableUserns ? ["--disable-userns"] : []),
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--hostname", "executor",
    "--unshare-cgroup-try",
    ...(network ? [] : ["--unshare-net"]),
    "--die-with-parent",
    "--new-session",
  ];
}

/**
 * The Bun binary at /bunfaas/bun and its libraries at their own paths, read-only.
 *
 * @example
 * binaryBinds(tools) // ["--ro-bind", "/…/bun", "/bunfaas/bun", "--ro-bind", "/lib/…/libc.so.6", "/lib/…/libc.so.6", …]
 */
export function binaryBinds(t: SandboxTools): string[] {
  return ["--ro-bind", t.bun, "/bunfaas/bun", ...t.libraries.flatMap((lib) => ["--ro-bind", lib, lib])];
}
