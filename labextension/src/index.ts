/**
 * amplifier-jupyter in JupyterLab: a command, a palette entry, a shortcut and
 * a notebook toolbar button that insert a `%%amplifier` prompt cell; a marker
 * on prompt cells; the extension loaded into the kernel before a cell that
 * uses the magics, and one clear line where it cannot be; panels marked when
 * their kernel goes away; a finished run's summary drawn as a collapsed
 * timeline (summary.ts); the kernel–frontend bridge (bridge.ts); Insert below and Copy on an
 * answer's code blocks, Ask Amplifier and Fix on error outputs (actions.ts); and (in
 * style/) the look of the panel the kernel renders.
 *
 * The shortcut and the button's place in the toolbar are settings
 * (schema/plugin.json): JupyterLab reads them, and users change them in the
 * settings editor. This file gives the command and the button they name.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  CommandToolbarButton,
  ICommandPalette,
  IToolbarWidgetRegistry
} from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { addActions } from './actions';
import { loadBeforeMagicCells } from './autoLoad';
import { connectBridges } from './bridge';
import { markEndedPanels } from './endedPanels';
import { amplifierIcon } from './icon';
import { markPromptCells } from './marker';
import { explainMissingMagic } from './missingMagic';
import { insertPromptCell } from './promptCell';
import { summaryRendererFactory } from './summary';

/** Command ids. */
export namespace CommandIDs {
  export const newPromptCell = 'amplifier:new-prompt-cell';
}

const LABEL = 'Amplifier: new prompt cell';

/** The toolbar item's name in `jupyter.lab.toolbars` (schema/plugin.json). */
export const TOOLBAR_ITEM = 'amplifierNewPromptCell';

/** The toolbar button of one notebook panel; it acts on that notebook. */
function createButton(
  app: JupyterFrontEnd,
  panel: NotebookPanel
): CommandToolbarButton {
  const button = new CommandToolbarButton({
    commands: app.commands,
    id: CommandIDs.newPromptCell,
    args: { panelId: panel.id },
    label: 'Amplifier'
  });
  button.addClass('amplifier-toolbar-button');
  return button;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'amplifier-jupyter:plugin',
  description:
    'Amplifier prompt cells: a toolbar button, a command (Ctrl/Cmd+Shift+A), prompt-cell markers, the extension loaded before prompt cells, ended panels marked, panel styles.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, IToolbarWidgetRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    toolbars: IToolbarWidgetRegistry | null
  ) => {
    const panelFor = (args: { panelId?: unknown }): NotebookPanel | null => {
      if (typeof args.panelId === 'string') {
        return tracker.find(panel => panel.id === args.panelId) ?? null;
      }
      return tracker.currentWidget;
    };

    app.commands.addCommand(CommandIDs.newPromptCell, {
      label: LABEL,
      caption: 'Insert a %%amplifier prompt cell below the active cell',
      icon: amplifierIcon,
      isEnabled: args => panelFor(args) !== null,
      execute: async args => {
        const panel = panelFor(args as { panelId?: unknown });
        if (panel) {
          await insertPromptCell(panel);
        }
      }
    });
    palette?.addItem({
      command: CommandIDs.newPromptCell,
      category: 'Amplifier'
    });

    // The notebook toolbar asks for the item the settings name; its toolbar disposes it.
    toolbars?.addFactory<NotebookPanel>('Notebook', TOOLBAR_ITEM, panel =>
      createButton(app, panel)
    );
    markPromptCells(tracker);
    loadBeforeMagicCells(tracker);
    connectBridges(tracker); // after loadBeforeMagicCells: see bridge.ts
    explainMissingMagic();
    markEndedPanels(tracker);
    addActions(tracker);
  }
};

/** A finished run's summary drawn as a collapsed `<details>` (summary.ts). */
const summaryPlugin: JupyterFrontEndPlugin<void> = {
  id: 'amplifier-jupyter:summary',
  description: "A finished run's summary as a collapsed timeline.",
  autoStart: true,
  requires: [IRenderMimeRegistry],
  activate: (_: JupyterFrontEnd, rendermime: IRenderMimeRegistry) => {
    rendermime.addFactory(summaryRendererFactory);
  }
};

export default [plugin, summaryPlugin];
