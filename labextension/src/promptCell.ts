/**
 * Inserting a `%%amplifier` prompt cell, with `%load_ext amplifier_jupyter`
 * before it when the notebook has not loaded the extension yet.
 */

import { Notebook, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

/** The first line of a prompt cell. */
export const CELL_MAGIC = '%%amplifier';

/** The line that loads the IPython extension. */
export const LOAD_LINE = '%load_ext amplifier_jupyter';

// `%load_ext` or `%reload_ext` at the start of a line, naming our extension.
const LOADS_EXTENSION = /^[ \t]*%(re)?load_ext[ \t]+amplifier_jupyter\b/m;

/** Whether a cell's source is an Amplifier prompt (`%%amplifier` on its first line). */
export function isPromptSource(source: string): boolean {
  return /^%%amplifier(\s|$)/.test(source);
}

/** Whether a cell at or above `index` loads the extension. */
export function loadsExtensionAbove(
  notebook: Notebook,
  index: number
): boolean {
  const cells = notebook.model?.sharedModel.cells ?? [];
  for (let i = 0; i <= index && i < cells.length; i++) {
    const cell = cells[i];
    if (cell.cell_type === 'code' && LOADS_EXTENSION.test(cell.getSource())) {
      return true;
    }
  }
  return false;
}

/**
 * Insert a prompt cell below the active cell (or fill the active cell when it
 * is an empty code cell) and put the cursor on its second line.
 *
 * A cell magic only works on a cell's first line, and `%%amplifier` is known
 * only once `%load_ext amplifier_jupyter` has run, so when no earlier cell
 * loads the extension a load cell goes in first and is run at once (when a
 * kernel is connected): the prompt cell then works on its first Shift+Enter.
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
  const needsLoad = !loadsExtensionAbove(notebook, active);
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
