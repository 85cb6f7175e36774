/**
 * The summary a finished `%%amplifier` run leaves, drawn as a collapsed
 * `<details>`: the status line (outcome, duration, tokens, cost) as its
 * `<summary>`, the timeline's rows inside.
 *
 * The kernel puts the summary in one output bundle three ways
 * (amplifier_jupyter/ui/summary.py): `text/plain`, `text/html` made only of
 * tags every sanitizer keeps (so it reads the same without this extension, in
 * nbconvert, VS Code, GitHub) and `SUMMARY_MIME`, the same as JSON data, which
 * this renderer takes, ranked before `text/html`. It builds the DOM from text
 * (never from markup in the data), so it is safe: JupyterLab uses it for
 * untrusted notebooks too (docs/design.md, fact 35).
 */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

/** The summary's mimetype. */
export const SUMMARY_MIME = 'application/vnd.amplifier-jupyter.summary+json';

/** Before `text/html` (50) and `text/markdown` (60). */
export const SUMMARY_RANK = 40;

const OUTCOMES = new Set(['done', 'failed', 'stopped']);
const LEVELS = new Set(['info', 'success', 'warning', 'error']);
const NAME = /^[a-z][a-z0-9-]*$/;

/** One timeline row, as the kernel sends it. */
interface IRow {
  kind: string;
  mark: string;
  text: string;
  detail?: string;
  result?: string;
  child?: string;
  level?: string;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0
    ? value
    : 0;
}

function rows(value: unknown): IRow[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value
    .filter(
      (row): row is Record<string, unknown> =>
        typeof row === 'object' && row !== null
    )
    .map(row => ({
      kind: text(row.kind),
      mark: text(row.mark),
      text: text(row.text),
      detail: text(row.detail),
      result: text(row.result),
      child: text(row.child),
      level: text(row.level)
    }));
}

function element(
  tag: string,
  className: string,
  content?: string
): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  if (content !== undefined) {
    node.textContent = content;
  }
  return node;
}

function rowNode(row: IRow): HTMLElement {
  const line = element('div', 'amplifier-entry');
  if (NAME.test(row.kind)) {
    line.classList.add(`amplifier-entry-${row.kind}`);
  }
  const level = row.level && LEVELS.has(row.level) ? row.level : 'info';
  line.classList.add(`amplifier-level-${level}`);
  line.append(element('span', 'amplifier-mark', `${row.mark} `));
  if (row.child) {
    line.append(element('span', 'amplifier-child', `${row.child} › `));
  }
  line.append(element('span', 'amplifier-text', row.text));
  if (row.detail) {
    line.append(' ', element('code', 'amplifier-detail', row.detail));
  }
  if (row.result) {
    line.append(' ', element('span', 'amplifier-result', `→ ${row.result}`));
  }
  line.title = line.textContent ?? '';
  return line;
}

/** The summary's DOM, from its data (anything else in the data is ignored). */
export function summaryNode(data: unknown): HTMLElement {
  const summary = (
    typeof data === 'object' && data !== null ? data : {}
  ) as Record<string, unknown>;
  const root = element('div', 'amplifier-panel amplifier-summary');
  const outcome = text(summary.outcome);
  root.classList.add(
    `amplifier-outcome-${OUTCOMES.has(outcome) ? outcome : 'done'}`
  );
  const details = element('details', 'amplifier-timeline');
  const head = element('summary', 'amplifier-summary-line');
  const events = count(summary.count);
  head.append(
    element('span', 'amplifier-status', text(summary.status)),
    element(
      'span',
      'amplifier-count',
      ` · ${events} event${events === 1 ? '' : 's'}`
    )
  );
  const body = element('div', 'amplifier-entries');
  body.append(...rows(summary.rows).map(rowNode));
  const more = count(summary.more);
  if (more) {
    body.append(element('div', 'amplifier-more', `… ${more} more`));
  }
  details.append(head, body);
  root.append(details);
  return root;
}

/** Draws one summary output. */
class SummaryRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(private readonly _mimeType: string) {
    super();
    this.addClass('amplifier-summary-output');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.node.replaceChildren(summaryNode(model.data[this._mimeType]));
    return Promise.resolve();
  }
}

/** The factory JupyterLab's rendermime registry takes (index.ts adds it). */
export const summaryRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [SUMMARY_MIME],
  defaultRank: SUMMARY_RANK,
  createRenderer: options => new SummaryRenderer(options.mimeType)
};
