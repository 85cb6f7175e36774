/**
 * Inserting a `%%amplifier` prompt cell, with `%load_ext amplifier_jupyter`
 * before it when no cell of the notebook loads the extension.
 */

import { Notebook, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

import { CELL_MAGIC, LOAD_LINE, loadsExtension } from './sources';

/** Whether any code cell of the notebook loads the extension, wherever it sits. */
export function notebookLoadsExtension(notebook: Notebook): boolean {
  const cells = notebook.model?.sharedModel.cells ?? [];
  return cells.some(
    cell => cell.cell_type === 'code' && loadsExtension(cell.getSource())
  );
}

/**
 * Insert a prompt cell below the active cell (or fill the active cell when it
 * is an empty code cell) and put the cursor on its second line.
 *
 * A cell magic only works on a cell's first line, and `%%amplifier` is known
 * only once `%load_ext amplifier_jupyter` has run. When no cell of the
 * notebook loads the extension (above or below the active cell), a load cell
 * goes in first and is run at once (when a kernel is connected), so the
 * notebook also runs where no lab extension loads it (nbclient, papermill).
 * When one does, nothing is inserted or run: a second `%load_ext` would only
 * print "already loaded".
 */
export async function insertPromptCell(panel: NotebookPanel): Promise<void> {
  const notebook = panel.content;
  const model = notebook.model;
  if (!model) {
    return;
  }
  const shared = model.sharedModel;
  const active = Math.max(notebook.activeCellIndex, 0);
  const current = shared.cells[active];
  const reuse =
    current !== undefined &&
    current.cell_type === 'code' &&
    current.getSource().trim() === '';
  const needsLoad = !notebookLoadsExtension(notebook);
  const sources = needsLoad
    ? [LOAD_LINE, `${CELL_MAGIC}\n`]
    : [`${CELL_MAGIC}\n`];
  const at = current === undefined ? 0 : reuse ? active : active + 1;

  shared.transact(() => {
    if (reuse) {
      shared.deleteCell(active);
    }
    shared.insertCells(
      at,
      sources.map(source => ({ cell_type: 'code', source, metadata: {} }))
    );
  });

  const promptIndex = at + sources.length - 1;
  if (needsLoad) {
    runLoadCell(panel, at);
  }
  notebook.deselectAll();
  notebook.activeCellIndex = promptIndex;
  await notebook.scrollToItem(promptIndex).catch(() => undefined);
  const cell = notebook.widgets[promptIndex];
  if (!cell) {
    return;
  }
  await cell.ready;
  notebook.mode = 'edit';
  cell.editor?.setCursorPosition({ line: 1, column: 0 });
  cell.editor?.focus();
}

/** Run the inserted load cell, but only when a kernel is there to run it. */
function runLoadCell(panel: NotebookPanel, index: number): void {
  const cell = panel.content.widgets[index];
  const kernel = panel.sessionContext.session?.kernel;
  // runCells appeared during JupyterLab 4; without it the user runs the cell.
  if (!cell || !kernel || typeof NotebookActions.runCells !== 'function') {
    return;
  }
  void NotebookActions.runCells(panel.content, [cell], panel.sessionContext);
}
