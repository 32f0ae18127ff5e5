export type ThemePreference = 'system' | 'light' | 'dark';

const KEY = 'control-room.theme';

export function loadTheme(): ThemePreference {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    // Storage can be unavailable (privacy modes); the system preference is a fine default.
    return 'system';
  }
}

export function storeTheme(theme: ThemePreference): void {
  try {
    if (theme === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    // Not remembering the choice across launches is acceptable.
  }
}

export function systemPrefersDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** `data-theme` on <html> overrides prefers-color-scheme in the style sheet. */
export function applyTheme(theme: ThemePreference): void {
  const root = document.documentElement;
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
}
