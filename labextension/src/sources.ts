/**
 * What a cell's source does with Amplifier, read from its text: a prompt cell,
 * a cell that uses the magics, a cell that loads the IPython extension.
 */

/** The first line of a prompt cell. */
export const CELL_MAGIC = '%%amplifier';

/** The line that loads the IPython extension. */
export const LOAD_LINE = '%load_ext amplifier_jupyter';

// `%load_ext` or `%reload_ext` at the start of a line, naming our extension.
const LOADS_EXTENSION = /^[ \t]*%(re)?load_ext[ \t]+amplifier_jupyter\b/m;

// `%%amplifier` or `%amplifier` at the start of a line.
const USES_MAGIC = /^[ \t]*%%?amplifier(\s|$)/m;

/** Whether a cell's source is an Amplifier prompt (`%%amplifier` on its first line). */
export function isPromptSource(source: string): boolean {
  return /^%%amplifier(\s|$)/.test(source);
}

/** Whether a cell's source uses `%%amplifier` or `%amplifier` (which need the extension). */
export function usesMagic(source: string): boolean {
  return USES_MAGIC.test(source);
}

/** Whether a cell's source loads the extension (`%load_ext` or `%reload_ext`). */
export function loadsExtension(source: string): boolean {
  return LOADS_EXTENSION.test(source);
}
