// Runs sandboxed before the renderer: bundled into one CommonJS file with only
// `electron` external. Exposes `window.controlRoom` and nothing else; the raw
// ipcRenderer, and the IpcRendererEvent that would carry it, never cross the bridge.
import { contextBridge, ipcRenderer } from 'electron';
import { EVENT_BATCH_CHANNEL } from '../src/shared/channels.js';
import type { ControlRoomApi } from '../src/shared/contract.js';
import { createControlRoomApi } from './bridge.js';

const api = createControlRoomApi({
  invoke: (channel, request) => ipcRenderer.invoke(channel, request),
  onEventBatch: (listener) => {
    ipcRenderer.on(EVENT_BATCH_CHANNEL, (_event, batch: unknown) => listener(batch));
  },
}) satisfies ControlRoomApi;

contextBridge.exposeInMainWorld('controlRoom', api);
