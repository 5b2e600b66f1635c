/**
 * The progress line: drawn on a terminal only, only once a run lasts, never
 * more often than it can be read, and erased at the end.
 */
import { describe, expect, it } from "vitest";
import type { Io } from "../../../src/cli/io.ts";
import { startProgress } from "../../../src/cli/progress.ts";

function fakeIo(): { io: Io; err: string[] } {
  const err: string[] = [];
  return { io: { stdout: () => {}, stderr: (t) => err.push(t), cwd: "/", color: false }, err };
}

describe("startProgress", () => {
  it("draws nothing when stderr is not a terminal", () => {
    const { io, err } = fakeIo();
    let t = 0;
    const p = startProgress(io, "testing", 10, { tty: false, now: () => t });
    for (let i = 0; i < 10; i++) {
      t += 1000;
      p.advance(`f${i}`);
    }
    p.done();
    expect(err).toEqual([]);
  });

  it("waits before drawing, throttles redraws, truncates and erases", () => {
    const { io, err } = fakeIo();
    let t = 0;
    const p = startProgress(io, "compiling", 3, { tty: true, now: () => t, delayMs: 300, columns: 30 });
    p.advance("a.aarm");
    t = 400;
    p.advance("policies/a-very-long-folder-name/b.aarm");
    t = 410;
    p.advance("c.aarm");
    p.done();
    expect(err).toEqual(["\r\u001b[2Kcompiling 2/3 policies/a-ver…", "\r\u001b[2K"]);
  });

  it("stays silent for a single item and for quick runs", () => {
    const { io, err } = fakeIo();
    const one = startProgress(io, "testing", 1, { tty: true, now: () => 10_000 });
    one.advance("a");
    one.done();
    let t = 0;
    const quick = startProgress(io, "testing", 5, { tty: true, now: () => t });
    for (let i = 0; i < 5; i++) {
      t += 10;
      quick.advance(`f${i}`);
    }
    quick.done();
    expect(err).toEqual([]);
  });
});
