// CPU time and resident memory of process groups, read from /proc, for the AWS/ECS metrics of
// tasks the platform runs as supervised processes (a container's `runtimeId` is `<task>-<pid>`,
// and the pid leads its process group). Returns undefined where /proc is absent.
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

export interface GroupSample {
  /** CPU seconds used by the group's live processes. */
  cpuSeconds: number;
  rssBytes: number;
}

function stat(pid: string): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: split after its closing parenthesis.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Samples several process groups in one pass over /proc. */
export function sampleProcessGroups(pgids: readonly number[]): Map<number, GroupSample> | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const wanted = new Set(pgids);
  const out = new Map<number, GroupSample>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const f = stat(entry);
    // After the command: state(0) ppid(1) pgrp(2) … utime(11) stime(12) … rss(21).
    if (!f) continue;
    const pgid = Number(f[2]);
    if (!wanted.has(pgid)) continue;
    const s = out.get(pgid) ?? { cpuSeconds: 0, rssBytes: 0 };
    s.cpuSeconds += (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
    s.rssBytes += Number(f[21]) * PAGE_SIZE;
    out.set(pgid, s);
  }
  return out;
}
