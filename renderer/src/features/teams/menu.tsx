import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';

export interface MenuItem {
  label: string;
  onSelect(): void;
  disabled?: boolean;
  tone?: 'danger';
  /** Draws a rule above the item, to group moves apart from destructive actions. */
  separated?: boolean;
}

/**
 * A small menu button (WAI-ARIA menu pattern): the path for people who do not drag.
 * Arrow keys move between items, Escape closes and gives focus back to the button.
 */
export function Menu({ label, items, icon = '⋯' }: { label: string; items: MenuItem[]; icon?: string }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);

  useEffect(() => {
    if (!open) return;
    list.current?.querySelector<HTMLButtonElement>('[role="menuitem"]:not(:disabled)')?.focus();
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!list.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointerDown);
    return () => document.removeEventListener('pointerdown', onPointerDown);
  }, [open]);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const entries = Array.from(
      list.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]:not(:disabled)') ?? [],
    );
    const at = entries.indexOf(document.activeElement as HTMLButtonElement);
    const focus = (i: number) => entries[(i + entries.length) % entries.length]?.focus();
    if (event.key === 'ArrowDown') focus(at + 1);
    else if (event.key === 'ArrowUp') focus(at - 1);
    else if (event.key === 'Home') focus(0);
    else if (event.key === 'End') focus(entries.length - 1);
    else if (event.key === 'Escape') close(true);
    else if (event.key === 'Tab') close(false);
    else return;
    event.preventDefault();
    // The menu sits inside draggable rows: their keyboard sensor must not see these keys.
    event.stopPropagation();
  };

  return (
    <div className="menu">
      <button
        ref={button}
        type="button"
        className="btn btn-ghost btn-icon menu-button"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' && !open) {
            event.preventDefault();
            setOpen(true);
          }
          event.stopPropagation();
        }}
      >
        <span aria-hidden="true">{icon}</span>
      </button>
      {open ? (
        <ul ref={list} id={id} role="menu" aria-label={label} className="menu-list" onKeyDown={onKeyDown}>
          {items.map((item) => (
            <li key={item.label} role="none" className={item.separated ? 'menu-separated' : undefined}>
              <button
                type="button"
                role="menuitem"
                className={`menu-item ${item.tone === 'danger' ? 'menu-item-danger' : ''}`}
                disabled={item.disabled}
                onClick={() => {
                  close(true);
                  item.onSelect();
                }}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
