/**
 * Marking prompt cells: every cell whose source starts with `%%amplifier`
 * carries the `amplifier-prompt-cell` class, kept up to date as cells are
 * edited, added, removed or change type.
 */

import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { oncePerFrame } from './frame';
import { isPromptSource } from './sources';

/** The CSS class on a prompt cell's widget. */
export const PROMPT_CELL_CLASS = 'amplifier-prompt-cell';

/** Watch every notebook the tracker knows, now and later. */
export function markPromptCells(tracker: INotebookTracker): void {
  tracker.forEach(panel => watch(panel));
  tracker.widgetAdded.connect((_, panel) => watch(panel));
}

function watch(panel: NotebookPanel): void {
  const notebook = panel.content;
  // One pass per animation frame: by then the notebook has created new cells' widgets.
  const task = oncePerFrame(() => {
    if (notebook.isDisposed) {
      return;
    }
    for (const cell of notebook.widgets) {
      const marked =
        cell.model.type === 'code' &&
        isPromptSource(cell.model.sharedModel.getSource());
      cell.toggleClass(PROMPT_CELL_CLASS, marked);
    }
  });
  const schedule = task.schedule;
  const connect = (): void => {
    const model = notebook.model;
    if (model) {
      model.contentChanged.connect(schedule);
      model.cells.changed.connect(schedule);
    }
    schedule();
  };

  notebook.modelChanged.connect(connect);
  connect();
  panel.disposed.connect(() => task.cancel());
}
