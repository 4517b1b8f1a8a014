/** CPU time of this process, and of its finished children (pgbench runs), in ms. */
import { readFileSync } from 'node:fs';

export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times, is 100 on every architecture Node runs on. */
const USER_HZ = 100;

/** cutime + cstime of /proc/self/stat: children this process has waited for; undefined off Linux. */
export function childrenCpuMs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return undefined; // no procfs (not Linux): the row reads n/a
  }
  // Fields after the parenthesised command name (which may hold spaces): state is field 3, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / USER_HZ;
}

export interface SchedTimes {
  runningMs: number;
  /** Runnable but waiting for a CPU. */
  waitingMs: number;
}

/** The calling (main) thread's scheduler times from /proc/thread-self/schedstat; undefined off Linux. */
export function mainThreadSched(): SchedTimes | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/schedstat', 'utf8');
  } catch {
    return undefined; // no procfs or no schedstats: the line reads n/a
  }
  const [running, waiting] = stat.trim().split(' ').map(Number);
  return running === undefined || waiting === undefined ? undefined : { runningMs: running / 1e6, waitingMs: waiting / 1e6 };
}
