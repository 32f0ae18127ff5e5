import type { FleetWorkerView } from '../../../src/shared/contract/fleet.js';

/** How full one worker is: its turns in hand over what it runs at once (0..1), and its tone. */
export function workerLoad(worker: Pick<FleetWorkerView, 'active' | 'concurrency'>): {
  ratio: number;
  tone: 'ok' | 'warn' | 'critical';
} {
  const ratio = worker.concurrency > 0 ? Math.min(1, Math.max(0, worker.active / worker.concurrency)) : 0;
  // A full worker is working as intended; it only says the fleet has no room left on it.
  return { ratio, tone: ratio >= 1 ? 'warn' : 'ok' };
}

/** The fleet's totals across its workers: how many, how many draining (marked, still counted), and its slots in use. */
export function fleetCapacity(workers: readonly FleetWorkerView[]): {
  online: number;
  draining: number;
  active: number;
  concurrency: number;
} {
  let draining = 0;
  let active = 0;
  let concurrency = 0;
  for (const w of workers) {
    if (w.draining) draining += 1;
    active += w.active;
    concurrency += w.concurrency;
  }
  return { online: workers.length, draining, active, concurrency };
}

/** "40 s", "12 min", "3 h 5 min", "2 d 4 h": how long a worker has been up. */
export function formatUptime(startedAt: number, now: number): string {
  const s = Math.max(0, Math.floor((now - startedAt) / 1_000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "Cannot reach Redis: <reason>", without saying it twice when the reason already does. */
export function unreachableText(error: string | null): string {
  const reason = error?.trim() || 'no answer';
  if (/^cannot reach redis\b/i.test(reason)) return reason.charAt(0).toUpperCase() + reason.slice(1);
  return `Cannot reach Redis: ${reason}`;
}
