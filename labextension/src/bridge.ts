/**
 * The kernel–frontend bridge: the kernel reads the live notebook and edits it.
 *
 * Each notebook panel whose kernel has the IPython extension loaded opens one
 * comm with the target `amplifier_jupyter.bridge` (registered by `%load_ext`);
 * the open message names the notebook's path and this tab. The kernel sends
 * requests `{id, op, ...args}` and this side answers `{id, ok, result | error}`:
 *
 * - `read`: every cell (id, type, source with unsaved edits, outputs bounded,
 *   execution count) and the active cell's id;
 * - `insert`: a cell of a type with a source, below a cell id or at an index;
 * - `replace`: a cell's source, only while it is still the `expected` one
 *   (else the error `changed` carries the current source);
 * - `run`: queue a code cell's execution (the kernel runs it after the running
 *   cell); answers "queued".
 *
 * Edits go through the notebook's shared model, as a person's do, so undo,
 * the dirty state and real-time collaboration treat them alike. The kernel
 * sends each request to one comm, the most recently focused tab: a tab says
 * when it gets the focus.
 *
 * When the comm is opened: when a panel's kernel is ready and has the
 * extension loaded (a silent probe asks it); right after the silent load
 * autoLoad.ts sends before a magic cell, so the comm is open before that cell
 * runs; and after a cell that loads the extension itself. A restarted kernel
 * closes every comm, and the next load opens a new one.
 */

import { CodeCell, ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';

import { loadOutcome } from './autoLoad';
import { loadsExtension } from './sources';

/** The comm target the kernel registers at `%load_ext amplifier_jupyter`. */
export const BRIDGE_TARGET = 'amplifier_jupyter.bridge';

/** The panel's attribute saying the bridge is open (for tests and styles). */
export const BRIDGE_ATTRIBUTE = 'data-amplifier-bridge';

const PROBE = "'amplifier_jupyter' in get_ipython().extension_manager.loaded";

// One id per page load: with the panel's id it names one tab's view of a notebook.
const PAGE_ID = Math.random().toString(36).slice(2, 10);

// Output strings longer than this are cut (images up to IMAGE_LIMIT are kept whole).
const TEXT_LIMIT = 20_000;
const IMAGE_LIMIT = 2_000_000;

type JSONObject = { [key: string]: unknown };

/** A request the frontend will not carry out: `code` says why, `message` in words. */
class Refusal extends Error {
  constructor(readonly error: JSONObject) {
    super(String(error.message));
  }
}

/** Open and serve the bridge for every notebook panel the tracker knows. */
export function connectBridges(tracker: INotebookTracker): void {
  const bridges = new Map<NotebookPanel, PanelBridge>();
  const watch = (panel: NotebookPanel): void => {
    bridges.set(panel, new PanelBridge(panel));
    panel.disposed.connect(() => {
      bridges.get(panel)?.close();
      bridges.delete(panel);
    });
  };
  tracker.forEach(watch);
  tracker.widgetAdded.connect((_, panel) => watch(panel));
  const focus = (): void => {
    const panel = tracker.currentWidget;
    if (panel) {
      bridges.get(panel)?.focus();
    }
  };
  tracker.currentChanged.connect(focus);
  window.addEventListener('focus', focus);

  const bridgeOf = (notebook: unknown): PanelBridge | undefined =>
    [...bridges.entries()].find(([panel]) => panel.content === notebook)?.[1];
  // Connected after autoLoad.ts: its load request is sent by now, before the cell's.
  NotebookActions.executionScheduled.connect((_, { notebook, cell }) => {
    const bridge = bridgeOf(notebook);
    if (!bridge) {
      return;
    }
    if (loadOutcome(cell.model) !== undefined) {
      bridge.open();
    } else if (loadsCell(cell.model)) {
      // The cell's own request goes out right after this signal: open after it.
      queueMicrotask(() => bridge.open());
    }
  });
  NotebookActions.executed.connect((_, { notebook, cell, success }) => {
    if (success && loadsCell(cell.model)) {
      bridgeOf(notebook)?.open();
    }
  });
}

function loadsCell(model: ICellModel): boolean {
  return model.type === 'code' && loadsExtension(model.sharedModel.getSource());
}

/** The bridge of one panel: its comm to the current kernel, if open. */
class PanelBridge {
  private comm: Kernel.IComm | null = null;

  constructor(private readonly panel: NotebookPanel) {
    const session = panel.sessionContext;
    void session.ready.then(() => this.probe());
    session.kernelChanged.connect(() => {
      this.forget();
      void session.ready.then(() => this.probe());
    });
    session.statusChanged.connect((_, status) => {
      if (
        status === 'restarting' ||
        status === 'autorestarting' ||
        status === 'dead'
      ) {
        this.forget();
      }
    });
  }

  private get kernel(): Kernel.IKernelConnection | null {
    return this.panel.sessionContext.session?.kernel ?? null;
  }

  /** Ask a ready kernel whether the extension is loaded; open the comm if so. */
  private async probe(): Promise<void> {
    const kernel = this.kernel;
    if (!kernel || this.comm) {
      return;
    }
    try {
      const info = await kernel.info;
      if (info.language_info.name !== 'python') {
        return;
      }
      const reply = await kernel.requestExecute({
        code: '',
        silent: true,
        store_history: false,
        allow_stdin: false,
        stop_on_error: false,
        user_expressions: { loaded: PROBE }
      }).done;
      const content = reply.content as KernelMessage.IExecuteReply;
      const loaded = content.user_expressions?.loaded as JSONObject | undefined;
      const data = loaded?.data as JSONObject | undefined;
      if (data?.['text/plain'] === 'True' && kernel === this.kernel) {
        this.open();
      }
    } catch {
      // A kernel gone or restarted meanwhile: its next load opens the bridge.
    }
  }

  /** Open the comm (a no-op while one is open). */
  open(): void {
    const kernel = this.kernel;
    if (!kernel || this.comm || kernel.isDisposed) {
      return;
    }
    let comm: Kernel.IComm;
    try {
      comm = kernel.createComm(BRIDGE_TARGET);
    } catch {
      return; // a connection without comms
    }
    this.comm = comm;
    comm.onMsg = msg => {
      void this.handle(comm, msg.content.data as JSONObject);
    };
    comm.onClose = () => {
      if (this.comm === comm) {
        this.comm = null;
        this.panel.node.removeAttribute(BRIDGE_ATTRIBUTE);
      }
    };
    comm.open({
      path: this.panel.context.path,
      client_id: `${PAGE_ID}-${this.panel.id}`
    });
  }

  /** Tell the kernel this tab has the focus: its requests come here. */
  focus(): void {
    if (this.comm && !this.comm.isDisposed) {
      this.comm.send({ event: 'focus' });
    }
  }

  /** Close the comm (the panel is closing). */
  close(): void {
    const comm = this.comm;
    this.forget();
    if (comm && !comm.isDisposed) {
      try {
        comm.close();
      } catch {
        // the kernel connection is gone already
      }
    }
  }

  private forget(): void {
    this.comm = null;
    this.panel.node.removeAttribute(BRIDGE_ATTRIBUTE);
  }

  private async handle(comm: Kernel.IComm, data: JSONObject): Promise<void> {
    if (data.event === 'ready') {
      this.panel.node.setAttribute(BRIDGE_ATTRIBUTE, 'open');
      return;
    }
    if (typeof data.id !== 'string' || typeof data.op !== 'string') {
      return;
    }
    let reply: JSONObject;
    try {
      reply = { id: data.id, ok: true, result: this.apply(data) };
    } catch (error) {
      const refusal =
        error instanceof Refusal
          ? error.error
          : {
              code: 'failed',
              message: String((error as Error)?.message ?? error)
            };
      reply = { id: data.id, ok: false, error: refusal };
    }
    if (!comm.isDisposed) {
      comm.send(reply as never);
    }
  }

  private apply(request: JSONObject): unknown {
    switch (request.op) {
      case 'read':
        return this.read();
      case 'insert':
        return this.insert(request);
      case 'replace':
        return this.replace(request);
      case 'run':
        return this.run(request);
      default:
        throw new Refusal({
          code: 'unknown-op',
          message: `unknown op ${String(request.op)}`
        });
    }
  }

  private model() {
    const model = this.panel.content.model;
    if (!model) {
      throw new Refusal({
        code: 'no-notebook',
        message: 'the notebook is not open'
      });
    }
    return model;
  }

  private read(): JSONObject {
    const model = this.model();
    const cells: JSONObject[] = [];
    for (let i = 0; i < model.cells.length; i++) {
      const cell = model.cells.get(i);
      const code = cell.type === 'code' ? (cell as ICodeCellModel) : null;
      cells.push({
        id: cell.id,
        cell_type: cell.type,
        source: cell.sharedModel.getSource(),
        execution_count: code?.executionCount ?? null,
        outputs: code ? code.outputs.toJSON().map(bounded) : []
      });
    }
    return {
      path: this.panel.context.path,
      client_id: `${PAGE_ID}-${this.panel.id}`,
      active_cell_id: this.panel.content.activeCell?.model.id ?? null,
      cells
    };
  }

  private indexOf(cellId: unknown): number {
    const cells = this.model().sharedModel.cells;
    const at = cells.findIndex(cell => cell.getId() === cellId);
    if (at < 0) {
      throw new Refusal({
        code: 'no-cell',
        message: `no cell with id ${String(cellId)}`
      });
    }
    return at;
  }

  private insert(request: JSONObject): JSONObject {
    const shared = this.model().sharedModel;
    const kind = request.cell_type;
    if (kind !== 'code' && kind !== 'markdown' && kind !== 'raw') {
      throw new Refusal({
        code: 'bad-type',
        message: `no cell type ${String(kind)}`
      });
    }
    let at: number;
    if (typeof request.after === 'string') {
      at = this.indexOf(request.after) + 1;
    } else if (typeof request.index === 'number') {
      at = Math.min(
        Math.max(0, Math.floor(request.index)),
        shared.cells.length
      );
    } else {
      at = Math.max(this.panel.content.activeCellIndex, -1) + 1;
    }
    separateUndo(shared);
    const cell = shared.insertCell(at, {
      cell_type: kind,
      source: String(request.source ?? ''),
      metadata: {}
    });
    return { id: cell.getId(), index: at };
  }

  private replace(request: JSONObject): JSONObject {
    const cell = this.model().sharedModel.cells[this.indexOf(request.cell_id)];
    const current = cell.getSource();
    if (current !== request.expected) {
      throw new Refusal({
        code: 'changed',
        message: 'the cell was edited since it was read',
        current
      });
    }
    // Its own undo step: never merged with what the user typed just before.
    separateUndo(cell);
    cell.setSource(String(request.source ?? ''));
    return { id: cell.getId() };
  }

  private run(request: JSONObject): string {
    const widget = this.panel.content.widgets[this.indexOf(request.cell_id)];
    if (!(widget instanceof CodeCell)) {
      throw new Refusal({ code: 'not-code', message: 'only a code cell runs' });
    }
    // Sent now, the execute_request waits in the kernel behind the running cell.
    void CodeCell.execute(widget, this.panel.sessionContext, {
      deletedCells: this.model().deletedCells,
      recordTiming: this.panel.content.notebookConfig.recordTiming
    }).catch(() => undefined);
    return 'queued';
  }
}

/** End the undo manager's current capture, so the next change is an undo step of its own. */
function separateUndo(shared: unknown): void {
  const manager = (
    shared as { undoManager?: { stopCapturing?: () => void } | null }
  ).undoManager;
  manager?.stopCapturing?.();
}

/** An output with long strings cut and oversized images left out. */
function bounded(output: unknown): unknown {
  const copy = { ...(output as JSONObject) };
  const cut = (text: unknown): unknown =>
    typeof text === 'string' && text.length > TEXT_LIMIT
      ? `${text.slice(0, TEXT_LIMIT)}\n… [cut by the notebook frontend]`
      : text;
  const joined = (value: unknown): unknown =>
    Array.isArray(value) ? value.join('') : value;
  if ('text' in copy) {
    copy.text = cut(joined(copy.text));
  }
  if (Array.isArray(copy.traceback)) {
    copy.traceback = (copy.traceback as unknown[]).slice(-50).map(cut);
  }
  if (copy.data && typeof copy.data === 'object') {
    const data: JSONObject = {};
    for (const [mime, value] of Object.entries(copy.data as JSONObject)) {
      const text = joined(value);
      const image = mime.startsWith('image/');
      if (
        typeof text === 'string' &&
        text.length > (image ? IMAGE_LIMIT : TEXT_LIMIT)
      ) {
        if (mime === 'text/plain') {
          data[mime] = cut(text);
        }
        continue; // too large to send: the other forms of the output stand for it
      }
      data[mime] = text;
    }
    copy.data = data;
  }
  return copy;
}
