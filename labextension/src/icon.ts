/**
 * The Amplifier icon: the settings editor shows it beside the extension's
 * settings (`jupyter.lab.setting-icon` in schema/plugin.json names it), and
 * the command carries it to the toolbar button and the palette.
 */

import { LabIcon } from '@jupyterlab/ui-components';

// A letter A; `jp-icon3` lets the theme recolour it, light or dark.
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
  '<path class="jp-icon3" fill="#616161" ' +
  'd="M12 2 3 22h4.2l1.8-4.2h6l1.8 4.2H21L12 2zm-1.6 12.4 1.6-3.8 1.6 3.8h-3.2z"/>' +
  '</svg>';

/** The icon, registered under the name the settings schema uses. */
export const amplifierIcon = new LabIcon({
  name: 'amplifier-jupyter:icon',
  svgstr: SVG
});
