import { AREA_INFO } from '../domain/areas.js';
import { InboxNavCount } from '../features/inbox/inbox-nav-count.js';
import { useStore } from '../store/index.js';
import './shell.css';

export function Sidebar() {
  const area = useStore((s) => s.route.area);
  const showArea = useStore((s) => s.showArea);
  const version = useStore((s) => s.info?.version);

  return (
    <aside className="sidebar">
      <div className="brand">
        <img src="./icon.svg" alt="" width={28} height={28} />
        <span className="brand-name">Control Room</span>
      </div>
      <nav aria-label="Main">
        <ul className="nav-list">
          {AREA_INFO.map((item) => (
            <li key={item.id}>
              <a
                href={`#/${item.id}`}
                className="nav-link"
                // The label hides in a narrow window (icons only); the tooltip still names it.
                title={item.label}
                aria-current={item.id === area ? 'page' : undefined}
                onClick={(event) => {
                  // Teams returns to the open editor, which a plain hash link would forget.
                  event.preventDefault();
                  showArea(item.id);
                }}
              >
                <span className="nav-icon" aria-hidden="true">
                  {item.icon}
                </span>
                <span className="nav-label">{item.label}</span>
                {item.id !== 'teams' && item.id !== 'settings' && item.id !== 'missions' && item.id !== 'agents' && item.id !== 'inbox' && item.id !== 'costs' ? (
                  <span className="nav-soon">Later</span>
                ) : null}
                {item.id === 'inbox' ? <InboxNavCount /> : null}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="sidebar-footer">{version ? `Version ${version}` : ''}</div>
    </aside>
  );
}
