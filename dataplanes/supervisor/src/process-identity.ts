// Identifies a process across a platform restart by pid and kernel start time, so that a leftover
// task process can be killed after a crash without hitting an unrelated process that reused the pid.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot); undefined where /proc is absent. */
  startTime?: string;
}

function readStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it follow the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return [String(pid), '', ...rest];
  } catch {
    return undefined;
  }
}

export function processIdentity(pid: number): ProcessIdentity {
  const stat = readStat(pid);
  return { pid, startTime: stat?.[21] };
}

/** True when the process still exists and is the same one (same start time). */
export function isSameProcessAlive(identity: ProcessIdentity): boolean {
  if (identity.startTime === undefined) {
    try {
      process.kill(identity.pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return readStat(identity.pid)?.[21] === identity.startTime;
}

/**
 * Kills a leftover process group (SIGKILL) if its leader is still the recorded process.
 * Returns true when something was killed.
 */
export function killLeftoverProcessGroup(identity: ProcessIdentity): boolean {
  if (!isSameProcessAlive(identity)) return false;
  try {
    process.kill(-identity.pid, 'SIGKILL');
    return true;
  } catch {
    try {
      process.kill(identity.pid, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Resident memory of a process group in bytes (sum of VmRSS of every process whose process group
 * is `pgid`). Returns undefined where /proc is absent.
 */
export function processGroupRss(pgid: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  let total = 0;
  const pageSize = 4096;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    // Field 5 is the process group; field 24 is rss in pages.
    if (!stat || Number(stat[4]) !== pgid) continue;
    total += Number(stat[23] ?? 0) * pageSize;
  }
  return total;
}
