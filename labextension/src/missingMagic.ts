/**
 * One clear line in place of IPython's bare "UsageError: Cell magic
 * `%%amplifier` not found.": a cell that uses the magics ran in a kernel
 * without the extension. The line says why (the silent load's own error when
 * it failed, e.g. the kernel's environment lacks the package) and what to do.
 *
 * IPython shows that error as a stderr stream, and the reply is an error with
 * `ename` "UsageError"; the stream's text is rewritten in the cell's outputs,
 * so the saved notebook carries the clear line too.
 */

import { ICodeCellModel } from '@jupyterlab/cells';
import { NotebookActions } from '@jupyterlab/notebook';

import { LoadOutcome, loadOutcome } from './autoLoad';

// IPython's messages for an unknown cell magic and an unknown line magic.
const MISSING =
  /^(?:Cell magic `(%%amplifier)`|Line magic function `(%amplifier)`) not found/;

/** Rewrite the bare error of every cell that runs without the extension. */
export function explainMissingMagic(): void {
  NotebookActions.executed.connect((_, { cell, success, error }) => {
    if (success || !error || error.errorName !== 'UsageError') {
      return;
    }
    const match = MISSING.exec(error.errorValue);
    if (match && cell.model.type === 'code') {
      const magic = match[1] ?? match[2];
      void explain(cell.model as ICodeCellModel, magic, error.errorValue);
    }
  });
}

/** The line for `magic` (`%%amplifier` or `%amplifier`) after a load that went as `outcome`. */
export function missingMagicLine(magic: string, outcome: LoadOutcome): string {
  if (outcome === null) {
    return (
      `UsageError: ${magic} needs the amplifier_jupyter extension, which this kernel ` +
      'has not loaded: run %load_ext amplifier_jupyter in a cell above, then run this cell again'
    );
  }
  const missing =
    outcome.ename === 'ModuleNotFoundError' &&
    outcome.evalue.includes('amplifier_jupyter');
  const fix = missing
    ? "install amplifier-jupyter into this kernel's environment, or change to a kernel " +
      'that has it (Kernel › Change Kernel…)'
    : 'run %load_ext amplifier_jupyter in a cell to see the whole error';
  return (
    `UsageError: ${magic} needs amplifier_jupyter, which this kernel could not load ` +
    `(${outcome.ename}: ${outcome.evalue}): ${fix}, then run this cell again`
  );
}

async function explain(
  model: ICodeCellModel,
  magic: string,
  evalue: string
): Promise<void> {
  const outcome = (await loadOutcome(model)) ?? null;
  const bare = `UsageError: ${evalue}`;
  const outputs = model.outputs;
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs.get(i).toJSON();
    if (output.output_type !== 'stream') {
      continue;
    }
    const text = Array.isArray(output.text)
      ? output.text.join('')
      : String(output.text);
    if (text.includes(bare)) {
      outputs.set(i, {
        ...output,
        text: text.replace(bare, missingMagicLine(magic, outcome))
      });
      return;
    }
  }
}
