// The application menu: the platform's standard roles, with the page-reloading and
// DevTools items only in development (a reload in production would drop live state).
import { Menu, type MenuItemConstructorOptions } from 'electron';
import { openExternalSafely } from './security.js';

export interface MenuOptions {
  platform: NodeJS.Platform;
  isDev: boolean;
  openExternal: (url: string) => Promise<void>;
}

export const HELP_LINKS: readonly { label: string; url: string }[] = [
  { label: 'Claude API Documentation', url: 'https://docs.anthropic.com/' },
  { label: 'Anthropic Console', url: 'https://console.anthropic.com/' },
];

/** The menu template for `platform`; pure, so the dev/production split is tested. */
export function buildMenuTemplate({
  platform,
  isDev,
  openExternal,
}: MenuOptions): MenuItemConstructorOptions[] {
  const isMac = platform === 'darwin';
  const view: MenuItemConstructorOptions[] = [
    ...(isDev
      ? ([
          { role: 'reload' },
          { role: 'forceReload' },
          { role: 'toggleDevTools' },
          { type: 'separator' },
        ] as const)
      : []),
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  const help: MenuItemConstructorOptions[] = [
    ...HELP_LINKS.map(({ label, url }) => ({
      label,
      click: () => void openExternalSafely(url, openExternal),
    })),
    // macOS keeps About in the app menu.
    ...(isMac ? [] : ([{ type: 'separator' }, { role: 'about' }] as const)),
  ];
  return [
    ...(isMac ? [{ role: 'appMenu' } as const] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
    { role: 'help', submenu: help },
  ];
}

/** Installs the application menu. */
export function setupMenu(options: MenuOptions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(options)));
}
