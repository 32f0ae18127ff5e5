import type { Locator, Page } from '@playwright/test';

/** The Inbox area: role- and label-based locators only. */
export class InboxPage {
  readonly heading: Locator;
  readonly list: Locator;
  readonly detail: Locator;
  readonly navLink: Locator;
  /** The count beside "Inbox" in the navigation: open items that need the person ("2 need you, 1 new"). */
  readonly needsYou: Locator;
  readonly reply: Locator;

  constructor(private readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Inbox', level: 2 });
    this.list = page.getByRole('region', { name: 'Escalations' });
    this.detail = page.getByRole('region', { name: 'Selected escalation' });
    const nav = page.getByRole('navigation', { name: 'Main' });
    this.navLink = nav.getByRole('link', { name: /Inbox/ });
    this.needsYou = nav.getByRole('status', { name: /needs? you/ });
    this.reply = this.detail.getByLabel(/^Reply/);
  }

  async open(): Promise<void> {
    await this.navLink.click();
    await this.heading.waitFor();
  }

  /** The director's draft of the selected item: each team's share, the interfaces, approve and send back. */
  get directorDraft(): Locator {
    return this.detail.getByRole('region', { name: "The director's draft", exact: true });
  }

  /** A team's share in the director's draft ("Share of Team Web · starts after Core"). */
  draftShare(team: string): Locator {
    return this.directorDraft.getByLabel(new RegExp(`^Share of Team ${team}\\b`));
  }

  get directorComment(): Locator {
    return this.directorDraft.getByLabel('Comment for the director');
  }

  /** A row of the list by (part of) its title. */
  row(title: string | RegExp): Locator {
    return this.list.getByRole('listitem').filter({ hasText: title });
  }

  /** Switches between "Needs you" and "Decided". */
  async show(view: 'Needs you' | 'Decided'): Promise<void> {
    await this.page.getByRole('radio', { name: view }).check();
  }
}
