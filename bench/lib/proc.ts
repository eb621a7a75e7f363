/** CPU figures of processes and of the machine, from /proc (Linux), for the benches. */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type postgres from 'postgres';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** utime + stime of a process (all its threads), in ms, from /proc/<pid>/stat; null once it is gone. */
export async function cpuMs(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** CPU ms the whole machine spent busy (idle, I/O wait and steal excepted), from /proc/stat. */
export async function machineBusyMs(): Promise<number> {
  const [user, nice, system, , , irq, softirq] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return ((user! + nice! + system! + irq! + softirq!) * 1000) / CLOCK_TICKS;
}

/** CPU ms of each PostgreSQL backend connected to `database`, by pid: other databases' work is not ours. */
export async function backendCpuMs(admin: postgres.Sql, database: string): Promise<Map<number, number>> {
  const backends = await admin<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${database}`;
  const byPid = new Map<number, number>();
  for (const { pid } of backends) {
    const usage = await cpuMs(pid);
    if (usage !== null) byPid.set(pid, usage);
  }
  return byPid;
}
