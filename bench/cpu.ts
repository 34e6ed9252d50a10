/**
 * CPU use during a timed phase, from /proc (Linux): the server child's share of one core and the
 * whole machine's busy share of all its cores. They tell whether a figure is bound by the
 * server's CPU, by the machine, or by waiting (locks, round trips). Elsewhere they read as NaN.
 */
import fs from 'node:fs';

const TICKS_PER_SECOND = 100;

function processTicks(pid: number): number {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return Number.NaN;
  }
}

function machineTicks(): { busy: number; total: number } {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

export interface CpuUse {
  /** Server child CPU time ÷ wall time (1 = one core fully busy). */
  server: number;
  /** Busy share of all the machine's cores (1 = every core busy). */
  machine: number;
}

/** Starts counting; the returned function stops and answers the shares. */
export function cpuMeter(pid: number): () => CpuUse {
  const started = performance.now();
  const server = processTicks(pid);
  const machine = machineTicks();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const nowMachine = machineTicks();
    return {
      server: (processTicks(pid) - server) / TICKS_PER_SECOND / seconds,
      machine: (nowMachine.busy - machine.busy) / (nowMachine.total - machine.total),
    };
  };
}
