import { useEffect, useRef } from 'react';

export interface InboxKeyActions {
  next(): void;
  previous(): void;
  approve(): void;
  deny(): void;
  reply(): void;
  toggleChecked(): void;
}

/** True while the person types: shortcuts must not steal their letters. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type);
  }
  return false;
}

const KEYS: Record<string, keyof InboxKeyActions> = {
  j: 'next',
  k: 'previous',
  a: 'approve',
  d: 'deny',
  r: 'reply',
  x: 'toggleChecked',
};

/** j/k move, a approve, d deny, r reply, x tick — while the inbox is on screen and nobody is typing. */
export function useInboxKeys(actions: InboxKeyActions, enabled: boolean): void {
  const latest = useRef(actions);
  useEffect(() => {
    latest.current = actions;
  });
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
      if (isTypingTarget(event.target)) return;
      // A dialog open over the inbox owns the keyboard.
      if (document.querySelector('dialog[open]')) return;
      const action = KEYS[event.key];
      if (!action) return;
      event.preventDefault();
      latest.current[action]();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [enabled]);
}
