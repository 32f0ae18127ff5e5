import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createTransport } from './api/index.js';
import { createNotifier } from './api/notify.js';
import { App } from './app/app.js';
import { newId } from './lib/ids.js';
import { saveTextFile } from './lib/save-file.js';
import { loadSeen, storeSeen } from './lib/seen-store.js';
import { applyTheme, loadTheme, storeTheme } from './lib/theme.js';
import { createControlRoomStore, StoreProvider } from './store/index.js';
import './styles/global.css';

const transport = createTransport();
const store = createControlRoomStore({
  api: transport.api,
  connection: transport.connection,
  transport: transport.kind,
  newId,
  saveFile: saveTextFile,
  writeHash(hash, replace) {
    if (location.hash === hash) return;
    // replaceState keeps the path and query; assigning the hash adds a history entry.
    if (replace) history.replaceState(history.state, '', hash);
    else location.hash = hash;
  },
  loadTheme,
  storeTheme,
  notifier: createNotifier(),
  loadSeen,
  storeSeen,
});

applyTheme(store.getState().theme);
store.subscribe((state, previous) => {
  if (state.theme !== previous.theme) applyTheme(state.theme);
});

store.getState().syncFromHash(location.hash);
window.addEventListener('hashchange', () => store.getState().syncFromHash(location.hash));
void store.getState().loadInfo();
void store.getState().loadTeams();
// The unread count in the navigation needs the inbox from the start.
void store.getState().loadInbox();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
