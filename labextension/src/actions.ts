/**
 * Answers and errors you can act on (issue 20).
 *
 * - Each code block of a `%%amplifier` cell's Markdown output (the finished
 *   answer) gets **Insert below** (Python or unlabelled blocks: a new code cell
 *   below the prompt cell, not run) and **Copy** (to the clipboard).
 * - The live panel (amplifier_jupyter/ui/assets/panel.js, an anywidget with no
 *   access to the notebook) asks for an insert with a DOM event,
 *   `amplifier-insert-code` (`detail.code`), that bubbles to the notebook; this
 *   side takes it (`preventDefault`, so the panel knows) and inserts below the
 *   cell the panel is in.
 * - Each error output of a code cell with an execution count gets **Ask
 *   Amplifier** and **Fix**: each inserts a prompt cell below it that sends
 *   that cell's own error (`%%amplifier --error N`) and runs it; Fix asks for
 *   an edit of the failing cell, which the agent makes with notebook_edit and
 *   the user reviews as a diff on the approval card.
 *
 * The buttons are added to the rendered outputs by a MutationObserver on each
 * notebook, not by a rendermime factory of our own: the answer stays drawn by
 * JupyterLab's own Markdown renderer (its sanitizer, highlighting, math), only
 * outputs of prompt cells get buttons (a renderer does not know its cell), and
 * a Markdown output anywhere else is untouched. A click is a person's act: no
 * approval is asked.
 */

import { Cell, CodeCell, ICodeCellModel } from '@jupyterlab/cells';
import {
  INotebookTracker,
  Notebook,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';

import { oncePerFrame } from './frame';
import { isPromptSource } from './sources';

/** The event the live panel sends to have code inserted below its cell. */
export const INSERT_EVENT = 'amplifier-insert-code';

const DONE = 'data-amplifier-actions';
const PYTHON = new Set(['', 'python', 'py', 'python3', 'ipython', 'ipython3']);

/** The prompts the error buttons write (N: the failing cell's execution count). */
export function askSource(count: number): string {
  return `%%amplifier --error ${count}\nWhy does cell [${count}] fail, and how do I fix it?`;
}

export function fixSource(count: number): string {
  return (
    `%%amplifier --error ${count}\nFix cell [${count}]: change its code with ` +
    'notebook_edit so that it no longer fails (I review the change as a diff).'
  );
}

/** Watch every notebook the tracker knows, now and later. */
export function addActions(tracker: INotebookTracker): void {
  tracker.forEach(panel => watch(panel));
  tracker.widgetAdded.connect((_, panel) => watch(panel));
}

function watch(panel: NotebookPanel): void {
  const notebook = panel.content;
  // Outputs render asynchronously: one pass per animation frame after DOM changes.
  const task = oncePerFrame(() => {
    if (!notebook.isDisposed) {
      decorate(panel);
    }
  });
  const observer = new MutationObserver(task.schedule);
  observer.observe(notebook.node, { childList: true, subtree: true });
  notebook.node.addEventListener(INSERT_EVENT, event => {
    const detail = (event as CustomEvent).detail as { code?: unknown };
    const cell = notebook.widgets.find(w =>
      w.node.contains(event.target as Node)
    );
    if (cell && typeof detail?.code === 'string') {
      event.preventDefault();
      insertBelow(notebook, cell, detail.code, false);
    }
  });
  panel.disposed.connect(() => {
    observer.disconnect();
    task.cancel();
  });
}

function decorate(panel: NotebookPanel): void {
  for (const cell of panel.content.widgets) {
    if (!(cell instanceof CodeCell)) {
      continue;
    }
    if (isPromptSource(cell.model.sharedModel.getSource())) {
      decorateAnswer(panel.content, cell);
    } else {
      decorateErrors(panel, cell);
    }
  }
}

function button(label: string, className: string): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.className = `amplifier-button ${className}`;
  node.textContent = label;
  node.title = label;
  return node;
}

/** The language a rendered block names (`language-python` on its `code`), or "". */
function languageOf(pre: Element): string {
  const code = pre.querySelector('code');
  for (const name of Array.from(code?.classList ?? [])) {
    if (name.startsWith('language-')) {
      return name.slice('language-'.length).toLowerCase();
    }
  }
  return '';
}

function decorateAnswer(notebook: Notebook, cell: CodeCell): void {
  const blocks = cell.outputArea.node.querySelectorAll(
    `.jp-RenderedMarkdown pre:not([${DONE}])`
  );
  for (const pre of Array.from(blocks)) {
    pre.setAttribute(DONE, '');
    const bar = document.createElement('div');
    bar.className = 'amplifier-code-actions';
    const code = (): string => (pre.textContent ?? '').replace(/\n$/, '');
    if (PYTHON.has(languageOf(pre))) {
      const insert = button('Insert below', 'amplifier-insert-below');
      insert.addEventListener('click', () =>
        insertBelow(notebook, cell, code(), false)
      );
      bar.append(insert);
    }
    const copy = button('Copy', 'amplifier-copy');
    copy.addEventListener('click', () => void copyText(copy, code()));
    bar.append(copy);
    pre.after(bar);
  }
}

function decorateErrors(panel: NotebookPanel, cell: CodeCell): void {
  const model = cell.model as ICodeCellModel;
  const count = model.executionCount;
  const children = cell.outputArea.widgets;
  for (let i = 0; i < model.outputs.length && i < children.length; i++) {
    const node = children[i].node;
    if (model.outputs.get(i).type !== 'error' || node.hasAttribute(DONE)) {
      continue;
    }
    if (typeof count !== 'number') {
      continue; // no count to name the cell by: the kernel cannot find its error
    }
    node.setAttribute(DONE, '');
    const bar = document.createElement('div');
    bar.className = 'amplifier-error-actions';
    const ask = button('Ask Amplifier', 'amplifier-ask');
    ask.addEventListener('click', () =>
      askBelow(panel, cell, askSource(count))
    );
    const fix = button('Fix', 'amplifier-fix');
    fix.addEventListener('click', () =>
      askBelow(panel, cell, fixSource(count))
    );
    bar.append(ask, fix);
    // Inside the output, under the traceback (the child beside it is the prompt).
    (node.querySelector('.jp-OutputArea-output') ?? node).append(bar);
  }
}

/** Insert a code cell below ``cell``; with ``activate``, it becomes the active cell. */
function insertBelow(
  notebook: Notebook,
  cell: Cell,
  source: string,
  activate: boolean
): number {
  const shared = notebook.model?.sharedModel;
  const at = notebook.widgets.indexOf(cell);
  if (!shared || at < 0) {
    return -1;
  }
  shared.insertCell(at + 1, { cell_type: 'code', source, metadata: {} });
  if (activate) {
    notebook.activeCellIndex = at + 1;
  }
  return at + 1;
}

/** Insert a prompt cell below the failing cell and run it. */
function askBelow(panel: NotebookPanel, cell: Cell, source: string): void {
  const at = insertBelow(panel.content, cell, source, true);
  const prompt = panel.content.widgets[at];
  if (!prompt || typeof NotebookActions.runCells !== 'function') {
    return; // an older JupyterLab: the cell is there, the user runs it
  }
  void NotebookActions.runCells(panel.content, [prompt], panel.sessionContext);
}

async function copyText(node: HTMLButtonElement, text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    node.textContent = 'Copied';
  } catch {
    node.textContent = 'Copy failed: select the code';
  }
  setTimeout(() => (node.textContent = 'Copy'), 1500);
}
