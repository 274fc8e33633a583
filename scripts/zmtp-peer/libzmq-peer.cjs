#!/usr/bin/env node
// A libzmq peer driven over stdin/stdout, for interop tests of src/lib/zmtp.
// Runs under Node (the `zeromq` addon cannot load under Bun).
//
// Protocol: one JSON object per line in, one per line out.
//   in:  {"seq": 1, "op": "...", ...args}
//   out: {"seq": 1, "ok": true, ...result} or {"seq": 1, "ok": false, "error": "...", "code": "..."}
// Frames travel as base64 strings.
//
// Ops:
//   new      {sock, type: "Request"|"Reply"|"Dealer"|"Router", options}
//   bind     {sock, endpoint}            -> {endpoint}  (lastEndpoint)
//   connect  {sock, endpoint}
//   send     {sock, frames}             resolves when queued
//   recv     {sock}                      -> {frames}
//   echo     {sock, tag?}               background loop: receive, append tag frame if given, send back
//   sendSeq  {sock, count, prefix, size?} sends `${prefix}${i}` (padded to size) count times
//   recvSeq  {sock, count}               -> {texts: last frame of each message as utf8}
//   requestSeq {sock, count}             REQ loop: send "m<i>", receive; -> {texts: frames joined by "|"}
//   watch    {sock}                      start recording monitor events (zeromq.js `events`)
//   waitEvent {sock, types}              -> {event} first recorded event whose type is in types
//   close    {sock}
//   exit
"use strict";
const zmq = require("zeromq");
const readline = require("node:readline");

const sockets = new Map();
const watches = new Map(); // sock -> {events: [], waiters: []}

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function sockOf(name) {
  const s = sockets.get(name);
  if (!s) throw new Error(`No socket named ${name}`);
  return s;
}

const b64 = (frames) => frames.map((f) => Buffer.from(f).toString("base64"));
const unb64 = (frames) => frames.map((f) => Buffer.from(f, "base64"));

function padded(text, size) {
  if (!size || text.length >= size) return text;
  return text + ".".repeat(size - text.length);
}

const ops = {
  async new({ sock, type, options }) {
    const opts = Object.assign({ linger: 0 }, options || {});
    sockets.set(sock, new zmq[type](opts));
    return {};
  },
  async bind({ sock, endpoint }) {
    const s = sockOf(sock);
    await s.bind(endpoint);
    return { endpoint: s.lastEndpoint };
  },
  async connect({ sock, endpoint }) {
    sockOf(sock).connect(endpoint);
    return {};
  },
  async send({ sock, frames }) {
    await sockOf(sock).send(unb64(frames));
    return {};
  },
  async recv({ sock }) {
    const frames = await sockOf(sock).receive();
    return { frames: b64(frames) };
  },
  async echo({ sock, tag }) {
    const s = sockOf(sock);
    (async () => {
      for await (const msg of s) {
        if (tag !== undefined) msg.push(Buffer.from(tag));
        await s.send(msg);
      }
    })().catch(() => {});
    return {};
  },
  async sendSeq({ sock, count, prefix, size }) {
    const s = sockOf(sock);
    const head = prefix ? unb64(prefix) : [];
    for (let i = 0; i < count; i++) await s.send([...head, padded(`m${i}`, size)]);
    return {};
  },
  async recvSeq({ sock, count }) {
    const s = sockOf(sock);
    const texts = [];
    let first = null;
    for (let i = 0; i < count; i++) {
      const msg = await s.receive();
      if (first === null) first = b64(msg);
      texts.push(msg[msg.length - 1].toString());
    }
    return { texts, first };
  },
  async watch({ sock }) {
    const s = sockOf(sock);
    const w = { events: [], waiters: [] };
    watches.set(sock, w);
    (async () => {
      for await (const ev of s.events) {
        const e = { type: ev.type, address: ev.address, error: ev.error ? String(ev.error.message) : undefined };
        w.events.push(e);
        for (const waiter of w.waiters.splice(0)) waiter();
      }
    })().catch(() => {});
    return {};
  },
  async waitEvent({ sock, types }) {
    const w = watches.get(sock);
    if (!w) throw new Error(`watch ${sock} first`);
    for (;;) {
      const e = w.events.find((x) => types.includes(x.type));
      if (e) return { event: e };
      await new Promise((resolve) => w.waiters.push(resolve));
    }
  },
  async requestSeq({ sock, count }) {
    const s = sockOf(sock);
    const texts = [];
    for (let i = 0; i < count; i++) {
      await s.send(`m${i}`);
      const msg = await s.receive();
      texts.push(msg.map((f) => f.toString()).join("|"));
    }
    return { texts };
  },
  async close({ sock }) {
    sockOf(sock).close();
    sockets.delete(sock);
    return {};
  },
  async exit() {
    for (const s of sockets.values()) s.close();
    setImmediate(() => process.exit(0));
    return {};
  },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    out({ seq: -1, ok: false, error: `Bad JSON: ${e.message}` });
    return;
  }
  const op = ops[cmd.op];
  if (!op) {
    out({ seq: cmd.seq, ok: false, error: `Unknown op ${cmd.op}` });
    return;
  }
  op(cmd).then(
    (res) => out(Object.assign({ seq: cmd.seq, ok: true }, res)),
    (err) => out({ seq: cmd.seq, ok: false, error: String(err && err.message), code: err && err.code }),
  );
});
rl.on("close", () => {
  for (const s of sockets.values()) s.close();
  process.exit(0);
});
out({ seq: 0, ok: true, ready: true, zmq: zmq.version });
