const KEY = 'control-room.inbox.seen';

/** Ids of escalations the person has looked at, from local storage (empty when unavailable). */
export function loadSeen(): string[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export function storeSeen(ids: string[]): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(ids));
  } catch {
    // Without storage, everything open counts as unread again after a reload; acceptable.
  }
}
