import { AgentsPage } from '../features/agents/agents-page.js';
import { ComingLater } from '../features/areas/coming-later.js';
import { CostsPage } from '../features/costs/costs-page.js';
import { InboxPage } from '../features/inbox/inbox-page.js';
import { MissionsPage } from '../features/missions/missions-page.js';
import { SettingsPage } from '../features/settings/settings-page.js';
import { TeamsPage } from '../features/teams/teams-page.js';
import { useStore } from '../store/index.js';
import { ConnectionBanner } from './connection-banner.js';
import { Sidebar } from './sidebar.js';
import { TopBar } from './top-bar.js';

export function App() {
  const area = useStore((s) => s.route.area);
  return (
    <div className="shell">
      <Sidebar />
      <div className="shell-main">
        <TopBar />
        <ConnectionBanner />
        <main className="content" id="main">
          {area === 'teams' ? (
            <TeamsPage />
          ) : area === 'settings' ? (
            <SettingsPage />
          ) : area === 'inbox' ? (
            <InboxPage />
          ) : area === 'missions' ? (
            <MissionsPage />
          ) : area === 'agents' ? (
            <AgentsPage />
          ) : area === 'costs' ? (
            <CostsPage />
          ) : (
            <ComingLater area={area} />
          )}
        </main>
      </div>
    </div>
  );
}
