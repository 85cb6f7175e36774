/**
 * Loading the IPython extension right before a cell that needs it.
 *
 * A cell that uses `%%amplifier` or `%amplifier` fails with IPython's
 * `UsageError` in a kernel that has not run `%load_ext amplifier_jupyter`: a
 * restarted kernel, a changed one, or the first kernel of a notebook without
 * a load cell. So just before such a cell is sent, one request of its own
 * loads the extension: silent (no output shown, no execution count), not
 * stored in the history, and a no-op where the extension is loaded already
 * (IPython's extension manager, so `%load_ext`, `%unload_ext` and
 * `%reload_ext` see it as loaded).
 *
 * It runs before the cell, Restart and Run All's first cell included:
 * `NotebookActions.executionScheduled` is emitted right before the cell's
 * execute_request is sent on the same kernel connection, with nothing awaited
 * in between; the connection keeps requests in order (while it reconnects
 * after a restart it queues them); and the kernel runs a shell channel's
 * requests in order (docs/design.md, the JupyterLab facts).
 */

import { ICellModel } from '@jupyterlab/cells';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';

import { loadsExtension, usesMagic } from './sources';

/** The code of the silent load request. */
export const LOAD_CODE =
  "get_ipython().extension_manager.load_extension('amplifier_jupyter')";

/** Why the load failed (the kernel's error), or null when it worked. */
export type LoadOutcome = { ename: string; evalue: string } | null;

// The load sent before each cell's latest run.
const outcomes = new WeakMap<ICellModel, Promise<LoadOutcome>>();

/** How the load sent before this cell's latest run went (undefined: none was sent). */
export function loadOutcome(
  cell: ICellModel
): Promise<LoadOutcome> | undefined {
  return outcomes.get(cell);
}

/** Load the extension before every cell of a tracked notebook that uses the magics. */
export function loadBeforeMagicCells(tracker: INotebookTracker): void {
  NotebookActions.executionScheduled.connect((_, { notebook, cell }) => {
    outcomes.delete(cell.model);
    if (cell.model.type !== 'code') {
      return;
    }
    const source = cell.model.sharedModel.getSource();
    // A cell that loads the extension itself would print "already loaded" after ours.
    if (!usesMagic(source) || loadsExtension(source)) {
      return;
    }
    const panel = tracker.find(candidate => candidate.content === notebook);
    const kernel = panel?.sessionContext.session?.kernel;
    if (kernel) {
      outcomes.set(cell.model, load(kernel));
    }
  });
}

function load(kernel: Kernel.IKernelConnection): Promise<LoadOutcome> {
  let future: Kernel.IShellFuture<
    KernelMessage.IExecuteRequestMsg,
    KernelMessage.IExecuteReplyMsg
  >;
  try {
    future = kernel.requestExecute({
      code: LOAD_CODE,
      silent: true,
      store_history: false,
      allow_stdin: false,
      // Should the load fail, the cell still runs, and says why (missingMagic.ts).
      stop_on_error: false
    });
  } catch {
    return Promise.resolve(null); // a disposed connection: the cell will not run either
  }
  return future.done.then(
    reply => {
      const content = reply.content;
      return content.status === 'error'
        ? { ename: content.ename, evalue: content.evalue }
        : null;
    },
    () => null // cancelled: the kernel restarted before it answered
  );
}
