import type { AppInfo } from '../../../shared/contract/app.js';
import type { Handlers } from '../dispatch.js';

/** Handlers for questions about the running app itself. */
export function appHandlers(info: AppInfo): Pick<Handlers, 'app:get-info'> {
  return { 'app:get-info': () => info };
}
