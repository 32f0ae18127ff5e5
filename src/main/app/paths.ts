import { homedir } from 'node:os';
import { join } from 'node:path';

export const PRODUCT_NAME = 'Control Room';
export const DATABASE_FILE = 'control-room.db';

/**
 * The platform's user-data folder for Control Room, the same one Electron's
 * `app.getPath('userData')` gives, so the desktop app and browser mode share data.
 */
export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), PRODUCT_NAME);
}
