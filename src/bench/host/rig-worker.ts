// The host bench's busy engine in a worker thread: the engine bench's synthetic agents
// (AgentRig: real gateway, limiter, ledger and event hub), relayed to the host through
// the same protocol and proxy as the real backend worker, so the host pays exactly what
// a transport over `openWorkerBackend` pays.
import { parentPort, workerData } from 'node:worker_threads';
import { ok } from '../../shared/result.js';
import { AgentRig, type RigOptions } from '../engine/synthetic-agents.js';
import { logToParent, relayBackend } from '../../main/host/relay.js';
import type { WorkerInit } from '../../main/host/protocol.js';
import { RIG_OPTIONS_ENV, RIG_START, type RigStats } from './rig-commands.js';

const port = parentPort;
if (!port) throw new Error('rig-worker runs only as a worker thread');
const rig = new AgentRig(
  JSON.parse((workerData as WorkerInit).options.env?.[RIG_OPTIONS_ENV] ?? '') as RigOptions,
);
const hub = rig.hub;
if (!hub) throw new Error('the host bench needs the rig with its machinery (machinery: true)');
let stopped = false;
const stop = async (): Promise<void> => {
  if (stopped) return;
  stopped = true;
  await rig.stop();
  rig.close();
};

relayBackend(
  port,
  {
    info: {
      name: 'host bench',
      version: '0',
      runtime: 'browser',
      platform: process.platform,
      dataDir: '',
      databasePath: '',
      provider: { id: 'simulated', label: 'Synthetic agents' },
    },
    events: hub,
    async invoke(channel) {
      if (channel === RIG_START) rig.start();
      return ok({ calls: rig.callsCompleted, batches: rig.eventStats.batches } satisfies RigStats);
    },
    shutdown: stop,
    close: () => void stop(),
  },
  (what, error) => logToParent(port, what, error),
);
