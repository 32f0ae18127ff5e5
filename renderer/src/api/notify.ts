/**
 * System notifications, for escalations that need the person while they look elsewhere.
 * Browser mode uses the Notification API, whose permission may only be asked from a user
 * gesture (a button); Electron's preload may later route `notify` to main, which is why
 * the rest of the UI only sees this small interface.
 */
export type NotifyPermission = 'default' | 'granted' | 'denied' | 'unsupported';

export interface SystemNotification {
  title: string;
  body: string;
  /** Replaces an earlier notification with the same tag instead of stacking. */
  tag: string;
  onClick?: () => void;
}

export interface Notifier {
  permission(): NotifyPermission;
  /** Must run inside a user gesture (a click) or browsers refuse silently. */
  requestPermission(): Promise<NotifyPermission>;
  notify(notification: SystemNotification): void;
}

/** A notifier over the window's Notification API; 'unsupported' where there is none. */
export function createNotifier(win: Window = window): Notifier {
  const api = (win as Window & { Notification?: typeof Notification }).Notification;
  if (typeof api !== 'function') {
    return { permission: () => 'unsupported', requestPermission: () => Promise.resolve('unsupported'), notify: () => undefined };
  }
  return {
    permission: () => api.permission,
    async requestPermission() {
      try {
        return await api.requestPermission();
      } catch {
        return api.permission;
      }
    },
    notify({ title, body, tag, onClick }) {
      if (api.permission !== 'granted') return;
      try {
        const shown = new api(title, { body, tag });
        shown.onclick = () => {
          win.focus();
          onClick?.();
          shown.close();
        };
      } catch {
        // Some platforms only allow notifications from a service worker; the unread count still shows.
      }
    },
  };
}

/** For tests and places without notifications. */
export const silentNotifier: Notifier = {
  permission: () => 'unsupported',
  requestPermission: () => Promise.resolve('unsupported'),
  notify: () => undefined,
};
