/**
 * Marking prompt cells: every cell whose source starts with `%%amplifier`
 * carries the `amplifier-prompt-cell` class, kept up to date as cells are
 * edited, added, removed or change type.
 */

import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

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
  let frame = 0;

  const update = (): void => {
    frame = 0;
    if (notebook.isDisposed) {
      return;
    }
    for (const cell of notebook.widgets) {
      const marked =
        cell.model.type === 'code' &&
        isPromptSource(cell.model.sharedModel.getSource());
      cell.toggleClass(PROMPT_CELL_CLASS, marked);
    }
  };
  // Sources change on every keystroke: one pass per animation frame is enough,
  // and by then the notebook has created the widgets of any new cells.
  const schedule = (): void => {
    if (frame === 0) {
      frame = requestAnimationFrame(update);
    }
  };
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
  panel.disposed.connect(() => {
    if (frame !== 0) {
      cancelAnimationFrame(frame);
    }
  });
}
