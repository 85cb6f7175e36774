/**
 * amplifier-jupyter in JupyterLab: a command, a palette entry, a shortcut and
 * a notebook toolbar button that insert a `%%amplifier` prompt cell; a marker
 * on prompt cells; and (in style/) the look of the panel the kernel renders.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { CommandToolbarButton, ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { markPromptCells } from './marker';
import { insertPromptCell } from './promptCell';

/** Command ids. */
export namespace CommandIDs {
  export const newPromptCell = 'amplifier:new-prompt-cell';
}

const LABEL = 'Amplifier: new prompt cell';

/** The toolbar button of one notebook panel; it acts on that notebook. */
function addButton(
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
  panel.toolbar.insertItem(10, 'amplifierNewPromptCell', button);
  return button;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'amplifier-jupyter:plugin',
  description:
    'Amplifier prompt cells: a toolbar button, a command (Ctrl/Cmd+Shift+A), prompt-cell markers and panel styles.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null
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
      isEnabled: args => panelFor(args) !== null,
      execute: async args => {
        const panel = panelFor(args as { panelId?: unknown });
        if (panel) {
          await insertPromptCell(panel);
        }
      }
    });
    app.commands.addKeyBinding({
      command: CommandIDs.newPromptCell,
      keys: ['Accel Shift A'],
      selector: '.jp-Notebook'
    });
    palette?.addItem({
      command: CommandIDs.newPromptCell,
      category: 'Amplifier'
    });

    // The returned button is the extension's disposable: it goes with its panel.
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: widget => addButton(app, widget as NotebookPanel)
    });
    markPromptCells(tracker);
  }
};

export default plugin;
