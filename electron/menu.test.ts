import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { buildMenuTemplate } from './menu.js';

vi.mock('electron', () => ({ Menu: {} }));

const roles = (items: MenuItemConstructorOptions[] | undefined) =>
  (items ?? []).map((item) => item.role ?? item.type ?? item.label);

function viewMenu(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  const view = template.find((item) => item.label === 'View');
  return Array.isArray(view?.submenu) ? view.submenu : [];
}

function helpMenu(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  const help = template.find((item) => item.role === 'help');
  return Array.isArray(help?.submenu) ? help.submenu : [];
}

const open = () => Promise.resolve();

describe('buildMenuTemplate', () => {
  it('has the usual top-level menus, with the app menu on macOS only', () => {
    expect(roles(buildMenuTemplate({ platform: 'darwin', isDev: false, openExternal: open }))).toEqual([
      'appMenu',
      'fileMenu',
      'editMenu',
      'View',
      'windowMenu',
      'help',
    ]);
    expect(roles(buildMenuTemplate({ platform: 'linux', isDev: false, openExternal: open }))).toEqual([
      'fileMenu',
      'editMenu',
      'View',
      'windowMenu',
      'help',
    ]);
  });

  it('offers reload and DevTools only in development', () => {
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      const production = roles(viewMenu(buildMenuTemplate({ platform, isDev: false, openExternal: open })));
      expect(production).not.toContain('reload');
      expect(production).not.toContain('forceReload');
      expect(production).not.toContain('toggleDevTools');
      expect(production).toContain('togglefullscreen');
      const dev = roles(viewMenu(buildMenuTemplate({ platform, isDev: true, openExternal: open })));
      expect(dev).toEqual(expect.arrayContaining(['reload', 'forceReload', 'toggleDevTools']));
    }
  });

  it('opens help links through the safe external opener', () => {
    const openExternal = vi.fn(() => Promise.resolve());
    const help = helpMenu(buildMenuTemplate({ platform: 'linux', isDev: false, openExternal }));
    const first = help.find((item) => typeof item.click === 'function');
    (first?.click as (() => void) | undefined)?.();
    expect(openExternal).toHaveBeenCalledExactlyOnceWith('https://docs.anthropic.com/');
    expect(roles(help)).toContain('about');
  });
});
