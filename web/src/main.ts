/**
 * The playground's entry: four tabbed sections (ARIA tabs: arrow keys,
 * Home and End move between tabs), each built once on start.
 */

import './styles.css';
import { insidePage } from './inside-page.js';
import { pronouncePage } from './pronounce-page.js';
import { trainPage } from './train-page.js';
import { walkthroughPage } from './walkthrough-page.js';

const panel = (id: string): HTMLElement => document.getElementById(id)!;

const train = trainPage(panel('panel-train'));
walkthroughPage(panel('panel-walk'));
const inside = insidePage(panel('panel-inside'), train);
const pronounce = pronouncePage(panel('panel-pronounce'));
/** For tests and the console: the training and validation losses the chart shows, the alignment on the Pronounce tab. */
(window as unknown as { playground: unknown }).playground = { losses: () => train.losses(), validation: () => train.validation(), alignment: () => pronounce.alignment() };

const tabs = Array.from(document.querySelectorAll<HTMLButtonElement>('[role="tab"]'));

function select(tab: HTMLButtonElement, focus: boolean): void {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    panel(t.getAttribute('aria-controls')!).hidden = !on;
  }
  if (focus) tab.focus();
  if (tab.id === 'tab-inside') inside.refresh();
  if (tab.id === 'tab-pronounce') pronounce.open();
  history.replaceState(null, '', `#${tab.id.slice(4)}`);
}

for (const tab of tabs) {
  tab.addEventListener('click', () => select(tab, false));
  tab.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(tab);
    const next = e.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length]
      : e.key === 'ArrowLeft' ? tabs[(i - 1 + tabs.length) % tabs.length]
        : e.key === 'Home' ? tabs[0] : e.key === 'End' ? tabs[tabs.length - 1] : undefined;
    if (next) { e.preventDefault(); select(next, true); }
  });
}

const initial = tabs.find((t) => t.id === `tab-${location.hash.slice(1)}`);
if (initial) select(initial, false);
