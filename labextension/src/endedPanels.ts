/**
 * Live panels whose kernel went away. A running `%%amplifier` cell's panel is
 * a widget of the kernel that runs it; when that kernel restarts, dies, shuts
 * down or is changed, the panel stays as it was at that moment (a clock
 * stopped at "Working · 3.0 s", a Stop button that does nothing, ipywidgets'
 * broken-link mark). So each such panel in the notebook's outputs, found by
 * its root's class `amplifier-panel` (and by nothing else of its inside), gets
 * a line at its top that says its run ended and why, and the class
 * `amplifier-ended`: its buttons are disabled and hidden, the rest dimmed
 * (style/index.css). A panel is live when it shows a button (Stop, or an
 * approval's); the summary a finished run leaves in its place has none and
 * needs no kernel, so it is left as it is.
 *
 * The signals: `sessionContext.statusChanged` gives `restarting` (a restart
 * from this page, emitted before the old kernel's state is cleared; also the
 * first of a dead kernel's two), `autorestarting` (the kernel died and the
 * server restarts it) and `dead` (shut down, or could not be restarted);
 * `sessionContext.kernelChanged` gives a change of kernel.
 */

import {
  Notebook,
  INotebookTracker,
  NotebookPanel
} from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';

/** The class on a panel's root (kept by every version of the panel). */
export const PANEL_CLASS = 'amplifier-panel';

/** The class this extension puts on a panel whose kernel went away. */
export const ENDED_CLASS = 'amplifier-ended';

/** The class of the line that says why. */
export const ENDED_NOTE_CLASS = 'amplifier-ended-note';

const REASONS: Partial<Record<Kernel.Status, string>> = {
  restarting: 'The kernel restarted',
  autorestarting: 'The kernel died and restarted',
  dead: 'The kernel shut down'
};

/** Watch every notebook the tracker knows, now and later. */
export function markEndedPanels(tracker: INotebookTracker): void {
  tracker.forEach(panel => watch(panel));
  tracker.widgetAdded.connect((_, panel) => watch(panel));
}

function watch(panel: NotebookPanel): void {
  const context = panel.sessionContext;
  context.statusChanged.connect((_, status) => {
    const reason = REASONS[status];
    if (reason === undefined) {
      return;
    } else if (status === 'restarting') {
      // A dead kernel's `restarting` (from the server) is followed by its
      // `autorestarting`, from a microtask queued before this one: that one
      // marks the panels first, saying the kernel died.
      void Promise.resolve().then(() => endPanels(panel.content, reason));
    } else {
      endPanels(panel.content, reason);
    }
  });
  context.kernelChanged.connect((_, change) => {
    if (change.oldValue) {
      endPanels(
        panel.content,
        change.newValue ? 'The kernel changed' : 'The kernel shut down'
      );
    }
  });
}

/** Mark every live panel of the notebook's outputs that is not marked yet. */
export function endPanels(notebook: Notebook, reason: string): void {
  if (notebook.isDisposed) {
    return;
  }
  for (const cell of notebook.widgets) {
    // cell.node, not the document: a cell scrolled out of a windowed notebook is detached.
    const roots = cell.node.querySelectorAll<HTMLElement>(`.${PANEL_CLASS}`);
    for (const root of Array.from(roots)) {
      const outer = root.parentElement?.closest(`.${PANEL_CLASS}`);
      if (!outer && !root.classList.contains(ENDED_CLASS)) {
        endPanel(root, reason);
      }
    }
  }
}

function endPanel(root: HTMLElement, reason: string): void {
  const buttons = Array.from(root.querySelectorAll('button'));
  if (!buttons.some(button => shown(button, root))) {
    return; // a finished run's summary: nothing of it depends on the kernel
  }
  for (const button of buttons) {
    button.disabled = true;
  }
  root.classList.add(ENDED_CLASS);
  const note = document.createElement('div');
  note.className = ENDED_NOTE_CLASS;
  note.setAttribute('role', 'status');
  note.textContent = `${reason}: this run ended.`;
  root.prepend(note);
}

/** Whether nothing between `element` and `root` (both included) is hidden. */
function shown(element: HTMLElement, root: HTMLElement): boolean {
  for (
    let node: HTMLElement | null = element;
    node !== null;
    node = node === root ? null : node.parentElement
  ) {
    if (node.hidden || getComputedStyle(node).display === 'none') {
      return false;
    }
  }
  return true;
}
